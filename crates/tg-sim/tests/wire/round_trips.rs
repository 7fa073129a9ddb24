//! Round trips of ordinary calls through the real grammers client.

use grammers_session::Session;
use grammers_tl_types::{self as tl, Identifiable};
use tg_sim::ServerConfig;
use tg_sim::demo::demo_auth_key;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_get_config_get_users_and_get_state_round_trip() {
    let (server, backend, test) = serve_one_signed_in().await;
    let client = &test.client;

    let tl::enums::Pong::Pong(pong) = client
        .invoke(&tl::functions::Ping { ping_id: 4242 })
        .await
        .unwrap();
    assert_eq!(pong.ping_id, 4242);

    let tl::enums::Config::Config(config) = client
        .invoke(&tl::functions::help::GetConfig {})
        .await
        .unwrap();
    assert_eq!(config.this_dc, 2);
    for tl::enums::DcOption::Option(option) in &config.dc_options {
        assert_eq!(option.ip_address, "127.0.0.1");
        assert_eq!(option.port, i32::from(server.local_addr().port()));
    }
    // grammers replaced its stored DC options with the answer: every DC is now tg-sim.
    for dc_id in 1..=5 {
        let option = test.session.dc_option(dc_id).unwrap().unwrap();
        assert_eq!(option.ipv4, v4(server.local_addr()), "dc {dc_id}");
    }

    assert_eq!(self_user_id(client).await.unwrap(), 1_000_000);

    let tl::enums::updates::State::State(state) = client
        .invoke(&tl::functions::updates::GetState {})
        .await
        .unwrap();
    assert_eq!((state.pts, state.seq), (1, 1));

    // help.getConfig is answered by the wire; the rest reached the backend with the key id
    // and the initConnection details.
    assert_eq!(backend.seen_names(), ["users.getUsers", "updates.getState"]);
    let seen = backend.seen.lock().unwrap().clone();
    for call in &seen {
        assert_eq!(call.ctx.auth_key_id, key_id(demo_auth_key(0)));
        let info = call.client.as_ref().expect("initConnection was seen");
        assert_eq!(info.api_id, API_ID);
        assert_eq!(info.layer, Some(tl::LAYER));
    }
    assert_eq!(server.stats().accepted_connections, 1);
    finish(test, server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unserved_method_is_an_rpc_error_naming_it() {
    let (server, _backend, test) = serve_one_signed_in().await;
    let error = test
        .client
        .invoke(&tl::functions::help::GetNearestDc {})
        .await
        .unwrap_err();
    let error = rpc_error(error);
    assert_eq!(error.code, 400);
    assert_eq!(error.name, "INPUT_METHOD_INVALID");
    assert_eq!(
        error.value,
        Some(tl::functions::help::GetNearestDc::CONSTRUCTOR_ID)
    );
    // The connection is still fine.
    assert_eq!(self_user_id(&test.client).await.unwrap(), 1_000_000);
    finish(test, server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_requests_and_answers_travel_gzip_packed() {
    let config = ServerConfig {
        compress_answers_from: Some(256),
        ..ServerConfig::default()
    };
    let (server, backend) = start_server(config, 1, 1).await;
    let test = TestClient::connect(server.local_addr(), demo_auth_key(0));

    // grammers packs requests of 512 bytes or more.
    let long_name = "x".repeat(5000);
    let error = test
        .client
        .invoke(&tl::functions::contacts::ResolveUsername {
            username: long_name.clone(),
            referer: None,
        })
        .await
        .unwrap_err();
    assert_eq!(rpc_error(error).name, "USERNAME_NOT_OCCUPIED");
    assert_eq!(*backend.resolved_username_lengths.lock().unwrap(), [5000]);

    // 300 users are far above the 256-byte compression threshold.
    let users = test
        .client
        .invoke(&tl::functions::users::GetUsers {
            id: vec![tl::enums::InputUser::UserSelf; 300],
        })
        .await
        .unwrap();
    assert_eq!(users.len(), 300);
    assert!(users.iter().all(|u| u.id() == 1_000_000));
    finish(test, server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_on_an_unspecified_address_announces_loopback() {
    let config = ServerConfig {
        listen: "0.0.0.0:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    let (server, _) = start_server(config, 1, 1).await;
    assert!(server.local_addr().ip().is_loopback());
    let test = TestClient::connect(server.local_addr(), demo_auth_key(0));
    let tl::enums::Config::Config(config) = test
        .client
        .invoke(&tl::functions::help::GetConfig {})
        .await
        .unwrap();
    let tl::enums::DcOption::Option(option) = &config.dc_options[0];
    assert_eq!(option.ip_address, "127.0.0.1");
    finish(test, server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_advertised_address_is_what_clients_are_told() {
    // As in a container: bound to every interface, reachable at another address.
    let config = ServerConfig {
        listen: "0.0.0.0:0".parse().unwrap(),
        advertise: Some("127.0.0.2:0".parse().unwrap()),
        ..ServerConfig::default()
    };
    let (server, _) = start_server(config, 1, 1).await;
    let address = server.local_addr();
    assert_eq!(address.ip().to_string(), "127.0.0.2");
    assert_ne!(address.port(), 0, "port 0 stands for the bound port");
    let test = TestClient::connect(address, demo_auth_key(0));
    let tl::enums::Config::Config(config) = test
        .client
        .invoke(&tl::functions::help::GetConfig {})
        .await
        .unwrap();
    for tl::enums::DcOption::Option(option) in &config.dc_options {
        assert_eq!(option.ip_address, "127.0.0.2");
        assert_eq!(option.port, i32::from(address.port()));
    }
    let option = test.session.dc_option(2).unwrap().unwrap();
    assert_eq!(option.ipv4, v4(address));
    finish(test, server).await;
}
