//! One bad group never ends a slot; two replicas join each group once; a process
//! killed between a join request and its record loses and repeats nothing;
//! groups and accounts added while running are picked up without a restart;
//! accounts that can no longer join hand their groups over.

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::{
    Logs, assert_joined, context_with, count_in, events_of, finish, import_in_order, lines_of,
    memberships, near, spawn, utc, world_joins, world_memberships,
};
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::time::Duration;
use tg_world::{GeneratorSpec, GroupMix, Limits, Profile};
use tgfleet_config::Service;
use tgfleet_domain::{AccountStatus, Clock as _, GroupId, GroupStatus, MembershipState};
use tgfleet_store::{GroupFilter, ImportedGroup};
use tgfleet_telegram::TgError;
use tgfleet_testkit::Faulty;
use tgfleet_testkit::TestFleet;

/// 09:00 in Jakarta.
fn slot() -> DateTime<Utc> {
    utc("2026-01-10T02:00:00Z")
}

fn settings(limit: u32) -> String {
    format!("[joins]\nslots = [\"0 9 * * *\"]\nmax_groups_per_slot = {limit}\n")
}

async fn start(pool: PgPool, spec: GeneratorSpec, limit: u32) -> TestFleet {
    TestFleet::builder(spec)
        .settings(&settings(limit))
        .starting_at(utc("2026-01-10T01:00:00Z"))
        .start(pool)
        .await
}

fn open_world(accounts: u32, groups: u32) -> GeneratorSpec {
    let mut spec = GeneratorSpec::new(
        21,
        accounts,
        GroupMix::default().with(Profile::Open, groups),
    );
    spec.limits = Limits::unlimited();
    spec
}

