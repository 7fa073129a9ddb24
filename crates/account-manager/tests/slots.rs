//! A slot joins at most `max_groups_per_slot` groups per account, one at a time,
//! with random pauses in the configured range (the log docs/design.md shows).

mod common;

use chrono::TimeDelta;
use common::{Logs, assert_joined, count_in, events_of, finish, spawn, utc, world_memberships};
use sqlx::PgPool;
use tg_world::{GeneratorSpec, GroupMix, Limits, Profile};
use tgfleet_config::Service;
use tgfleet_domain::MembershipState;
use tgfleet_testkit::TestFleet;

const SETTINGS: &str = r#"
[schedule]
time_zone = "Asia/Jakarta"
[joins]
slots = ["0 9 * * *"]
max_groups_per_slot = 5
pause_min_secs = 300
pause_max_secs = 600
"#;

#[sqlx::test(migrations = "../../migrations")]
async fn a_slot_joins_five_of_144_groups_per_account_with_pauses_in_range(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let mut spec = GeneratorSpec::new(11, 2, GroupMix::default().with(Profile::Open, 288));
    spec.limits = Limits::unlimited();
    // 08:00 in Jakarta; the slot fires at 09:00 (02:00 UTC).
    let fleet = TestFleet::builder(spec)
        .settings(SETTINGS)
        .starting_at(utc("2026-01-10T01:00:00Z"))
        .start(pool)
        .await;
    fleet.import_groups().await;
    let manager = spawn(fleet.context(Service::AccountManager), 7);

    fleet.clock.sleep_until(utc("2026-01-10T04:00:00Z")).await;

    let slot = utc("2026-01-10T02:00:00Z");
    for account in &fleet.accounts {
        assert_joined(&fleet, account, 5).await;
        assert_eq!(
            count_in(&fleet, account.id, MembershipState::Pending).await,
            139
        );
        let joins = events_of(&fleet, account.id, "join").await;
        assert_eq!(joins.len(), 5);
        assert!(joins.iter().all(|event| event.outcome == "joined"));
        let late = joins[0].at - slot;
        assert!(
            late >= TimeDelta::zero() && late < TimeDelta::seconds(1),
            "the first join at the slot time, not {late} later"
        );
        for pair in joins.windows(2) {
            let gap = pair[1].at - pair[0].at;
            assert!(
                gap >= TimeDelta::seconds(300) && gap <= TimeDelta::seconds(600),
                "{}: pause {gap} outside 5-10 min",
                account.label
            );
        }
        // The world saw the same gaps between the memberships it granted.
        let mut since: Vec<_> = world_memberships(&fleet, &account.label)
            .into_iter()
            .map(|view| view.since)
            .collect();
        since.sort();
        let stored: Vec<_> = joins.iter().map(|event| event.at).collect();
        assert_eq!(since, stored);
    }

    logs.show_if_asked();
    let text = logs.text();
    assert_eq!(
        logs.lines_with(&["Processing 5 of 144 groups (limit 5 per slot)"])
            .len(),
        2,
        "{text}"
    );
    for i in 1..=5 {
        assert_eq!(logs.lines_with(&[&format!("[{i}/5] @")]).len(), 2, "{text}");
    }
    assert_eq!(logs.lines_with(&["Successfully joined @"]).len(), 10);
    assert_eq!(logs.lines_with(&["Sleeping ", "before next join"]).len(), 8);
    assert_eq!(
        logs.lines_with(&["No more joins planned in this slot"])
            .len(),
        2
    );

    finish(&fleet, vec![manager]).await;
}
