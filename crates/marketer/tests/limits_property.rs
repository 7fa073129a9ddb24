//! Property: over a simulated day with random windows, caps, gaps, zones, accounts,
//! groups and campaigns, what the world recorded as sent never exceeds a cap, never
//! breaks a gap or a window, never repeats content in a group within its interval,
//! and matches the posts table one to one.
//!
//! Each case runs on a fresh database (created like `#[sqlx::test]` does) and its own
//! paused-time runtime.

mod common;

use chrono::TimeDelta;
use common::*;
use proptest::prelude::*;
use sqlx::PgPool;
use sqlx::testing::{TestArgs, TestFn as _};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tg_world::{GroupMix, Profile};
use tgfleet_domain::{ActivityWindows, PostState};
use tgfleet_store::CampaignTarget;

#[derive(Clone, Debug)]
struct DayCase {
    seed: u64,
    accounts: u32,
    groups: u32,
    /// Per campaign: repeat interval (minutes) and number of variants.
    campaigns: Vec<(u32, u32)>,
    windows: String,
    zone: &'static str,
    per_day: u32,
    per_hour: u32,
    gap_account_secs: u32,
    gap_chat_secs: u32,
}

fn windows() -> impl Strategy<Value = String> {
    prop::collection::vec((0u8..24, 1u8..=24), 1..3).prop_filter_map("empty ranges", |ranges| {
        let text: Vec<String> = ranges
            .iter()
            .filter(|(start, end)| start != end)
            .map(|(start, end)| format!("{start}-{end}"))
            .collect();
        ActivityWindows::parse(&text.join(","))
            .ok()
            .map(|windows| windows.to_string())
    })
}

fn day_case() -> impl Strategy<Value = DayCase> {
    (
        0u64..=i64::MAX as u64,
        1u32..=3,
        4u32..=16,
        prop::collection::vec((30u32..=360, 1u32..=3), 1..=3),
        windows(),
        prop::sample::select(vec!["Asia/Jakarta", "Europe/Berlin", "America/New_York"]),
        (1u32..=8, 0u32..=32),
        0u32..=300,
        0u32..=3600,
    )
        .prop_map(
            |(
                seed,
                accounts,
                groups,
                campaigns,
                windows,
                zone,
                (per_hour, extra),
                gap_a,
                gap_c,
            )| {
                DayCase {
                    seed,
                    accounts,
                    groups,
                    campaigns,
                    windows,
                    zone,
                    per_day: per_hour + extra,
                    per_hour,
                    gap_account_secs: gap_a,
                    gap_chat_secs: gap_c,
                }
            },
        )
}

thread_local! {
    static CASE: RefCell<Option<DayCase>> = const { RefCell::new(None) };
}

static CASES: AtomicUsize = AtomicUsize::new(0);

/// Runs one case on a fresh database, the way `#[sqlx::test]` runs a test.
fn run_case(case: DayCase) {
    CASE.with(|slot| *slot.borrow_mut() = Some(case));
    let n = CASES.fetch_add(1, Ordering::Relaxed);
    let path: &'static str =
        Box::leak(format!("tgfleet_marketer::limits_property::case_{n}").into_boxed_str());
    let mut args = TestArgs::new(path);
    args.migrator(&tgfleet_store::MIGRATOR);
    let test: fn(PgPool) -> _ = simulated_day;
    test.run_test(args);
}

async fn simulated_day(pool: PgPool) {
    let case = CASE.with(|slot| slot.borrow_mut().take()).expect("a case");
    let (logs, _guard) = Logs::capture();
    let settings = format!(
        "[schedule]\ntime_zone = \"{}\"\n[posting]\nwindows = \"{}\"\nper_day = {}\nper_hour = {}\nmin_gap_account_secs = {}\nmin_gap_chat_secs = {}",
        case.zone,
        case.windows,
        case.per_day,
        case.per_hour,
        case.gap_account_secs,
        case.gap_chat_secs
    );
    let fleet = fleet(
        pool,
        spec(
            case.seed,
            case.accounts,
            GroupMix::default().with(Profile::Open, case.groups),
        ),
        &settings,
    )
    .await;
    let labels: Vec<String> = fleet.accounts.iter().map(|a| a.label.clone()).collect();
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    join_groups(&fleet, &labels, &[]).await;
    let mut interval_of_text: HashMap<String, TimeDelta> = HashMap::new();
    for (index, (minutes, variants)) in case.campaigns.iter().enumerate() {
        let name = format!("campaign-{index}");
        campaign(
            &fleet,
            &name,
            CampaignTarget::All,
            Duration::from_secs(u64::from(*minutes) * 60),
        )
        .await;
        for variant in 0..*variants {
            let body = format!("Offer {index}.{variant}");
            add_text(&fleet.store, &name, &body).await;
            interval_of_text.insert(body, TimeDelta::minutes(i64::from(*minutes)));
        }
    }

    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, case.seed)],
        Duration::from_secs(24 * 3600),
    )
    .await;

    let records = sent(&fleet);
    let limits = RunLimits {
        windows: ActivityWindows::parse(&case.windows).unwrap(),
        zone: case.zone.parse().unwrap(),
        per_day: case.per_day as usize,
        per_hour: case.per_hour as usize,
        gap_account: TimeDelta::seconds(i64::from(case.gap_account_secs)),
        gap_chat: TimeDelta::seconds(i64::from(case.gap_chat_secs)),
    };
    let found = violations(&records, &limits);
    assert!(found.is_empty(), "{case:?}\n{found:#?}");

    let mut last_seen: BTreeMap<(i64, &str), chrono::DateTime<chrono::Utc>> = BTreeMap::new();
    for (_, record) in &records {
        let interval = interval_of_text[&record.text];
        if let Some(previous) = last_seen.insert((record.channel_id, &record.text), record.date) {
            assert!(
                record.date - previous >= interval,
                "{case:?}: {:?} repeated in {} after {}",
                record.text,
                record.channel_id,
                record.date - previous
            );
        }
    }

    let posts = posts(&fleet.store).await;
    let sent_posts = posts.iter().filter(|p| p.state == PostState::Sent).count();
    assert_eq!(sent_posts, records.len(), "{case:?}");
    assert!(
        posts.iter().all(|p| p.state != PostState::Pending),
        "nothing is left pending after a clean stop"
    );
    assert!(
        logs.lines_with("ERROR").is_empty(),
        "{case:?}\n{}",
        logs.text()
    );
    resume_time();
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 10,
        failure_persistence: None,
        max_shrink_iters: 8,
        ..ProptestConfig::default()
    })]

    #[test]
    fn caps_gaps_windows_and_content_hold_over_a_simulated_day(case in day_case()) {
        run_case(case);
    }
}