fn channel_of(fleet: &TestFleet, line: &str) -> i64 {
    fleet
        .generated
        .handles
        .iter()
        .find(|handle| handle.line == line)
        .and_then(|handle| handle.channel_id)
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_inaccessible_group_and_an_unexpected_error_do_not_stop_the_slot(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let mut spec = GeneratorSpec::new(
        31,
        1,
        GroupMix::default()
            .with(Profile::Open, 5)
            .with(Profile::Missing, 1),
    );
    spec.limits = Limits::unlimited();
    let fleet = start(pool, spec, 6).await;
    let open = lines_of(&fleet, Profile::Open);
    let missing = lines_of(&fleet, Profile::Missing);
    // The slot's order: two good groups, a missing one, one that fails unexpectedly, two good ones.
    let order = [
        &open[0],
        &open[1],
        &missing[0],
        &open[2],
        &open[3],
        &open[4],
    ];
    let groups = import_in_order(&fleet, &order).await;
    let connector = Faulty::new(fleet.connector.clone());
    connector.fail_join(
        channel_of(&fleet, &open[2]),
        TgError::from_rpc(400, "CHAT_INVALID_SOMETHING", None),
    );
    let manager = spawn(context_with(&fleet, Service::AccountManager, connector), 4);

    fleet.clock.sleep_until(slot() + TimeDelta::hours(2)).await;
    let account = &fleet.accounts[0];
    let states: Vec<(GroupId, MembershipState)> = memberships(&fleet, account.id)
        .await
        .into_iter()
        .map(|m| (m.group, m.state))
        .collect();
    assert_eq!(
        states,
        vec![
            (groups[0], MembershipState::Joined),
            (groups[1], MembershipState::Joined),
            (groups[2], MembershipState::Failed),
            (groups[3], MembershipState::Pending),
            (groups[4], MembershipState::Joined),
            (groups[5], MembershipState::Joined),
        ]
    );
    assert_eq!(
        world_joins(&fleet, &account.label),
        (4, 4),
        "the failing join never reached Telegram"
    );
    let catalogue = fleet
        .store
        .list_groups(&GroupFilter::default())
        .await
        .unwrap();
    let status = |id: GroupId| catalogue.iter().find(|g| g.id == id).unwrap().status;
    assert_eq!(status(groups[2]), GroupStatus::Inaccessible);
    assert_eq!(status(groups[3]), GroupStatus::New);
    assert_eq!(status(groups[4]), GroupStatus::Active);
    let failed = memberships(&fleet, account.id)
        .await
        .into_iter()
        .find(|m| m.group == groups[3])
        .unwrap();
    assert_eq!(failed.attempts, 1, "the attempt is recorded");
    assert_eq!(
        failed.last_error.as_deref(),
        Some("other (CHAT_INVALID_SOMETHING)")
    );
    let events: Vec<(String, String)> = fleet
        .store
        .join_events(account.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.group == Some(groups[2]) || event.group == Some(groups[3]))
        .map(|event| (event.action, event.outcome))
        .collect();
    assert_eq!(
        events,
        vec![
            ("resolve".to_owned(), "inaccessible".to_owned()),
            ("resolve".to_owned(), "ok".to_owned()),
            ("join".to_owned(), "other".to_owned()),
        ]
    );
    for i in 1..=6 {
        assert_eq!(
            logs.lines_with(&[&format!("[{i}/6] ")]).len(),
            1,
            "{}",
            logs.text()
        );
    }
    assert_eq!(
        logs.lines_with(&["is inaccessible", "marked inaccessible"])
            .len(),
        1
    );
    assert_eq!(
        logs.lines_with(&["CHAT_INVALID_SOMETHING", "moving on to the next group"])
            .len(),
        1
    );
    logs.show_if_asked();
    finish(&fleet, vec![manager]).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn two_replicas_on_the_same_slot_join_each_group_once(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let fleet = start(pool, open_world(3, 60), 5).await;
    fleet.import_groups().await;
    let first = spawn(fleet.context(Service::AccountManager), 10);
    let second = spawn(fleet.context(Service::AccountManager), 11);

    fleet.clock.sleep_until(slot() + TimeDelta::hours(2)).await;
    let mut joined_groups = BTreeMap::new();
    for account in &fleet.accounts {
        assert_joined(&fleet, account, 5).await;
        for view in world_memberships(&fleet, &account.label) {
            *joined_groups.entry(view.channel_id).or_insert(0) += 1;
        }
        let joins = events_of(&fleet, account.id, "join").await.len();
        assert_eq!(joins, 5, "{}: one recorded attempt per join", account.label);
    }
    assert_eq!(joined_groups.len(), 15);
    assert!(joined_groups.values().all(|members| *members == 1));
    assert_eq!(
        logs.lines_with(&["Processing 5 of 20 groups"]).len(),
        3,
        "one replica plans the slot: {}",
        logs.text()
    );
    finish(&fleet, vec![first, second]).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_process_killed_mid_slot_neither_repeats_a_join_nor_loses_the_rest(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let fleet = start(pool, open_world(2, 20), 5).await;
    fleet.import_groups().await;
    let connector = Faulty::new(fleet.connector.clone());
    // acc0001's third join goes through, and the process dies before recording it.
    let hung = connector.hang_after_join("acc0001", 3);
    let doomed = spawn(
        context_with(&fleet, Service::AccountManager, connector.clone()),
        20,
    );
    hung.await.expect("the third join was sent");
    doomed.abort();
    assert!(doomed.await.unwrap_err().is_cancelled());
    let killed_at = fleet.clock.now();

    let account = fleet.account("acc0001");
    let in_flight: Vec<_> = memberships(&fleet, account.id)
        .await
        .into_iter()
        .filter(|m| m.join_started_at.is_some())
        .collect();
    assert_eq!(in_flight.len(), 1, "the crash left one join in flight");
    assert_eq!(in_flight[0].state, MembershipState::Pending);
    assert_eq!(
        world_joins(&fleet, "acc0001"),
        (3, 3),
        "the world did join it"
    );

    let restarted = spawn(context_with(&fleet, Service::AccountManager, connector), 21);
    fleet.clock.sleep_until(slot() + TimeDelta::hours(2)).await;
    for account in &fleet.accounts {
        assert_joined(&fleet, account, 5).await;
        assert!(
            memberships(&fleet, account.id)
                .await
                .iter()
                .all(|m| m.join_started_at.is_none())
        );
    }
    let checks = events_of(&fleet, account.id, "join_check").await;
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].outcome, "already_member");
    assert_eq!(checks[0].group, Some(in_flight[0].group));
    // The check waited for the dead holder's lease to expire (120 s), no longer.
    assert!(checks[0].at >= killed_at + TimeDelta::seconds(120));
    assert!(checks[0].at <= killed_at + TimeDelta::seconds(150));
    assert_eq!(
        logs.lines_with(&["[3/5] ", "checking membership instead of joining again"])
            .len(),
        1
    );
    finish(&fleet, vec![restarted]).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn groups_and_accounts_added_while_running_are_picked_up_without_a_restart(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let fleet = start(pool, open_world(2, 12), 5).await;
    let lines = lines_of(&fleet, Profile::Open);
    let (first, later) = lines.split_at(4);
    import_in_order(&fleet, first).await;
    // The second account is out of service when the manager starts.
    fleet
        .store
        .suspend_account("acc0002", Some("not yet"))
        .await
        .unwrap();
    let manager = spawn(fleet.context(Service::AccountManager), 30);
    fleet.clock.sleep(Duration::from_secs(5)).await;
    let started = fleet.clock.now();
    assert_eq!(
        count_in(
            &fleet,
            fleet.account("acc0001").id,
            MembershipState::Pending
        )
        .await,
        4
    );

    // What `tgfleet accounts resume` and `tgfleet groups import` do, while it runs.
    let added: Vec<ImportedGroup> = later
        .iter()
        .map(|line| ImportedGroup {
            handle: tgfleet_domain::GroupHandle::parse(line).unwrap(),
            tags: Vec::new(),
        })
        .collect();
    fleet.store.resume_account("acc0002").await.unwrap();
    fleet.store.import_groups(&added).await.unwrap();

    // The NOTIFY reaches the running manager: no time passes (no re-check timer, no slot).
    let assigned = wait_real_time(|| async {
        let groups = fleet
            .store
            .list_groups(&GroupFilter::default())
            .await
            .unwrap();
        groups
            .iter()
            .all(|group| group.responsible_account.is_some())
    })
    .await;
    assert!(
        assigned,
        "new groups assigned after NOTIFY: {}",
        logs.text()
    );
    assert!(fleet.clock.now() - started < TimeDelta::seconds(1));
    let acc2 = fleet.account("acc0002").id;
    assert_eq!(
        count_in(&fleet, acc2, MembershipState::Pending).await,
        6,
        "the resumed account takes the new groups first"
    );

    // The next slot joins them.
    fleet.clock.sleep_until(slot() + TimeDelta::hours(2)).await;
    assert_eq!(world_joins(&fleet, "acc0001"), (5, 5));
    assert_eq!(world_joins(&fleet, "acc0002"), (5, 5));
    assert_eq!(
        logs.lines_with(&["Processing 5 of 6 groups"]).len(),
        2,
        "{}",
        logs.text()
    );
    finish(&fleet, vec![manager]).await;
}

/// Polls `check` for up to 10 s of real time while tokio's paused clock stands still
/// (a blocking task in flight keeps it from advancing).
async fn wait_real_time<F, Fut>(check: F) -> bool
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..500 {
        if check().await {
            return true;
        }
        tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(20)))
            .await
            .unwrap();
    }
    false
}

