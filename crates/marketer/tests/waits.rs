//! Slow mode, FloodWait, the spam-block cool-down and transient errors, against what
//! the world recorded.

mod common;

use chrono::TimeDelta;
use common::*;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tg_world::{GroupMix, Profile};
use tgfleet_config::Service;
use tgfleet_domain::{Clock as _, PostState};
use tgfleet_telegram::{OutgoingMessage, TextFormat, TgError};
use tgfleet_testkit::{Fault, FaultAction, Faulty, TestFleet};

/// Two accounts joined to four open groups, a connector injecting `faults`, and the
/// daily "villas" campaign.
async fn villas_with_faults(
    pool: PgPool,
    seed: u64,
    faults: Vec<Fault>,
) -> (TestFleet, Vec<Joined>, Arc<Faulty>) {
    let (fleet, joined) = joined_fleet(pool, seed, 2, 4, OPEN_POSTING).await;
    let faulty = Faulty::with_faults(fleet.connector.clone(), faults);
    text_campaign(
        &fleet,
        "villas",
        Duration::from_secs(86_400),
        "Villa for rent",
    )
    .await;
    (fleet, joined, faulty)
}

#[sqlx::test(migrations = "../../migrations")]
async fn slow_mode_is_respected_without_ever_hitting_it(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let mut spec = spec(21, 1, GroupMix::default().with(Profile::SlowMode, 1));
    spec.slow_mode_secs = 3600;
    let fleet = fleet(pool, spec, OPEN_POSTING).await;
    let joined = join_groups(&fleet, &["acc0001"], &[]).await;
    let group = joined[0].clone();

    // The account wrote in the group itself just before (the store does not know).
    let telegram = connect(&fleet, "acc0001").await;
    let peer = peer_in(&fleet, "acc0001", group.channel_id);
    let manual = OutgoingMessage::Text {
        text: "hello from a human".into(),
        format: TextFormat::Plain,
        link_preview: true,
    };
    telegram.send(&peer, &manual, 101).await.unwrap();
    telegram.close().await;

    for name in ["one", "two", "three"] {
        text_campaign(
            &fleet,
            name,
            Duration::from_secs(86_400),
            &format!("Offer {name}"),
        )
        .await;
    }
    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 2)],
        Duration::from_secs(4 * 3600),
    )
    .await;

    let records = sent(&fleet);
    assert_eq!(records.len(), 4, "the manual message and one per campaign");
    for pair in records.windows(2) {
        assert!(
            pair[1].1.date - pair[0].1.date >= TimeDelta::hours(1),
            "{} then {}",
            pair[0].1.date,
            pair[1].1.date
        );
    }
    let counters = fleet
        .world
        .lock()
        .unwrap()
        .counters("acc0001")
        .unwrap()
        .clone();
    assert_eq!(
        counters.errors_named("SLOWMODE_WAIT"),
        0,
        "never sent into slow mode"
    );
    let posts = posts(&fleet.store).await;
    assert!(posts.iter().all(|p| p.state == PostState::Sent));
    assert!(
        posts.iter().any(|p| p.attempts == 2),
        "the first claim met slow mode in the pre-check and was retried: {posts:?}"
    );
    assert!(!logs.lines_with("Slow mode in").is_empty());
    assert!(logs.lines_with("Pre-check failed").is_empty());
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn peer_floods_and_long_flood_waits_in_a_row_start_a_cool_down(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let settings = format!(
        "{OPEN_POSTING}\nspam_block_threshold = 3\nflood_wait_short_max_secs = 600\ncooldown_min_secs = 7200\ncooldown_max_secs = 10800"
    );
    let fleet = fleet(
        pool,
        spec(22, 1, GroupMix::default().with(Profile::Open, 12)),
        &settings,
    )
    .await;
    join_groups(&fleet, &["acc0001"], &[]).await;
    let strike = |action: FaultAction| Fault::send("acc0001", None, action, 1);
    // Telegram answers: PeerFlood, a long FloodWait (1 h), PeerFlood.
    let faulty = Faulty::with_faults(
        fleet.connector.clone(),
        vec![
            strike(FaultAction::Fail(TgError::from_rpc(
                400,
                "PEER_FLOOD",
                None,
            ))),
            strike(FaultAction::Fail(TgError::flood_wait(3600))),
            strike(FaultAction::Fail(TgError::from_rpc(
                400,
                "PEER_FLOOD",
                None,
            ))),
        ],
    );
    text_campaign(
        &fleet,
        "villas",
        Duration::from_secs(86_400),
        "Villa for rent",
    )
    .await;
    let start = fleet.clock.now();

    run_replicas(
        &fleet,
        vec![spawn_replica(faulty.context(&fleet, Service::Marketer), 3)],
        Duration::from_secs(6 * 3600),
    )
    .await;

    assert!(faulty.remaining().is_empty(), "all three answers were met");
    let account = fleet
        .store
        .account_by_label("acc0001")
        .await
        .unwrap()
        .unwrap();
    let cool_down_until = account.post_cooldown_until.expect("a cool-down was set");
    // The third strike came when the hour-long FloodWait ended.
    let third_strike = start + TimeDelta::hours(1);
    assert!(
        cool_down_until >= third_strike + TimeDelta::hours(2),
        "{cool_down_until}"
    );
    assert!(
        cool_down_until <= third_strike + TimeDelta::hours(3) + TimeDelta::seconds(10),
        "{cool_down_until}"
    );
    let records = sent(&fleet);
    assert!(!records.is_empty(), "posting resumed after the cool-down");
    assert!(
        records.iter().all(|(_, r)| r.date >= cool_down_until),
        "nothing was sent before the cool-down ended"
    );
    assert_eq!(records.len(), 12, "every group got its post in the end");
    assert_eq!(account.post_strikes, 0, "a success resets the strikes");
    assert_eq!(logs.lines_with("Cool-down for acc0001").len(), 1);
    assert_eq!(logs.lines_with("Spam-block strike").len(), 2);
    let posts = posts(&fleet.store).await;
    assert!(posts.iter().all(|p| p.state == PostState::Sent));
    assert_eq!(
        posts.iter().map(|p| p.attempts).sum::<i32>(),
        12 + 3,
        "three attempts failed and were retried"
    );
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn flood_waits_hold_the_account_and_transient_errors_retry(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let (fleet, joined, faulty) = villas_with_faults(
        pool,
        23,
        vec![
            Fault::send(
                "acc0001",
                None,
                FaultAction::Fail(TgError::flood_wait(900)),
                1,
            ),
            Fault::send(
                "acc0002",
                None,
                FaultAction::Fail(TgError::transient("connection reset")),
                1,
            ),
        ],
    )
    .await;
    let start = fleet.clock.now();

    run_replicas(
        &fleet,
        vec![spawn_replica(faulty.context(&fleet, Service::Marketer), 4)],
        Duration::from_secs(3600),
    )
    .await;

    assert!(faulty.remaining().is_empty(), "both faults were met");
    let first = fleet
        .store
        .account_by_label("acc0001")
        .await
        .unwrap()
        .unwrap();
    let flood_until = first.post_flood_until.expect("the FloodWait was stored");
    assert_eq!(flood_until, start + TimeDelta::seconds(900));
    // 900 s is above flood_wait_short_max_secs (600): a spam-block strike.
    assert_eq!(
        logs.lines_with("Spam-block strike 1 of 3 for acc0001")
            .len(),
        1
    );
    let records = sent(&fleet);
    assert!(
        records
            .iter()
            .filter(|(label, _)| label == "acc0001")
            .all(|(_, r)| r.date >= flood_until),
        "acc0001 waited out its FloodWait"
    );
    // Every group still got its post (the failed rounds were retried).
    assert_eq!(records.len(), joined.len());
    let posts = posts(&fleet.store).await;
    assert!(posts.iter().all(|p| p.state == PostState::Sent));
    assert_eq!(posts.iter().filter(|p| p.attempts == 2).count(), 2);
    assert!(!logs.lines_with("FloodWait posting as acc0001").is_empty());
    assert!(!logs.lines_with("TRANSIENT").is_empty());
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_panicking_unit_is_logged_in_its_span_and_the_replica_goes_on(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let panic = FaultAction::Panic("a bug in the send path".into());
    let (fleet, joined, faulty) =
        villas_with_faults(pool, 24, vec![Fault::send("acc0001", None, panic, 1)]).await;

    // `stop` fails the test if the replica ended with an error or a panic.
    run_replicas(
        &fleet,
        vec![spawn_replica(faulty.context(&fleet, Service::Marketer), 5)],
        Duration::from_secs(3600),
    )
    .await;

    assert!(faulty.remaining().is_empty(), "the panic happened");
    let panicked = logs.lines_with("panicked");
    assert_eq!(panicked.len(), 1, "{}", logs.text());
    assert!(
        panicked[0].contains("unit{account=acc0001") && panicked[0].contains("lease="),
        "logged in the unit's span: {}",
        panicked[0]
    );
    assert!(panicked[0].contains("a bug in the send path"));
    // The claimed post may have gone out before the panic: unknown, never resent this
    // round; every other group got its post, from both accounts.
    let posts = posts(&fleet.store).await;
    assert_eq!(
        posts
            .iter()
            .filter(|p| p.state == PostState::Unknown)
            .count(),
        1
    );
    assert_eq!(
        posts.iter().filter(|p| p.state == PostState::Sent).count(),
        joined.len() - 1
    );
    assert_eq!(sent(&fleet).len(), joined.len() - 1);
    resume_time();
}
