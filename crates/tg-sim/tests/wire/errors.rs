//! Backend errors and auth failures as the real grammers client sees them.

use std::time::{Duration, Instant};

use grammers_mtproto::transport;
use grammers_mtsender::InvocationError;
use grammers_tl_types as tl;
use tg_sim::demo::demo_auth_key;

use crate::support::*;

/// `(code, message on the wire, name grammers reports, value grammers splits off)`.
const WORLD_ERRORS: &[(i32, &str, &str, Option<u32>)] = &[
    (420, "FLOOD_WAIT_31", "FLOOD_WAIT", Some(31)),
    (420, "SLOWMODE_WAIT_5", "SLOWMODE_WAIT", Some(5)),
    (403, "CHAT_WRITE_FORBIDDEN", "CHAT_WRITE_FORBIDDEN", None),
    (
        400,
        "USER_BANNED_IN_CHANNEL",
        "USER_BANNED_IN_CHANNEL",
        None,
    ),
    (400, "CHANNEL_PRIVATE", "CHANNEL_PRIVATE", None),
    (400, "USERNAME_NOT_OCCUPIED", "USERNAME_NOT_OCCUPIED", None),
    (400, "INVITE_HASH_EXPIRED", "INVITE_HASH_EXPIRED", None),
    (400, "INVITE_REQUEST_SENT", "INVITE_REQUEST_SENT", None),
    (400, "CHANNELS_TOO_MUCH", "CHANNELS_TOO_MUCH", None),
    (400, "PEER_FLOOD", "PEER_FLOOD", None),
    (401, "AUTH_KEY_UNREGISTERED", "AUTH_KEY_UNREGISTERED", None),
    (401, "USER_DEACTIVATED_BAN", "USER_DEACTIVATED_BAN", None),
    (
        420,
        "FLOOD_PREMIUM_WAIT_3600",
        "FLOOD_PREMIUM_WAIT",
        Some(3600),
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_errors_arrive_with_name_and_value_and_are_not_slept_on() {
    let (server, _backend, test) = serve_one_signed_in().await;
    for &(code, message, name, value) in WORLD_ERRORS {
        let started = Instant::now();
        let error = test
            .client
            .invoke(&send_message(&format!("{code} {message}")))
            .await
            .unwrap_err();
        let error = rpc_error(error);
        assert_eq!(
            (error.code, error.name.as_str(), error.value),
            (code, name, value),
            "{message}"
        );
        assert_eq!(
            error.caused_by,
            Some(<tl::functions::messages::SendMessage as tl::Identifiable>::CONSTRUCTOR_ID)
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{message} was answered at once, not slept on (NoRetries)"
        );
    }
    finish(test, server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_that_is_not_signed_in_is_unauthorized() {
    let (server, _backend) = start_default(1, 0).await;
    let test = TestClient::connect(server.local_addr(), demo_auth_key(0));
    assert!(!test.client.is_authorized().await.unwrap());
    let error = self_user_id(&test.client).await.unwrap_err();
    assert_eq!(
        rpc_code_and_name(error),
        (401, "AUTH_KEY_UNREGISTERED".to_owned())
    );
    finish(test, server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_auth_key_is_transport_error_404() {
    let (server, _backend) = start_default(1, 1).await;
    let known = random_key(&server);
    let mut unknown = known;
    unknown[0] ^= 1;
    let test = TestClient::connect(server.local_addr(), unknown);
    let error = self_user_id(&test.client).await.unwrap_err();
    // grammers retries a -404 with a fresh key exchange, which tg-sim (pre-shared keys only)
    // answers with -404 as well.
    assert!(
        matches!(
            error,
            InvocationError::Transport(transport::Error::BadStatus { status: 404 })
        ),
        "{error:?}"
    );
    assert_eq!(server.stats().accepted_connections, 2);

    // A forgotten key is unknown from then on.
    let forgotten = TestClient::connect(server.local_addr(), demo_auth_key(0));
    assert!(server.forget_auth_key(key_id(demo_auth_key(0))));
    let error = self_user_id(&forgotten.client).await.unwrap_err();
    assert!(matches!(error, InvocationError::Transport(_)), "{error:?}");
    test.quit().await;
    forgotten.quit().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_backend_answers_internal_and_the_connection_survives() {
    let (server, _backend, test) = serve_one_signed_in().await;
    let error = test
        .client
        .invoke(&send_message("panic"))
        .await
        .unwrap_err();
    assert_eq!(rpc_code_and_name(error), (500, "INTERNAL".to_owned()));
    assert_eq!(self_user_id(&test.client).await.unwrap(), 1_000_000);
    assert_eq!(server.stats().accepted_connections, 1);
    finish(test, server).await;
}
