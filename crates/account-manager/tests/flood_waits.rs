//! FloodWaits on joins, provoked by the world's join budget (docs/design.md, "Behaviour"):
//! up to 10 min they are waited out (a stored next-join time, no lease held) and
//! the slot goes on; above that the account stops joining until the wait ends;
//! above 1 h the account rests.
//!
//! The world's budget is one join per 2^k seconds and the pause between joins is
//! fixed, so the waits come out exact: `2^k - pause` seconds.

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::{Logs, account_row, events_of, finish, memberships, near, spawn, utc, world_joins};
use sqlx::PgPool;
use tg_world::{Budget, FloodPolicy, GeneratorSpec, GroupMix, Limits, Profile};
use tgfleet_config::Service;
use tgfleet_domain::{AccountStatus, Clock as _, GroupId, MembershipState};
use tgfleet_store::JoinEvent;
use tgfleet_testkit::TestFleet;

/// 09:00 in Jakarta.
fn slot() -> DateTime<Utc> {
    utc("2026-01-10T02:00:00Z")
}

/// A fleet of one account and 12 open groups whose joins are limited to one per
/// `budget_secs`, with a fixed pause of `pause_secs` and the given slots.
async fn fleet(pool: PgPool, budget_secs: u32, pause_secs: u32, slots: &str) -> TestFleet {
    let mut spec = GeneratorSpec::new(5, 1, GroupMix::default().with(Profile::Open, 12));
    spec.limits = Limits {
        join: Budget::new(1, budget_secs),
        flood: FloodPolicy {
            growth_factor: 1.0,
            ..FloodPolicy::default()
        },
        ..Limits::unlimited()
    };
    let settings = format!(
        "[joins]\nslots = {slots}\nmax_groups_per_slot = 5\npause_min_secs = {pause_secs}\npause_max_secs = {pause_secs}\n"
    );
    let fleet = TestFleet::builder(spec)
        .settings(&settings)
        .starting_at(utc("2026-01-10T01:00:00Z"))
        .start(pool)
        .await;
    fleet.import_groups().await;
    fleet
}

