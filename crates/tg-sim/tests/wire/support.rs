//! Shared test helpers: grammers clients built as production builds them, a test backend,
//! and a raw MTProto client for protocol-level checks.

use std::net::{SocketAddr, SocketAddrV4};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use grammers_client::Client;
use grammers_crypto::DequeBuffer;
use grammers_mtproto::transport::{Full, Transport};
use grammers_tl_types::{self as tl, Deserializable, Serializable};
use tg_sim::demo::{DemoBackend, demo_auth_key};
use tg_sim::{
    AuthKey, Backend, CallContext, ClientInfo, RpcCall, RpcError, RpcResponse, ServerConfig,
    SimServer,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[path = "../common/client.rs"]
mod client;
#[path = "../common/requests.rs"]
mod requests;

pub use client::{API_ID, TestClient};

pub const API_HASH: &str = "0123456789abcdef0123456789abcdef";

/// The id of the user `users.getUsers([inputUserSelf])` returns.
pub async fn self_user_id(client: &Client) -> Result<i64, grammers_mtsender::InvocationError> {
    let users = client
        .invoke(&tl::functions::users::GetUsers {
            id: vec![tl::enums::InputUser::UserSelf],
        })
        .await?;
    Ok(users.first().expect("one user").id())
}

/// The RPC error inside `error`; panics on any other kind of failure.
pub fn rpc_error(error: grammers_mtsender::InvocationError) -> grammers_mtsender::RpcError {
    match error {
        grammers_mtsender::InvocationError::Rpc(error) => error,
        other => panic!("expected an RPC error, got {other:?}"),
    }
}

/// `(code, name)` of the RPC error inside `error`.
pub fn rpc_code_and_name(error: grammers_mtsender::InvocationError) -> (i32, String) {
    let error = rpc_error(error);
    (error.code, error.name)
}

/// A default server with one signed-in demo account (user 1000000) and a client holding
/// its key.
pub async fn serve_one_signed_in() -> (SimServer, Arc<TestBackend>, TestClient) {
    let (server, backend) = start_default(1, 1).await;
    let test = TestClient::connect(server.local_addr(), demo_auth_key(0));
    (server, backend, test)
}

/// Stops the client, then the server.
pub async fn finish(test: TestClient, server: SimServer) {
    test.quit().await;
    server.shutdown().await;
}

/// A call as the test backend saw it.
#[derive(Debug, Clone)]
pub struct SeenCall {
    pub name: &'static str,
    pub ctx: CallContext,
    pub client: Option<Arc<ClientInfo>>,
}

/// Demo accounts plus test hooks:
/// * `messages.sendMessage` with text `"<code> <MESSAGE>"` answers that RPC error, and with
///   text `"panic"` panics;
/// * `contacts.resolveUsername` answers `USERNAME_NOT_OCCUPIED` and records the username's length.
pub struct TestBackend {
    pub demo: DemoBackend,
    pub seen: Mutex<Vec<SeenCall>>,
    pub resolved_username_lengths: Mutex<Vec<usize>>,
}

impl TestBackend {
    pub fn new(accounts: u32) -> Arc<Self> {
        Arc::new(Self {
            demo: DemoBackend::with_generated_accounts(accounts),
            seen: Mutex::new(Vec::new()),
            resolved_username_lengths: Mutex::new(Vec::new()),
        })
    }

    pub fn seen_names(&self) -> Vec<&'static str> {
        self.seen.lock().unwrap().iter().map(|c| c.name).collect()
    }
}

impl Backend for TestBackend {
    fn handle(&self, ctx: &CallContext, call: &RpcCall) -> RpcResponse {
        self.seen.lock().unwrap().push(SeenCall {
            name: call.name(),
            ctx: ctx.clone(),
            client: ctx.client.clone(),
        });
        if let Some(request) = call.decode::<tl::functions::messages::SendMessage>() {
            let text = request?.message;
            assert_ne!(text, "panic", "the test backend panics on request");
            let (code, message) = text.split_once(' ').expect("'<code> <MESSAGE>'");
            return Err(RpcError::new(code.parse().expect("numeric code"), message));
        }
        if let Some(request) = call.decode::<tl::functions::contacts::ResolveUsername>() {
            self.resolved_username_lengths
                .lock()
                .unwrap()
                .push(request?.username.len());
            return Err(RpcError::new(400, "USERNAME_NOT_OCCUPIED"));
        }
        self.demo.handle(ctx, call)
    }
}

