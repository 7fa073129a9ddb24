//! A hundred grammers clients, each its own scenario account, on one world-backed tg-sim.

use futures_util::future::join_all;
use tg_world::{GeneratorSpec, GroupMix, Limits, generate};

use crate::support::*;

const CLIENTS: u32 = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_accounts_connected_at_once_are_all_served() {
    let mut spec = GeneratorSpec::new(
        11,
        CLIENTS,
        GroupMix::default().with(tg_world::Profile::Open, 5),
    );
    spec.limits = Limits::unlimited();
    let generated = generate(&spec).unwrap();
    let group = generated.scenario.groups[0].username.clone().unwrap();
    let sim = WorldSim::start(generated.scenario).await;
    let labels: Vec<String> = sim.world().labels().iter().map(|l| l.to_string()).collect();
    let clients: Vec<TestClient> = labels.iter().map(|label| sim.client(label)).collect();

    let ids = join_all(clients.iter().map(|test| self_id(&test.client))).await;
    let ids: Vec<i64> = ids.into_iter().map(Result::unwrap).collect();
    let expected: Vec<i64> = labels.iter().map(|label| sim.user(label).0).collect();
    assert_eq!(ids, expected, "each client is served as its own account");
    let stats = sim.server.stats();
    assert_eq!(
        stats.open_connections,
        u64::from(CLIENTS),
        "all connected at once"
    );

    // Each joins the same group and posts, concurrently, through the shared world.
    let posts = join_all(clients.iter().zip(&labels).map(|(test, label)| {
        let peer = sim.peer_ref(label, &group);
        async move {
            test.client.join_chat(peer).await?;
            send(&test.client, peer, format!("hello from {label}")).await
        }
    }))
    .await;
    let mut message_ids: Vec<i32> = posts.into_iter().map(|sent| sent.unwrap().id()).collect();
    message_ids.sort_unstable();
    message_ids.dedup();
    assert_eq!(
        message_ids.len(),
        CLIENTS as usize,
        "every post got its own id"
    );
    assert_eq!(sim.world().sent().len(), CLIENTS as usize);
    assert_eq!(sim.server.stats().accepted_connections, u64::from(CLIENTS));

    join_all(clients.into_iter().map(TestClient::quit)).await;
    sim.shutdown().await;
}
