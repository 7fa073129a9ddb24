//! The wire's faults with the world backend: dropped connections, delays, internal errors.

use std::time::{Duration, Instant};

use grammers_mtsender::InvocationError;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_dropped_connection_the_next_call_succeeds() {
    let (sim, mut test) = serving("ayu").await;
    let ayu = sim.user("ayu").0;
    assert_eq!(self_id(&test.client).await.unwrap(), ayu);

    sim.server.faults().drop_all_connections();
    test.wait_connection_closed().await;
    assert_eq!(self_id(&test.client).await.unwrap(), ayu);

    // A call whose connection is dropped fails; retried once it succeeds, as the production
    // adapter retries.
    sim.server.faults().drop_next_requests(1);
    let error = send(&test.client, sim.peer_ref("ayu", "bali_news"), "first try")
        .await
        .unwrap_err();
    assert!(
        matches!(error, InvocationError::Io(_) | InvocationError::Dropped(_)),
        "{error:?}"
    );
    test.wait_connection_closed().await;
    let sent = send(&test.client, sim.peer_ref("ayu", "bali_news"), "second try")
        .await
        .unwrap();
    assert_eq!(sent.text(), "second try");
    assert_eq!(
        sim.world().sent_by("ayu").len(),
        1,
        "the dropped call never ran"
    );
    assert_eq!(sim.server.stats().accepted_connections, 3);
    sim.finish(test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delays_and_internal_errors_then_service_resumes() {
    let (sim, test) = serving("budi").await;
    let budi = sim.user("budi").0;
    assert_eq!(self_id(&test.client).await.unwrap(), budi);

    sim.server.faults().delay_answers(Duration::from_secs(2));
    let timed_out = tokio::time::timeout(Duration::from_millis(300), self_id(&test.client)).await;
    assert!(timed_out.is_err(), "the client gave up first");
    sim.server
        .faults()
        .delay_answers(Duration::from_millis(200));
    let started = Instant::now();
    assert_eq!(self_id(&test.client).await.unwrap(), budi);
    assert!(started.elapsed() >= Duration::from_millis(200));

    sim.server.faults().clear();
    sim.server.faults().fail_next_requests(1);
    let failure = rpc_failure(self_id(&test.client).await);
    assert_eq!(failure, (500, "INTERNAL".to_owned(), None));
    assert_eq!(self_id(&test.client).await.unwrap(), budi);
    sim.finish(test).await;
}