/// A server with `accounts` demo accounts; account `i`'s key is registered and, for the first
/// `signed_in` accounts, signed in.
pub async fn start_server(
    config: ServerConfig,
    accounts: u32,
    signed_in: u32,
) -> (SimServer, Arc<TestBackend>) {
    let backend = TestBackend::new(accounts);
    let server = SimServer::start(config, Arc::clone(&backend))
        .await
        .expect("server starts");
    for index in 0..accounts {
        let id = server.register_auth_key(demo_auth_key(index));
        if index < signed_in {
            backend
                .demo
                .sign_in(id, backend.demo.accounts()[index as usize].user_id);
        }
    }
    (server, backend)
}

/// A server with default configuration.
pub async fn start_default(accounts: u32, signed_in: u32) -> (SimServer, Arc<TestBackend>) {
    start_server(ServerConfig::default(), accounts, signed_in).await
}

/// `messages.sendMessage` to yourself with the given text.
pub fn send_message(text: &str) -> tl::functions::messages::SendMessage {
    requests::send_message(tl::enums::InputPeer::PeerSelf, text, 1, None)
}

/// One message the raw client received (containers are flattened).
#[derive(Debug, Clone)]
pub struct Received {
    pub msg_id: i64,
    pub seq_no: i32,
    pub body: Vec<u8>,
}

impl Received {
    pub fn constructor(&self) -> u32 {
        u32::from_le_bytes(self.body[..4].try_into().unwrap())
    }
}

/// A hand-driven MTProto client: grammers' transport and crypto, messages built by hand.
pub struct RawClient {
    pub stream: TcpStream,
    transport: Full,
    key: grammers_crypto::AuthKey,
    pub session_id: i64,
    last_msg_id: i64,
    content_sent: i32,
    read_buffer: Vec<u8>,
}

impl RawClient {
    pub async fn connect(address: SocketAddr, key: [u8; 256]) -> Self {
        Self {
            stream: TcpStream::connect(address).await.unwrap(),
            transport: Full::new(),
            key: grammers_crypto::AuthKey::from_bytes(key),
            session_id: 0x5e55_1000 + i64::from(rand_u16()),
            last_msg_id: 0,
            content_sent: 0,
            read_buffer: Vec::new(),
        }
    }