#[sqlx::test(migrations = "../../migrations")]
async fn channels_too_much_below_the_cap_holds_joins_and_a_lost_account_hands_over(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let mut spec = open_world(3, 30);
    // acc0003's session is revoked; Telegram answers CHANNELS_TOO_MUCH after 3
    // channels, far below the configured cap of 500: its anti-abuse hold.
    spec.accounts.revoked = 1;
    spec.limits.channels_max = 3;
    let fleet = TestFleet::builder(spec)
        .settings(&format!("{}channels_hold_hours = 1\n", settings(5)))
        .starting_at(utc("2026-01-10T01:00:00Z"))
        .start(pool)
        .await;
    fleet.import_groups().await;
    let manager = spawn(fleet.context(Service::AccountManager), 40);

    fleet.clock.sleep_until(slot() + TimeDelta::hours(2)).await;
    logs.show_if_asked();
    let row = |label: &'static str| {
        let store = fleet.store.clone();
        async move { store.account_by_label(label).await.unwrap().unwrap() }
    };
    assert_eq!(row("acc0003").await.status, AccountStatus::Unauthorized);
    for label in ["acc0001", "acc0002"] {
        let account = row(label).await;
        assert_eq!(account.status, AccountStatus::Active);
        assert_eq!(
            account.joins_stopped_reason, None,
            "{label}: held, not stopped"
        );
        let held_until = account.join_flood_until.expect("a hold");
        assert!(
            held_until > slot() && held_until <= slot() + TimeDelta::hours(2),
            "{label}: held for an hour from the refusal: {held_until}"
        );
        assert_eq!(
            world_joins(&fleet, label),
            (3, 4),
            "{label}: 3 joins, then CHANNELS_TOO_MUCH"
        );
        assert_eq!(
            count_in(&fleet, account.id, MembershipState::Joined).await,
            3
        );
        assert!(
            count_in(&fleet, account.id, MembershipState::Pending).await > 0,
            "{label} keeps its groups"
        );
    }
    let acc3 = fleet.account("acc0003").id;
    assert!(
        memberships(&fleet, acc3).await.is_empty(),
        "acc0003 never tried a group"
    );
    assert_eq!(logs.lines_with(&["anti-abuse hold"]).len(), 2);

    // Joins resume after the hold: the next day's slot tries again.
    fleet.clock.sleep_until(slot() + TimeDelta::hours(26)).await;
    for label in ["acc0001", "acc0002"] {
        let (joins, calls) = world_joins(&fleet, label);
        assert!(
            calls > 4,
            "{label} joined again after its hold: {joins}/{calls}"
        );
        assert_eq!(row(label).await.joins_stopped_reason, None);
    }
    finish(&fleet, vec![manager]).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn transient_errors_are_retried_a_bounded_number_of_times(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let fleet = start(pool, open_world(1, 4), 4).await;
    let lines = lines_of(&fleet, Profile::Open);
    let groups = import_in_order(&fleet, &lines).await;
    let connector = Faulty::new(fleet.connector.clone());
    // The first group's network fails once, the second's always.
    connector.fail_join_times(
        channel_of(&fleet, &lines[0]),
        TgError::transient("connection reset"),
        1,
    );
    connector.fail_join(
        channel_of(&fleet, &lines[1]),
        TgError::transient("connection reset"),
    );
    let manager = spawn(context_with(&fleet, Service::AccountManager, connector), 50);

    fleet.clock.sleep_until(slot() + TimeDelta::hours(2)).await;
    logs.show_if_asked();
    let account = &fleet.accounts[0];
    let events: Vec<(GroupId, String, DateTime<Utc>)> = events_of(&fleet, account.id, "join")
        .await
        .into_iter()
        .map(|event| (event.group.unwrap(), event.outcome, event.at))
        .collect();
    let outcomes: Vec<(GroupId, &str)> = events
        .iter()
        .map(|(group, outcome, _)| (*group, outcome.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (groups[0], "transient"),
            (groups[0], "joined"),
            (groups[1], "transient"),
            (groups[1], "transient"),
            (groups[1], "transient"),
            (groups[2], "joined"),
            (groups[3], "joined"),
        ],
        "one retry heals the first group; the second gives up after 2 retries"
    );
    // Retries come a minute apart, not after a full pause.
    assert!(near(events[1].2, events[0].2 + TimeDelta::seconds(60)));
    assert!(near(events[3].2, events[2].2 + TimeDelta::seconds(60)));
    let given_up = memberships(&fleet, account.id)
        .await
        .into_iter()
        .find(|m| m.group == groups[1])
        .unwrap();
    assert_eq!(given_up.state, MembershipState::Pending);
    assert_eq!(given_up.planned_seq, None, "left for a later slot");
    assert_eq!(given_up.attempts, 3);
    assert_eq!(
        logs.lines_with(&["retries used up, left pending for a later slot"])
            .len(),
        1
    );
    finish(&fleet, vec![manager]).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn every_kind_of_group_ends_in_its_state(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let mut mix = GroupMix::default();
    for profile in Profile::ALL {
        mix = mix.with(*profile, 1);
    }
    let mut spec = GeneratorSpec::new(41, 1, mix);
    spec.limits = Limits::unlimited();
    let fleet = start(pool, spec, Profile::ALL.len() as u32).await;
    fleet.import_groups().await;
    let manager = spawn(fleet.context(Service::AccountManager), 60);
    fleet.clock.sleep_until(slot() + TimeDelta::hours(5)).await;
    logs.show_if_asked();

    let account = &fleet.accounts[0];
    let states: BTreeMap<String, MembershipState> = memberships(&fleet, account.id)
        .await
        .into_iter()
        .map(|m| (m.handle.key(), m.state))
        .collect();
    let catalogue = fleet
        .store
        .list_groups(&GroupFilter::default())
        .await
        .unwrap();
    for generated in &fleet.generated.handles {
        let key = tgfleet_domain::GroupHandle::parse(&generated.line)
            .unwrap()
            .key();
        let group = catalogue.iter().find(|g| g.handle.key() == key).unwrap();
        let (membership, status) = match generated.profile {
            Profile::Approval => (MembershipState::JoinRequested, GroupStatus::New),
            Profile::BasicInvite => (MembershipState::Failed, GroupStatus::Active),
            profile if profile.is_inaccessible() => {
                (MembershipState::Failed, GroupStatus::Inaccessible)
            }
            _ => (MembershipState::Joined, GroupStatus::Active),
        };
        assert_eq!(states[&key], membership, "{:?} {key}", generated.profile);
        assert_eq!(group.status, status, "{:?} {key}", generated.profile);
        if generated.profile == Profile::BasicInvite {
            assert!(!group.can_post, "{key}: a basic group is not posted to");
        }
        if membership == MembershipState::Joined {
            assert!(group.title.is_some(), "{key}: the title is stored");
            assert!(group.kind.is_some(), "{key}: the kind is stored");
        }
    }
    let joined = states
        .values()
        .filter(|s| **s == MembershipState::Joined)
        .count();
    assert_eq!(world_joins(&fleet, &account.label).0 as usize, joined);
    assert_eq!(logs.lines_with(&["Join request sent to +"]).len(), 1);
    finish(&fleet, vec![manager]).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_basic_group_invite_is_refused_before_joining(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let mut spec = GeneratorSpec::new(
        43,
        2,
        GroupMix::default()
            .with(Profile::Open, 2)
            .with(Profile::BasicInvite, 1),
    );
    spec.limits = Limits::unlimited();
    let fleet = start(pool, spec, 5).await;
    fleet.import_groups().await;
    let manager = spawn(fleet.context(Service::AccountManager), 61);
    fleet.clock.sleep_until(slot() + TimeDelta::hours(5)).await;
    let basic_line = &lines_of(&fleet, Profile::BasicInvite)[0];
    let basic_key = tgfleet_domain::GroupHandle::parse(basic_line)
        .unwrap()
        .key();
    let catalogue = fleet
        .store
        .list_groups(&GroupFilter::default())
        .await
        .unwrap();
    let basic = catalogue
        .iter()
        .find(|g| g.handle.key() == basic_key)
        .unwrap();
    assert_eq!(basic.status, GroupStatus::Active);
    assert!(!basic.can_post);
    assert_eq!(
        basic.status_reason.as_deref(),
        Some("basic group: tgfleet posts only to supergroups and channels")
    );
    assert_eq!(
        invite_checks(&fleet).await,
        1,
        "the invite was checked once"
    );
    let first_slot_joins: u32 = fleet
        .accounts
        .iter()
        .map(|account| world_joins(&fleet, &account.label).1)
        .sum();
    assert_eq!(first_slot_joins, 2, "only the open groups were joined");
    assert_eq!(
        logs.lines_with(&["Not joining", "basic group"]).len(),
        1,
        "{}",
        logs.text()
    );

    // The next day's slot neither checks nor joins it again.
    fleet
        .clock
        .sleep_until(slot() + TimeDelta::days(1) + TimeDelta::hours(5))
        .await;
    assert_eq!(invite_checks(&fleet).await, 1, "not tried again");
    for account in &fleet.accounts {
        assert_eq!(
            world_joins(&fleet, &account.label).1,
            count_in(&fleet, account.id, MembershipState::Joined).await as u32,
            "{}: no import was sent for the basic group",
            account.label
        );
        let in_basic = world_memberships(&fleet, &account.label)
            .into_iter()
            .any(|view| {
                Some(view.channel_id) == channel_of_basic(&fleet) && view.standing.is_member()
            });
        assert!(
            !in_basic,
            "{}: never a member of the basic group",
            account.label
        );
    }
    finish(&fleet, vec![manager]).await;
}

/// The `invite_check` events of every account.
async fn invite_checks(fleet: &TestFleet) -> usize {
    let mut checks = 0;
    for account in &fleet.accounts {
        checks += events_of(fleet, account.id, "invite_check").await.len();
    }
    checks
}

fn channel_of_basic(fleet: &TestFleet) -> Option<i64> {
    fleet.generated.handles_of(Profile::BasicInvite)[0].channel_id
}
