//! Creating or resuming a campaign reaches a running marketer at once (LISTEN/NOTIFY),
//! long before its next timed pass. Real time: notifications travel through Postgres.

mod common;

use common::*;
use sqlx::PgPool;
use std::time::{Duration, Instant};
use tg_world::{GroupMix, Profile};
use tgfleet_config::Service;
use tgfleet_domain::CampaignStatus;
use tgfleet_marketer::Marketer;
use tgfleet_store::CampaignTarget;
use tgfleet_testkit::TestFleet;

/// Waits (real time, at most `limit`) until the world holds `count` messages.
async fn sent_within(fleet: &TestFleet, count: usize, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if sent(fleet).len() >= count {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[sqlx::test(migrations = "../../migrations")]
async fn creating_or_resuming_a_campaign_wakes_a_running_marketer(pool: PgPool) {
    let fleet = TestFleet::builder(spec(41, 1, GroupMix::default().with(Profile::Open, 1)))
        .settings("[posting]\nwindows = \"0-24\"\nmin_gap_account_secs = 0\nmin_gap_chat_secs = 0\netiquette_last_messages = 0")
        .starting_at(start_time())
        .real_time()
        .start(pool)
        .await;
    fleet.import_groups().await;
    join_groups(&fleet, &["acc0001"], &[]).await;
    // Without a notification this replica would not look again for an hour.
    let marketer = Marketer::with_seed(fleet.context(Service::Marketer), 1)
        .with_max_idle(Duration::from_secs(3600));
    let replica = tokio::spawn(async move { marketer.run().await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sent(&fleet).is_empty());

    text_campaign(
        &fleet,
        "villas",
        Duration::from_secs(86_400),
        "Villa for rent",
    )
    .await;
    let took = sent_within(&fleet, 1, Duration::from_secs(10))
        .await
        .expect("the new campaign was posted within seconds");
    assert!(took < Duration::from_secs(10), "{took:?}");

    // A paused campaign waits for its resume, and the resume is heard at once.
    campaign(
        &fleet,
        "scooters",
        CampaignTarget::All,
        Duration::from_secs(86_400),
    )
    .await;
    fleet
        .store
        .set_campaign_status("scooters", CampaignStatus::Paused)
        .await
        .unwrap();
    add_text(&fleet.store, "scooters", "Scooter rental").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sent(&fleet).len(), 1, "nothing for a paused campaign");
    fleet
        .store
        .set_campaign_status("scooters", CampaignStatus::Active)
        .await
        .unwrap();
    sent_within(&fleet, 2, Duration::from_secs(10))
        .await
        .expect("the resumed campaign was posted within seconds");
    assert_eq!(sent(&fleet)[1].1.text, "Scooter rental");

    fleet.shutdown.cancel();
    replica.await.unwrap().unwrap();
}
