//! MTProto details checked with a hand-driven client (grammers' transport and crypto,
//! messages built by hand), and hostile byte streams.

use std::time::{Duration, Instant};

use grammers_tl_types::{self as tl, Identifiable, Serializable};
use tg_sim::demo::demo_auth_key;
use tg_sim::{ServerConfig, SimServer};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::*;

const CONTAINER: u32 = 0x73f1_f8dc;

/// A server and a raw client whose session is set up (its first ping answered).
async fn raw_client_in_session() -> (SimServer, RawClient) {
    let (server, _) = start_default(1, 1).await;
    let mut raw = RawClient::connect(server.local_addr(), demo_auth_key(0)).await;
    raw.request(&tl::functions::Ping { ping_id: 1 }).await;
    raw.recv().await.unwrap();
    (server, raw)
}

fn ids(messages: &[Received]) -> Vec<u32> {
    messages.iter().map(Received::constructor).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_session_is_announced_and_server_messages_are_numbered_like_telegrams() {
    let (server, _) = start_default(1, 1).await;
    let mut raw = RawClient::connect(server.local_addr(), demo_auth_key(0)).await;
    let ping_msg_id = raw.request(&tl::functions::Ping { ping_id: 9 }).await;
    let packet = raw.recv().await.unwrap();
    assert_eq!(
        ids(&packet),
        [
            CONTAINER,
            tl::types::NewSessionCreated::CONSTRUCTOR_ID,
            tl::types::Pong::CONSTRUCTOR_ID
        ]
    );
    let (container, created, pong) = (&packet[0], &packet[1], &packet[2]);
    let tl::enums::NewSession::Created(created_body) = parse(&created.body);
    assert_eq!(created_body.first_msg_id, ping_msg_id);
    assert_ne!(created_body.server_salt, 0);
    let tl::enums::Pong::Pong(pong_body) = parse(&pong.body);
    assert_eq!((pong_body.msg_id, pong_body.ping_id), (ping_msg_id, 9));

    // Responses are ≡ 1 (mod 4), other server messages ≡ 3; ids increase.
    assert_eq!(created.msg_id.rem_euclid(4), 3);
    assert_eq!(pong.msg_id.rem_euclid(4), 1);
    assert_eq!(container.msg_id.rem_euclid(4), 3);
    assert!(created.msg_id < pong.msg_id && pong.msg_id < container.msg_id);
    // Content-related messages get odd, increasing seq_nos; the container an even one.
    assert_eq!((created.seq_no, pong.seq_no, container.seq_no), (1, 3, 4));

    // get_future_salts is answered with a bare future_salts, starting with the current salt.
    let salts_msg_id = raw.request(&tl::functions::GetFutureSalts { num: 3 }).await;
    let packet = raw.recv().await.unwrap();
    assert_eq!(ids(&packet), [tl::types::FutureSalts::CONSTRUCTOR_ID]);
    let tl::enums::FutureSalts::Salts(salts) = parse(&packet[0].body);
    assert_eq!(salts.req_msg_id, salts_msg_id);
    assert_eq!(salts.salts.0.len(), 3);
    assert_eq!(salts.salts.0[0].salt, created_body.server_salt);
    assert_eq!(packet[0].seq_no, 5);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_msg_ids_and_seq_nos_get_bad_msg_notifications() {
    let (server, _) = start_default(1, 1).await;
    let mut raw = RawClient::connect(server.local_addr(), demo_auth_key(0)).await;
    let ping = tl::functions::Ping { ping_id: 1 }.to_bytes();
    let get_state = tl::functions::updates::GetState {}.to_bytes();
    let ack = tl::enums::MsgsAck::Ack(tl::types::MsgsAck { msg_ids: vec![4] }).to_bytes();
    let now_id = raw.next_msg_id();
    let cases: [(i64, i32, &[u8], i32); 5] = [
        (now_id + 1, 1, &ping, 18),
        (now_id - (400i64 << 32), 3, &ping, 16),
        (now_id + (60i64 << 32), 5, &ping, 17),
        (now_id + 8, 6, &get_state, 35),
        (now_id + 12, 7, &ack, 34),
    ];
    for (msg_id, seq_no, body, expected_code) in cases {
        raw.send_message(msg_id, seq_no, body).await;
        let (_, notification) = raw
            .recv_until(tl::types::BadMsgNotification::CONSTRUCTOR_ID)
            .await;
        let tl::enums::BadMsgNotification::Notification(notification) = parse(&notification.body)
        else {
            panic!("bad_server_salt is never sent");
        };
        assert_eq!(
            (
                notification.bad_msg_id,
                notification.bad_msg_seqno,
                notification.error_code
            ),
            (msg_id, seq_no, expected_code)
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_answers_are_acknowledged_first() {
    let (server, mut raw) = raw_client_in_session().await;

    server.faults().delay_answers(Duration::from_millis(300));
    let started = Instant::now();
    let msg_id = raw.request(&tl::functions::updates::GetState {}).await;
    let packet = raw.recv().await.unwrap();
    assert_eq!(ids(&packet), [tl::types::MsgsAck::CONSTRUCTOR_ID]);
    let tl::enums::MsgsAck::Ack(ack) = parse(&packet[0].body);
    assert_eq!(ack.msg_ids, [msg_id]);
    assert_eq!(packet[0].seq_no % 2, 0, "acks are not content-related");

    let packet = raw.recv().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    let (req_msg_id, result) = rpc_result(&packet[0]);
    assert_eq!(req_msg_id, msg_id);
    let tl::enums::updates::State::State(_) = parse(&result);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_session_and_rpc_drop_answer_are_answered() {
    let (server, mut raw) = raw_client_in_session().await;

    raw.request(&tl::functions::DestroySession { session_id: 777 })
        .await;
    let (_, answer) = raw
        .recv_until(tl::types::DestroySessionNone::CONSTRUCTOR_ID)
        .await;
    let tl::enums::DestroySessionRes::DestroySessionNone(none) = parse(&answer.body) else {
        panic!("unknown sessions cannot be destroyed");
    };
    assert_eq!(none.session_id, 777);

    let drop_msg_id = raw
        .request(&tl::functions::RpcDropAnswer { req_msg_id: 5 })
        .await;
    let packet = raw.recv().await.unwrap();
    let (req_msg_id, result) = rpc_result(&packet[0]);
    assert_eq!(req_msg_id, drop_msg_id);
    assert_eq!(
        result,
        tl::enums::RpcDropAnswer::RpcAnswerUnknown.to_bytes()
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_delay_disconnect_closes_the_connection_when_no_ping_follows() {
    let (server, _) = start_default(1, 1).await;
    let mut raw = RawClient::connect(server.local_addr(), demo_auth_key(0)).await;
    let started = Instant::now();
    raw.request(&tl::functions::PingDelayDisconnect {
        ping_id: 3,
        disconnect_delay: 1,
    })
    .await;
    let (_, pong) = raw.recv_until(tl::types::Pong::CONSTRUCTOR_ID).await;
    let tl::enums::Pong::Pong(pong) = parse(&pong.body);
    assert_eq!(pong.ping_id, 3);
    assert!(raw.recv().await.is_none(), "server closes the connection");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_streams_are_disconnected_and_the_server_keeps_serving() {
    let config = ServerConfig {
        idle_timeout: Duration::from_millis(500),
        ..ServerConfig::default()
    };
    let (server, _) = start_server(config, 1, 1).await;
    let address = server.local_addr();

    // Garbage.
    let mut garbage = TcpStream::connect(address).await.unwrap();
    garbage.write_all(&[0xEE; 64]).await.unwrap();
    assert_closed(garbage).await;

    // A valid frame header with a wrong CRC.
    let mut bad_crc = TcpStream::connect(address).await.unwrap();
    let mut corrupted = frame(0, &[0u8; 40]);
    let last = corrupted.len() - 1;
    corrupted[last] ^= 0x55;
    bad_crc.write_all(&corrupted).await.unwrap();
    assert_closed(bad_crc).await;

    // A frame with the wrong sequence number.
    let mut bad_seq = TcpStream::connect(address).await.unwrap();
    bad_seq.write_all(&frame(1, &[0u8; 40])).await.unwrap();
    assert_closed(bad_seq).await;

    // An unencrypted message (auth key id 0): key generation is not offered, so -404.
    let mut plain = TcpStream::connect(address).await.unwrap();
    plain.write_all(&frame(0, &[0u8; 40])).await.unwrap();
    assert_eq!(read_all(plain).await, (-404i32).to_le_bytes());

    // Half a frame, then silence: closed by the idle timeout, nothing hangs.
    let mut half = TcpStream::connect(address).await.unwrap();
    half.write_all(&frame(0, &[0u8; 40])[..20]).await.unwrap();
    assert_closed(half).await;

    // A well-behaved client is served throughout.
    let test = TestClient::connect(address, demo_auth_key(0));
    assert_eq!(self_user_id(&test.client).await.unwrap(), 1_000_000);
    finish(test, server).await;
}

fn frame(seq: i32, payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::new();
    ((payload.len() + 12) as i32).serialize(&mut frame);
    seq.serialize(&mut frame);
    frame.extend_from_slice(payload);
    let crc = crc32fast::hash(&frame);
    frame.extend_from_slice(&crc.to_le_bytes());
    frame
}

async fn read_all(mut stream: TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received))
        .await
        .expect("server closes the connection")
        .ok();
    received
}

async fn assert_closed(stream: TcpStream) {
    assert!(
        read_all(stream).await.is_empty(),
        "closed without an answer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layer_the_server_does_not_serve_is_refused_by_name() {
    let (server, mut raw) = raw_client_in_session().await;
    for layer in [228, *tg_sim::SERVED_LAYERS.end() + 1, 1] {
        let msg_id = raw
            .request(&tl::functions::InvokeWithLayer {
                layer,
                query: tl::functions::help::GetConfig {},
            })
            .await;
        let (_, answer) = raw.recv_until(0xf35c_6d01).await;
        let (req_msg_id, result) = rpc_result(&answer);
        assert_eq!(req_msg_id, msg_id);
        let tl::enums::RpcError::Error(error) = parse(&result);
        assert_eq!(
            (error.error_code, error.error_message.as_str()),
            (400, "CONNECTION_LAYER_INVALID"),
            "layer {layer}"
        );
    }
    for layer in tg_sim::SERVED_LAYERS {
        raw.request(&tl::functions::InvokeWithLayer {
            layer,
            query: tl::functions::help::GetConfig {},
        })
        .await;
        let (_, answer) = raw.recv_until(0xf35c_6d01).await;
        let tl::enums::Config::Config(config) = parse(&rpc_result(&answer).1);
        assert_eq!(config.this_dc, 2, "layer {layer} is served");
    }
    assert_eq!(server.stats().calls_failed, 3);
    server.shutdown().await;
}
