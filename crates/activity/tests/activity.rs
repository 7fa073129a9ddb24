//! activity on a real Postgres, the in-process world and paused time.

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use common::{joined_fleet, run_for, spec};
use rand::SeedableRng;
use rand::rngs::StdRng;
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::time::Duration;
use tg_world::{Budget, FloodPolicy};
use tgfleet_activity::{Activity, load_accounts};
use tgfleet_config::Service;
use tgfleet_domain::{AccountStatus, ActivityWindows, Clock};
use tgfleet_testkit::{CallLog, TestFleet};

fn local_dates(calls: &[(String, &'static str, DateTime<Utc>)], zone: Tz) -> BTreeMap<String, u32> {
    let mut per_day = BTreeMap::new();
    for (_, _, at) in calls {
        *per_day
            .entry(at.with_timezone(&zone).date_naive().to_string())
            .or_insert(0) += 1;
    }
    per_day
}

#[sqlx::test(migrations = "../../migrations")]
async fn acts_only_inside_windows_sends_nothing_and_never_reacts_by_default(pool: PgPool) {
    let fleet = joined_fleet(pool, spec(21, 3, 12), "").await;
    let labels: Vec<String> = fleet.accounts.iter().map(|a| a.label.clone()).collect();
    fleet
        .store
        .set_account_time_zone(fleet.accounts[1].id, Some("Europe/Berlin"))
        .await
        .unwrap();
    fleet
        .store
        .suspend_account(&labels[2], Some("operator"))
        .await
        .unwrap();
    let log = CallLog::new();
    let ctx = fleet.recorded_context(Service::Activity, &log, Duration::from_millis(200));
    let holder = ctx.holder.clone();

    run_for(
        &fleet,
        Activity::new(ctx, StdRng::seed_from_u64(1)),
        Duration::from_secs(2 * 86_400),
    )
    .await;

    let windows = ActivityWindows::parse("5-10,18-24").unwrap();
    let zones = [chrono_tz::Asia::Jakarta, chrono_tz::Europe::Berlin];
    let calls = log.calls_of(&holder);
    for (label, zone) in labels.iter().zip(zones) {
        let mine: Vec<_> = calls
            .iter()
            .filter(|(l, _, _)| l == label)
            .cloned()
            .collect();
        assert!(!mine.is_empty(), "{label} was active");
        for (_, method, at) in &mine {
            let local = at.with_timezone(&zone);
            assert!(
                windows.contains(local.time()),
                "{label}: {method} at {local} is outside the windows"
            );
            assert!(
                [
                    "recent_messages",
                    "mark_read",
                    "active_stories",
                    "view_stories"
                ]
                .contains(method),
                "{label} called {method}"
            );
        }
        // Two days, two windows a day: activity every day.
        assert!(
            local_dates(&mine, zone).len() >= 2,
            "{label}: {:?}",
            local_dates(&mine, zone)
        );
        let counters = fleet.world.lock().unwrap().counters(label).unwrap().clone();
        assert!(counters.reads > 0, "{label}: {counters:?}");
        assert!(counters.stories_viewed > 0, "{label}: {counters:?}");
        assert_eq!(
            counters.reactions, 0,
            "{label}: reactions are off by default"
        );
        assert_eq!(counters.sends, 0);
        let account = fleet.stored_account(label).await;
        let next = account.activity_next_at.expect("a planned next cycle");
        assert!(
            windows.contains(next.with_timezone(&zone).time()),
            "{label}: next cycle at {next}"
        );
        assert!(account.last_activity.is_some());
    }
    assert!(
        calls.iter().all(|(label, _, _)| label != &labels[2]),
        "a suspended account does nothing"
    );
    assert!(
        fleet.world.lock().unwrap().sent().is_empty(),
        "activity never sends"
    );
    assert!(log.violations().is_empty(), "{:?}", log.violations());

    // Cycles are at least the shortest gap apart (the first connection is the start-up check).
    for account in &fleet.accounts[..2] {
        let opened: Vec<DateTime<Utc>> = log
            .connections()
            .iter()
            .filter(|c| c.account == account.id)
            .map(|c| c.opened_at)
            .skip(1)
            .collect();
        assert!(
            opened.len() >= 10,
            "{}: {} cycles",
            account.label,
            opened.len()
        );
        for pair in opened.windows(2) {
            assert!(
                pair[1] - pair[0] >= TimeDelta::minutes(30),
                "{}: {pair:?}",
                account.label
            );
        }
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn reactions_when_enabled_stay_within_the_daily_cap(pool: PgPool) {
    let settings = "[activity]\nreactions_enabled = true\nreactions_per_day = 2\ncycle_gap_min_secs = 600\ncycle_gap_max_secs = 1200";
    let fleet = joined_fleet(pool, spec(22, 2, 8), settings).await;
    let log = CallLog::new();
    let ctx = fleet.recorded_context(Service::Activity, &log, Duration::ZERO);
    let holder = ctx.holder.clone();

    run_for(
        &fleet,
        Activity::new(ctx, StdRng::seed_from_u64(2)),
        Duration::from_secs(2 * 86_400),
    )
    .await;

    let jakarta = chrono_tz::Asia::Jakarta;
    let reactions: Vec<_> = log
        .calls_of(&holder)
        .into_iter()
        .filter(|(_, method, _)| *method == "react")
        .collect();
    let mut total = 0;
    for account in &fleet.accounts {
        let mine: Vec<_> = reactions
            .iter()
            .filter(|(l, _, _)| *l == account.label)
            .cloned()
            .collect();
        let per_day = local_dates(&mine, jakarta);
        assert!(
            per_day.values().all(|n| *n <= 2),
            "{}: {per_day:?}",
            account.label
        );
        assert!(
            per_day.values().any(|n| *n == 2),
            "{}: the cap is reached: {per_day:?}",
            account.label
        );
        let counters = fleet
            .world
            .lock()
            .unwrap()
            .counters(&account.label)
            .unwrap()
            .clone();
        assert_eq!(counters.reactions as usize, mine.len());
        total += mine.len();
    }
    assert!(total > 0);
    assert!(
        fleet.world.lock().unwrap().sent().is_empty(),
        "activity never sends"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_flood_wait_stops_the_account_until_it_ends(pool: PgPool) {
    let mut spec = spec(23, 1, 6);
    // Two history requests a day: the third one waits 12 hours.
    spec.limits.history = Budget::new(2, 86_400);
    spec.limits.flood = FloodPolicy {
        growth_factor: 1.0,
        ..FloodPolicy::default()
    };
    let settings = "[activity]\nwindows = \"0-24\"\nchats_per_cycle = 3";
    let fleet = joined_fleet(pool, spec, settings).await;
    let log = CallLog::new();
    let ctx = fleet.recorded_context(Service::Activity, &log, Duration::ZERO);
    let holder = ctx.holder.clone();

    run_for(
        &fleet,
        Activity::new(ctx, StdRng::seed_from_u64(3)),
        Duration::from_secs(11 * 3600),
    )
    .await;

    let calls = log.calls_of(&holder);
    let history: Vec<_> = calls
        .iter()
        .filter(|(_, m, _)| *m == "recent_messages")
        .collect();
    assert_eq!(
        history.len(),
        3,
        "two allowed, the third answered FloodWait: {calls:?}"
    );
    let flooded_at = history[2].2;
    assert_eq!(
        calls.last().map(|c| c.2),
        Some(flooded_at),
        "nothing after the FloodWait: {calls:?}"
    );
    let account = fleet.stored_account(&fleet.accounts[0].label).await;
    let until = account.other_flood_until.expect("the wait is recorded");
    assert!(
        until >= flooded_at + TimeDelta::hours(12) - TimeDelta::seconds(1),
        "{until}"
    );
    assert!(
        fleet
            .world
            .lock()
            .unwrap()
            .counters(&account.label)
            .unwrap()
            .flood_waits_of(tg_world::MethodClass::History)
            == 1
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn two_replicas_share_the_plan_and_never_double_a_cycle(pool: PgPool) {
    let fleet = joined_fleet(pool, spec(24, 3, 9), "").await;
    let log = CallLog::new();
    let first = fleet.recorded_context(Service::Activity, &log, Duration::from_millis(500));
    let second = fleet.recorded_context(Service::Activity, &log, Duration::from_millis(500));
    let clock = fleet.clock.clone();
    let shutdown = fleet.shutdown.clone();
    let stop = async move {
        clock.sleep(Duration::from_secs(2 * 86_400)).await;
        shutdown.cancel();
    };
    let (a, b, ()) = tokio::join!(
        Activity::new(first, StdRng::seed_from_u64(4)).run(),
        Activity::new(second, StdRng::seed_from_u64(5)).run(),
        stop
    );
    a.unwrap();
    b.unwrap();

    assert!(log.violations().is_empty(), "{:?}", log.violations());
    for account in &fleet.accounts {
        // Each replica's start-up check connects once; cycles come after.
        let cycles: Vec<DateTime<Utc>> = log
            .connections()
            .iter()
            .filter(|c| c.account == account.id)
            .map(|c| c.opened_at)
            .skip(2)
            .collect();
        assert!(cycles.len() >= 8, "{}: {}", account.label, cycles.len());
        for pair in cycles.windows(2) {
            assert!(
                pair[1] - pair[0] >= TimeDelta::minutes(30),
                "{}: {pair:?}",
                account.label
            );
        }
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn start_up_reports_each_account_not_loaded(pool: PgPool) {
    let mut spec = spec(25, 4, 0);
    spec.accounts.revoked = 1;
    let fleet = TestFleet::builder(spec).start(pool).await;
    let labels: Vec<String> = fleet.accounts.iter().map(|a| a.label.clone()).collect();
    fleet
        .store
        .suspend_account(&labels[1], Some("operator"))
        .await
        .unwrap();
    let ctx = fleet.context(Service::Activity);

    let report = load_accounts(&ctx).await.unwrap();

    assert_eq!(report.loaded, vec![labels[0].clone(), labels[2].clone()]);
    assert_eq!(
        report.not_loaded,
        vec![
            (labels[1].clone(), "suspended (operator)".to_owned()),
            (
                labels[3].clone(),
                "session refused: unauthorized (AUTH_KEY_UNREGISTERED)".to_owned()
            ),
        ]
    );
    let revoked = fleet.stored_account(&labels[3]).await;
    assert_eq!(revoked.status, AccountStatus::Unauthorized);
    assert!(fleet.clock.now() >= fleet.generated.scenario.epoch);
}