    /// A fresh client message id (current time, multiple of 4).
    pub fn next_msg_id(&mut self) -> i64 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        let id = (((now.as_secs() << 32) | (u64::from(now.subsec_nanos()) << 2)) as i64 & !3)
            .max(self.last_msg_id + 4);
        self.last_msg_id = id;
        id
    }

    /// The next sequence number for a content-related message or not.
    pub fn next_seq_no(&mut self, content_related: bool) -> i32 {
        if content_related {
            self.content_sent += 1;
            self.content_sent * 2 - 1
        } else {
            self.content_sent * 2
        }
    }

    /// Sends one content-related request; returns its message id.
    pub async fn request(&mut self, body: &impl Serializable) -> i64 {
        let msg_id = self.next_msg_id();
        let seq_no = self.next_seq_no(true);
        self.send_message(msg_id, seq_no, &body.to_bytes()).await;
        msg_id
    }

    /// Encrypts and frames one message with the given header values.
    pub async fn send_message(&mut self, msg_id: i64, seq_no: i32, body: &[u8]) {
        let mut plaintext = Vec::new();
        0i64.serialize(&mut plaintext);
        self.session_id.serialize(&mut plaintext);
        msg_id.serialize(&mut plaintext);
        seq_no.serialize(&mut plaintext);
        (body.len() as i32).serialize(&mut plaintext);
        plaintext.extend_from_slice(body);
        let mut buffer = DequeBuffer::with_capacity(plaintext.len() + 64, 64);
        buffer.extend(plaintext);
        grammers_crypto::encrypt_data_v2(&mut buffer, &self.key);
        self.transport.pack(&mut buffer);
        self.stream.write_all(&buffer[..]).await.unwrap();
    }

    /// Receives one packet and returns its messages (containers flattened), or `None` if the
    /// server closed the connection or sent a transport error.
    pub async fn recv(&mut self) -> Option<Vec<Received>> {
        loop {
            if !self.read_buffer.is_empty() {
                match self.transport.unpack(&mut self.read_buffer) {
                    Ok(offset) => {
                        let mut payload = self.read_buffer[offset.data_range].to_vec();
                        self.read_buffer.drain(..offset.next_offset);
                        let plaintext =
                            grammers_crypto::decrypt_data_v2(&mut payload, &self.key).unwrap();
                        let session = i64::from_le_bytes(plaintext[8..16].try_into().unwrap());
                        assert_eq!(session, self.session_id, "server echoes the session id");
                        let mut messages = Vec::new();
                        flatten(&plaintext[16..], &mut messages);
                        return Some(messages);
                    }
                    Err(grammers_mtproto::transport::Error::MissingBytes) => {}
                    Err(_) => return None,
                }
            }
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                return None;
            }
            self.read_buffer.extend_from_slice(&chunk[..n]);
        }
    }

    /// Receives packets until one holds a message with `constructor`, within 5 seconds.
    pub async fn recv_until(&mut self, constructor: u32) -> (Vec<Received>, Received) {
        let mut all = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                let packet = self.recv().await.expect("connection open");
                all.extend(packet.iter().cloned());
                if let Some(found) = packet.into_iter().find(|m| m.constructor() == constructor) {
                    return (all, found);
                }
            }
        })
        .await
        .expect("message arrives")
    }
}

fn flatten(bytes: &[u8], out: &mut Vec<Received>) {
    let msg_id = i64::from_le_bytes(bytes[0..8].try_into().unwrap());
    let seq_no = i32::from_le_bytes(bytes[8..12].try_into().unwrap());
    let len = i32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let body = bytes[16..16 + len].to_vec();
    if u32::from_le_bytes(body[..4].try_into().unwrap()) == 0x73f1_f8dc {
        out.push(Received {
            msg_id,
            seq_no,
            body: body[..8].to_vec(),
        });
        let count = u32::from_le_bytes(body[4..8].try_into().unwrap());
        let mut inner = &body[8..];
        for _ in 0..count {
            let len = i32::from_le_bytes(inner[12..16].try_into().unwrap()) as usize;
            flatten(&inner[..16 + len], out);
            inner = &inner[16 + len..];
        }
    } else {
        out.push(Received {
            msg_id,
            seq_no,
            body,
        });
    }
}

fn rand_u16() -> u16 {
    let mut bytes = [0u8; 2];
    getrandom::fill(&mut bytes).unwrap();
    u16::from_le_bytes(bytes)
}

/// Decodes an `rpc_result` body: `(req_msg_id, result)`.
pub fn rpc_result(message: &Received) -> (i64, Vec<u8>) {
    assert_eq!(message.constructor(), 0xf35c_6d01, "rpc_result");
    let req_msg_id = i64::from_le_bytes(message.body[4..12].try_into().unwrap());
    (req_msg_id, message.body[12..].to_vec())
}

/// Registers a random key with `server` and returns it.
pub fn random_key(server: &SimServer) -> [u8; 256] {
    let mut key = [0u8; 256];
    getrandom::fill(&mut key).unwrap();
    server.register_auth_key(key);
    key
}

/// The key id grammers' session would send for `key`.
pub fn key_id(key: [u8; 256]) -> tg_sim::AuthKeyId {
    AuthKey::from_bytes(key).id()
}

/// Parses a TL value or panics with its name.
pub fn parse<T: Deserializable>(bytes: &[u8]) -> T {
    T::from_bytes(bytes).expect("valid TL")
}

/// IPv4 socket address of the server (helper for session assertions).
pub fn v4(address: SocketAddr) -> SocketAddrV4 {
    match address {
        SocketAddr::V4(v4) => v4,
        SocketAddr::V6(_) => panic!("IPv4 expected"),
    }
}
