//! activity's greppable log lines (docs/design.md: `Loaded N accounts`, `Cycle completed`).
//! A binary of its own: log capture is per thread, but tracing's call-site
//! cache is per process.

mod common;

use common::{joined_fleet, run_for, spec};
use rand::SeedableRng;
use rand::rngs::StdRng;
use sqlx::PgPool;
use std::time::Duration;
use tgfleet_activity::Activity;
use tgfleet_config::Service;
use tgfleet_testkit::CapturedLog;

#[sqlx::test(migrations = "../../migrations")]
async fn logs_the_loaded_accounts_and_every_completed_cycle(pool: PgPool) {
    let fleet = joined_fleet(pool, spec(31, 3, 6), "").await;
    let labels: Vec<String> = fleet.accounts.iter().map(|a| a.label.clone()).collect();
    fleet
        .store
        .suspend_account(&labels[2], Some("operator"))
        .await
        .unwrap();
    let captured = CapturedLog::default();
    let guard = captured.install();

    let activity = Activity::new(fleet.context(Service::Activity), StdRng::seed_from_u64(9));
    run_for(&fleet, activity, Duration::from_secs(86_400)).await;
    drop(guard);

    let text = captured.text();
    assert!(text.contains("Loaded 2 accounts"), "{text}");
    assert!(
        text.contains(&format!("Not loaded: {}: suspended (operator)", labels[2])),
        "{text}"
    );
    let completed: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("Cycle completed: "))
        .collect();
    assert!(completed.len() >= 8, "{text}");
    assert!(
        completed.iter().all(|line| line.contains("chats read")
            && line.contains("stories viewed")
            && line.contains("0 reactions")),
        "{completed:?}"
    );
    assert!(!text.contains("+62"), "no phone number in the logs: {text}");
}
