//! Faults on demand, seen through the real grammers client with `NoRetries`.

use std::time::{Duration, Instant};

use grammers_mtsender::InvocationError;
use grammers_tl_types as tl;
use tg_sim::demo::demo_auth_key;

use crate::support::*;

const USER: i64 = 1_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_server_drops_the_connection_the_next_call_succeeds() {
    let (server, _, mut test) = serve_one_signed_in().await;
    assert_eq!(self_user_id(&test.client).await.unwrap(), USER);

    server.faults().drop_all_connections();
    test.wait_connection_closed().await;

    assert_eq!(self_user_id(&test.client).await.unwrap(), USER);
    assert_eq!(
        server.stats().accepted_connections,
        2,
        "grammers reconnected"
    );
    finish(test, server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_whose_connection_is_dropped_fails_and_the_next_succeeds() {
    let (server, _, mut test) = serve_one_signed_in().await;
    assert_eq!(self_user_id(&test.client).await.unwrap(), USER);

    server.faults().drop_next_requests(1);
    let error = self_user_id(&test.client).await.unwrap_err();
    assert!(
        matches!(error, InvocationError::Io(_) | InvocationError::Dropped(_)),
        "{error:?}"
    );
    test.wait_connection_closed().await;
    assert_eq!(self_user_id(&test.client).await.unwrap(), USER);
    finish(test, server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_fails_one_call_and_the_next_connects() {
    let (server, _) = start_default(1, 1).await;
    server.faults().refuse_next_connections(1);
    let test = TestClient::connect(server.local_addr(), demo_auth_key(0));
    let error = self_user_id(&test.client).await.unwrap_err();
    assert!(matches!(error, InvocationError::Io(_)), "{error:?}");
    assert_eq!(self_user_id(&test.client).await.unwrap(), USER);
    assert_eq!(server.stats().accepted_connections, 2);
    finish(test, server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_answers_trip_a_client_timeout_and_the_connection_stays_usable() {
    let (server, _, test) = serve_one_signed_in().await;
    assert_eq!(self_user_id(&test.client).await.unwrap(), USER);

    server.faults().delay_answers(Duration::from_secs(2));
    let timed_out =
        tokio::time::timeout(Duration::from_millis(300), self_user_id(&test.client)).await;
    assert!(timed_out.is_err(), "the client gave up first");

    server.faults().delay_answers(Duration::from_millis(200));
    let started = Instant::now();
    assert_eq!(self_user_id(&test.client).await.unwrap(), USER);
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "answer was delayed"
    );

    server.faults().clear();
    assert_eq!(self_user_id(&test.client).await.unwrap(), USER);
    assert_eq!(
        server.stats().accepted_connections,
        1,
        "same connection throughout"
    );
    finish(test, server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_calls_get_internal_errors_then_service_resumes() {
    let (server, _, test) = serve_one_signed_in().await;
    assert_eq!(self_user_id(&test.client).await.unwrap(), USER);

    server.faults().fail_next_requests(2);
    for _ in 0..2 {
        let error = test
            .client
            .invoke(&tl::functions::updates::GetState {})
            .await
            .unwrap_err();
        assert_eq!(rpc_code_and_name(error), (500, "INTERNAL".to_owned()));
    }
    assert_eq!(self_user_id(&test.client).await.unwrap(), USER);
    finish(test, server).await;
}