async fn join_events(fleet: &TestFleet) -> Vec<JoinEvent> {
    events_of(fleet, fleet.accounts[0].id, "join").await
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_five_minute_flood_wait_is_waited_without_a_lease_and_the_slot_goes_on(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    // One join per 1024 s, 724 s apart: every second join meets FLOOD_WAIT_300.
    let fleet = fleet(pool, 1024, 724, r#"["0 9 * * *"]"#).await;
    let account = &fleet.accounts[0];
    let manager = spawn(fleet.context(Service::AccountManager), 1);

    // Half-way through the first FloodWait: the wait is a stored time, not a held lease.
    let flooded_at = slot() + secs(724);
    fleet.clock.sleep_until(flooded_at + secs(150)).await;
    let now = fleet.clock.now();
    let row = account_row(&fleet, account.id).await;
    assert!(
        near(row.join_next_at.unwrap(), flooded_at + secs(300)),
        "{:?}",
        row.join_next_at
    );
    let lease = fleet.store.lease_of(account.id).await.unwrap().unwrap();
    assert!(
        lease.expires_at <= now,
        "no lease is held while waiting: {lease:?}"
    );
    assert_eq!(world_joins(&fleet, &account.label), (1, 2));

    fleet.clock.sleep_until(slot() + TimeDelta::hours(2)).await;
    let events = join_events(&fleet).await;
    let outcomes: Vec<(&str, Option<u32>)> = events
        .iter()
        .map(|event| (event.outcome.as_str(), event.flood_wait_secs))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            ("joined", None),
            ("flood_wait", Some(300)),
            ("joined", None),
            ("flood_wait", Some(300)),
            ("joined", None),
        ],
        "the slot goes on after each FloodWait"
    );
    // The group after a FloodWait is joined when the wait ends, not earlier.
    assert!(near(events[2].at, events[1].at + secs(300)));
    assert!(near(events[4].at, events[3].at + secs(300)));
    assert_eq!(world_joins(&fleet, &account.label), (3, 5));
    // The flooded groups stay pending, out of this slot, for the next one.
    let flooded: Vec<GroupId> = events
        .iter()
        .filter(|event| event.outcome == "flood_wait")
        .filter_map(|event| event.group)
        .collect();
    for membership in memberships(&fleet, account.id).await {
        if flooded.contains(&membership.group) {
            assert_eq!(membership.state, MembershipState::Pending);
            assert_eq!(membership.planned_seq, None);
            assert_eq!(membership.attempts, 1);
        }
    }
    assert_eq!(
        logs.lines_with(&["FloodWait 300s on join, waiting"]).len(),
        2
    );

    // The next day's slot takes the flooded groups first.
    fleet
        .clock
        .sleep_until(slot() + TimeDelta::days(1) + secs(1))
        .await;
    let first_next_day = memberships(&fleet, account.id)
        .await
        .into_iter()
        .find(|m| m.group == flooded[0])
        .unwrap();
    assert_eq!(first_next_day.state, MembershipState::Joined);
    logs.show_if_asked();
    finish(&fleet, vec![manager]).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_thirty_minute_flood_wait_is_not_waited_and_blocks_joins_until_it_ends(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    // One join per 2048 s, 248 s apart: the second join meets FLOOD_WAIT_1800.
    let fleet = fleet(
        pool,
        2048,
        248,
        r#"["0 9 * * *", "20 9 * * *", "0 10 * * *"]"#,
    )
    .await;
    let account = &fleet.accounts[0];
    let manager = spawn(fleet.context(Service::AccountManager), 2);

    let flooded_at = slot() + secs(248);
    let flood_ends = flooded_at + secs(1800);
    fleet.clock.sleep_until(flood_ends - secs(1)).await;
    assert_eq!(
        world_joins(&fleet, &account.label),
        (1, 2),
        "no join call during the wait"
    );
    let row = account_row(&fleet, account.id).await;
    assert!(near(row.join_flood_until.unwrap(), flood_ends));
    assert_eq!(row.status, AccountStatus::Active);
    let planned = memberships(&fleet, account.id)
        .await
        .iter()
        .filter(|m| m.state == MembershipState::Pending && m.planned_seq.is_some())
        .count();
    assert_eq!(
        planned, 0,
        "the rest of the slot was dropped, not waited for"
    );
    assert_eq!(
        logs.lines_with(&["FloodWait 1800s on join: not waiting; no joins until 2026-01-10 09:34"])
            .len(),
        1,
        "{}",
        logs.text()
    );
    assert_eq!(
        logs.lines_with(&["Skipping this slot: joins wait for a FloodWait until 2026-01-10 09:34"])
            .len(),
        1,
        "the 09:20 slot is skipped"
    );

    // Nothing happens between the end of the wait and the next slot (10:00).
    fleet
        .clock
        .sleep_until(slot() + TimeDelta::hours(1) - secs(1))
        .await;
    assert_eq!(world_joins(&fleet, &account.label), (1, 2));
    fleet
        .clock
        .sleep_until(slot() + TimeDelta::hours(1) + secs(1))
        .await;
    assert_eq!(
        world_joins(&fleet, &account.label),
        (2, 3),
        "the 10:00 slot joins again"
    );
    let events = join_events(&fleet).await;
    assert_eq!(events[1].flood_wait_secs, Some(1800));
    assert!(near(events[2].at, slot() + TimeDelta::hours(1)));
    logs.show_if_asked();
    finish(&fleet, vec![manager]).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_two_hour_flood_wait_rests_the_account(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    // One join per 8192 s, 992 s apart: the second join meets FLOOD_WAIT_7200.
    let fleet = fleet(
        pool,
        8192,
        992,
        r#"["0 9 * * *", "0 10 * * *", "0 12 * * *"]"#,
    )
    .await;
    let account = &fleet.accounts[0];
    let manager = spawn(fleet.context(Service::AccountManager), 3);

    let flooded_at = slot() + secs(992);
    fleet.clock.sleep_until(flooded_at + secs(1)).await;
    let row = account_row(&fleet, account.id).await;
    assert_eq!(row.status, AccountStatus::Resting);
    assert!(near(row.rest_until.unwrap(), flooded_at + secs(7200)));
    assert_eq!(
        row.status_reason.as_deref(),
        Some("flood_wait (FLOOD_WAIT_7200)")
    );
    let critical = logs.lines_with(&[
        "ERROR",
        "CRITICAL: FloodWait 7200s on join: the account rests until 2026-01-10 11:16",
    ]);
    assert_eq!(critical.len(), 1, "{}", logs.text());

    // The 10:00 slot finds it resting; the 12:00 slot wakes it and joins again.
    fleet
        .clock
        .sleep_until(slot() + TimeDelta::hours(3) - secs(1))
        .await;
    assert_eq!(world_joins(&fleet, &account.label), (1, 2));
    assert_eq!(
        logs.lines_with(&["Skipping this slot: the account rests until 2026-01-10 11:16"])
            .len(),
        1
    );
    fleet
        .clock
        .sleep_until(slot() + TimeDelta::hours(3) + secs(1))
        .await;
    let row = account_row(&fleet, account.id).await;
    assert_eq!(row.status, AccountStatus::Active);
    assert_eq!(row.rest_until, None);
    assert_eq!(world_joins(&fleet, &account.label), (2, 3));
    let events = join_events(&fleet).await;
    assert_eq!(events[1].outcome, "flood_wait");
    assert_eq!(events[1].flood_wait_secs, Some(7200));
    logs.show_if_asked();
    finish(&fleet, vec![manager]).await;
}
