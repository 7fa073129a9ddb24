//! Many real grammers clients on one server.

use futures_util::future::join_all;
use tg_sim::demo::demo_auth_key;

use crate::support::*;

const CLIENTS: u32 = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_clients_connected_at_once_are_all_served() {
    let (server, _) = start_default(CLIENTS, CLIENTS).await;
    let clients: Vec<TestClient> = (0..CLIENTS)
        .map(|index| TestClient::connect(server.local_addr(), demo_auth_key(index)))
        .collect();

    let first_round = join_all(clients.iter().map(|test| self_user_id(&test.client))).await;
    let ids: Vec<i64> = first_round.into_iter().map(Result::unwrap).collect();
    let expected: Vec<i64> = (0..CLIENTS).map(|i| 1_000_000 + i64::from(i)).collect();
    assert_eq!(ids, expected, "each client is served as its own account");

    let stats = server.stats();
    assert_eq!(
        stats.open_connections,
        u64::from(CLIENTS),
        "all connected at once"
    );
    assert_eq!(stats.accepted_connections, u64::from(CLIENTS));

    // A second round reuses the same connections.
    let second_round = join_all(clients.iter().map(|test| self_user_id(&test.client))).await;
    assert!(second_round.iter().all(Result::is_ok));
    assert_eq!(server.stats().accepted_connections, u64::from(CLIENTS));

    join_all(clients.into_iter().map(TestClient::quit)).await;
    server.shutdown().await;
}
