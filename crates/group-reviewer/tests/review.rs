//! group-reviewer on a real Postgres, the in-process world and paused time.

mod common;

use common::{groups_by_handle, ids_of, joined_fleet, mix_144, open_fleet};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tg_world::{Budget, FloodPolicy, GeneratorSpec, GroupMix, Limits, Profile};
use tgfleet_config::Service;
use tgfleet_domain::{AccountStatus, Clock, GroupHandle, GroupStatus, MembershipState};
use tgfleet_group_reviewer::{DeferReason, PassedOver, Progress, ReviewError, review_once, run};
use tgfleet_store::GroupFilter;
use tgfleet_testkit::CallLog;

fn expected_status(profile: Profile) -> (GroupStatus, bool) {
    match profile {
        Profile::KickAfterJoin => (GroupStatus::Banned, false),
        p if p.is_inaccessible() => (GroupStatus::Inaccessible, false),
        // A group refusing text takes media (granular rights): it is no reason to
        // close it; the marketer records the refused kind instead.
        Profile::Broadcast | Profile::Approval => (GroupStatus::Active, false),
        _ => (GroupStatus::Active, true),
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn seed_catalogue_of_144_groups_gives_the_seed_counts(pool: PgPool) {
    let (fleet, seeded) = joined_fleet(pool, GeneratorSpec::new(144, 3, mix_144()), "").await;
    assert_eq!(seeded.len(), 144);
    let log = CallLog::new();
    let ctx = fleet.recorded_context(Service::GroupReviewer, &log, Duration::ZERO);
    let started = fleet.clock.now();

    let summary = review_once(&ctx, None).await.unwrap();

    let totals = summary.totals;
    assert_eq!(totals.checked, 144);
    assert_eq!(
        totals.members, 110,
        "144 - 5 banned - 25 gone - 4 awaiting approval"
    );
    assert_eq!(
        totals.can_post, 104,
        "110 members - 6 broadcast (the 4 without text take media)"
    );
    assert_eq!(totals.marked_banned, 5);
    assert_eq!(totals.marked_inaccessible, 25);
    assert_eq!((totals.errors, totals.deferred, totals.skipped), (0, 0, 0));
    assert_eq!(summary.not_members, 4);
    let printed = summary.to_string();
    assert!(
        printed.starts_with(
            "Checked groups: 144\nmembers: 110\ncan post: 104\nmarked banned: 5\nmarked inaccessible: 25\n"
        ),
        "{printed}"
    );

    // Every group's status and can_post follow its profile.
    let groups = groups_by_handle(&fleet).await;
    for handle in &fleet.generated.handles {
        let group = &groups[&GroupHandle::parse(&handle.line).unwrap()];
        assert_eq!(
            (group.status, group.can_post),
            expected_status(handle.profile),
            "{} ({:?})",
            group.handle,
            handle.profile
        );
        assert!(group.last_reviewed_at.is_some());
    }
    let overview = fleet.store.overview().await.unwrap();
    assert_eq!(overview.active_groups, 104);

    // Memberships show what the accounts saw.
    let targets = fleet.store.review_targets().await.unwrap();
    let state_of: HashMap<_, _> = targets.iter().map(|t| (t.group_id, t.membership)).collect();
    for id in ids_of(&fleet, Profile::KickAfterJoin).await {
        assert_eq!(state_of[&id], Some(MembershipState::Banned));
    }
    for id in ids_of(&fleet, Profile::Approval).await {
        assert_eq!(state_of[&id], Some(MembershipState::JoinRequested));
    }
    for id in ids_of(&fleet, Profile::ExpiredInvite).await {
        assert_eq!(state_of[&id], Some(MembershipState::Failed));
    }
    for id in ids_of(&fleet, Profile::SlowMode).await {
        assert_eq!(state_of[&id], Some(MembershipState::Joined));
    }

    // The review ran under leases, sent nothing, and kept to 20 requests a minute
    // per account (a rights check is two requests, a resolve one).
    assert!(log.violations().is_empty(), "{:?}", log.violations());
    assert!(fleet.world.lock().unwrap().sent().is_empty());
    let mut cost_by_account: HashMap<String, Vec<(chrono::DateTime<chrono::Utc>, u32)>> =
        HashMap::new();
    for (account, method, at) in log.calls_of(&ctx.holder) {
        let cost = match method {
            "rights" => 2,
            "resolve" => 1,
            other => panic!("the reviewer called {other}"),
        };
        cost_by_account.entry(account).or_default().push((at, cost));
    }
    assert_eq!(cost_by_account.len(), 3);
    for (account, calls) in &cost_by_account {
        for (start, _) in calls {
            let in_minute: u32 = calls
                .iter()
                .filter(|(at, _)| *at >= *start && *at < *start + chrono::TimeDelta::minutes(1))
                .map(|(_, cost)| cost)
                .sum();
            assert!(
                in_minute <= 30,
                "{account}: {in_minute} requests in a minute from {start}"
            );
        }
        let total: u32 = calls.iter().map(|(_, cost)| cost).sum();
        let last = calls.iter().map(|(at, _)| *at).max().unwrap();
        let minutes = (last - started).num_seconds() as f64 / 60.0;
        assert!(
            minutes >= f64::from(total - 10) / 20.0 - 0.01,
            "{account}: {total} requests in {minutes:.1} min"
        );
    }

    // History is kept: a second review adds a finding per group.
    let again = review_once(&ctx, None).await.unwrap();
    assert_eq!(again.totals, summary.totals);
    let kicked = ids_of(&fleet, Profile::KickAfterJoin).await[0];
    let history = fleet.store.review_history(kicked).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].status_before, GroupStatus::New);
    assert_eq!(history[0].finding, "banned");
    assert_eq!(history[1].status_before, GroupStatus::Banned);
    assert_ne!(history[0].run, history[1].run);
    let run = fleet
        .store
        .review_run(summary.run.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.totals, Some(summary.totals));
}

#[derive(Debug, Default)]
struct CountingProgress {
    total: AtomicU64,
    checked: AtomicU64,
    passed_over: AtomicU64,
    finished: AtomicU64,
}

impl Progress for CountingProgress {
    fn start(&self, groups: u64) {
        self.total.store(groups, Ordering::SeqCst);
    }
    fn checked(&self, _: &GroupHandle, _: &str) {
        self.checked.fetch_add(1, Ordering::SeqCst);
    }
    fn passed_over(&self, groups: u64) {
        self.passed_over.fetch_add(groups, Ordering::SeqCst);
    }
    fn finish(&self) {
        self.finished.fetch_add(1, Ordering::SeqCst);
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn unusable_accounts_are_skipped_and_a_dead_session_is_marked(pool: PgPool) {
    let fleet = open_fleet(pool, 3, 3, 12).await;
    // The setup joined with every account; now the operator suspends the second
    // and the third one's session is revoked.
    let labels: Vec<String> = fleet.accounts.iter().map(|a| a.label.clone()).collect();
    fleet
        .store
        .suspend_account(&labels[1], Some("operator"))
        .await
        .unwrap();
    {
        let mut world = fleet.world.lock().unwrap();
        let key = world.preshared_auth_key(&labels[2]).unwrap().id();
        let now = fleet.clock.now();
        world.revoke_auth_key(key, now);
    }
    let ctx = fleet.context(Service::GroupReviewer);
    let progress = CountingProgress::default();

    let summary = review_once(&ctx, Some(&progress)).await.unwrap();

    assert_eq!(summary.totals.checked, 4);
    assert_eq!(summary.totals.skipped, 8);
    assert_eq!(progress.total.load(Ordering::SeqCst), 12);
    assert_eq!(progress.checked.load(Ordering::SeqCst), 4);
    assert_eq!(progress.passed_over.load(Ordering::SeqCst), 8);
    assert_eq!(progress.finished.load(Ordering::SeqCst), 1);
    let skipped: Vec<(&str, &PassedOver)> = summary
        .notes
        .iter()
        .map(|note| (note.account.as_str(), &note.why))
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(
        skipped.contains(&(
            &labels[1],
            &PassedOver::Skipped("suspended (operator)".into())
        )),
        "{skipped:?}"
    );
    let printed = summary.to_string();
    assert!(
        printed.contains(&format!(
            "skipped: 4 groups of {} (account suspended (operator))",
            labels[1]
        )),
        "{printed}"
    );
    let dead = fleet.stored_account(&labels[2]).await;
    assert_eq!(dead.status, AccountStatus::Unauthorized);
    assert!(
        dead.status_reason
            .as_deref()
            .unwrap_or_default()
            .contains("AUTH_KEY_UNREGISTERED"),
        "{:?}",
        dead.status_reason
    );

    // With every account unusable, the review cannot run: exit code 3.
    fleet.store.suspend_account(&labels[0], None).await.unwrap();
    let error = review_once(&ctx, None).await.unwrap_err();
    assert!(matches!(error, ReviewError::NoUsableAccount(_)), "{error}");
    assert_eq!(error.exit_code(), 3);
}

#[sqlx::test(migrations = "../../migrations")]
async fn groups_whose_accounts_are_all_unusable_mean_no_usable_account(pool: PgPool) {
    let fleet = open_fleet(pool, 4, 1, 3).await;
    // Another account is usable but responsible for nothing.
    fleet
        .store
        .create_account(&tgfleet_store::NewAccount {
            label: "spare".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    fleet
        .store
        .suspend_account(&fleet.accounts[0].label, None)
        .await
        .unwrap();
    let error = review_once(&fleet.context(Service::GroupReviewer), None)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains(&fleet.accounts[0].label),
        "{error}"
    );
    assert_eq!(error.exit_code(), 3);
}

fn flood_spec(seed: u64, info: Budget, groups: u32) -> GeneratorSpec {
    let mut spec = GeneratorSpec::new(seed, 1, GroupMix::default().with(Profile::Open, groups));
    spec.limits = Limits {
        info,
        flood: FloodPolicy {
            growth_factor: 1.0,
            ..FloodPolicy::default()
        },
        ..spec.limits
    };
    spec
}

#[sqlx::test(migrations = "../../migrations")]
async fn short_flood_waits_are_waited_out_between_batches(pool: PgPool) {
    let (fleet, _) = joined_fleet(pool, flood_spec(5, Budget::new(6, 30), 20), "").await;
    let log = CallLog::new();
    let ctx = fleet.recorded_context(Service::GroupReviewer, &log, Duration::ZERO);

    let summary = review_once(&ctx, None).await.unwrap();

    assert_eq!(summary.totals.checked, 20);
    assert_eq!(summary.totals.can_post, 20);
    assert_eq!(summary.totals.deferred, 0);
    assert!(summary.flood_waits > 0, "{summary:?}");
    let label = &fleet.accounts[0].label;
    let counters = fleet.world.lock().unwrap().counters(label).unwrap().clone();
    assert!(counters.errors_named("FLOOD_WAIT") > 0);
    // After a FloodWait the account is never asked again before the wait ends.
    let account = fleet.stored_account(label).await;
    assert!(account.other_flood_until.is_some());
    assert!(log.violations().is_empty(), "{:?}", log.violations());
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_long_flood_wait_defers_the_rest_to_the_next_run(pool: PgPool) {
    // Four info requests an hour: after two checks the wait is 15 minutes,
    // above joins.flood_wait_short_max_secs (10 minutes).
    let (fleet, _) = joined_fleet(pool, flood_spec(6, Budget::new(4, 3600), 6), "").await;
    let ctx = fleet.context(Service::GroupReviewer);
    let label = fleet.accounts[0].label.clone();

    let first = review_once(&ctx, None).await.unwrap();
    assert_eq!(first.totals.checked, 2);
    assert_eq!(first.totals.deferred, 4);
    let until = match &first.notes[..] {
        [note] => match &note.why {
            PassedOver::Deferred(DeferReason::FloodWait { until }) => *until,
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    assert!(first.to_string().contains(&format!(
        "deferred to the next run: 4 groups of {label} (FloodWait until {until})"
    )));
    let account = fleet.stored_account(&label).await;
    assert_eq!(account.other_flood_until, Some(until));
    let reviewed: Vec<_> = fleet
        .store
        .list_groups(&GroupFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|g| g.last_reviewed_at.is_some())
        .map(|g| g.id)
        .collect();
    assert_eq!(reviewed.len(), 2);

    // Still waiting: the next run checks nothing and asks Telegram nothing.
    let info_calls = || {
        fleet
            .world
            .lock()
            .unwrap()
            .counters(&label)
            .unwrap()
            .calls_of(tg_world::MethodClass::Info)
    };
    let calls_before = info_calls();
    let waiting = review_once(&ctx, None).await.unwrap();
    assert_eq!((waiting.totals.checked, waiting.totals.deferred), (0, 6));
    let calls_after = info_calls();
    assert_eq!(calls_before, calls_after);

    // An hour later (the world's budget is full again), the groups left over come first.
    fleet
        .clock
        .sleep_until(until + chrono::TimeDelta::hours(1))
        .await;
    let next = review_once(&ctx, None).await.unwrap();
    assert_eq!(next.totals.checked, 2);
    let groups = fleet
        .store
        .list_groups(&GroupFilter::default())
        .await
        .unwrap();
    let newly: Vec<_> = groups
        .iter()
        .filter(|g| g.last_reviewed_at.is_some_and(|at| at > until))
        .map(|g| g.id)
        .collect();
    assert_eq!(newly.len(), 2);
    assert!(
        newly.iter().all(|id| !reviewed.contains(id)),
        "{newly:?} {reviewed:?}"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn busy_accounts_are_retried_and_given_up_on_after_the_bound(pool: PgPool) {
    let fleet = open_fleet(pool, 7, 2, 8).await;
    let (briefly, forever) = (fleet.accounts[0].id, fleet.accounts[1].id);
    let ttl = Duration::from_secs(120);
    let holder = "marketer@stand-in";
    let now = fleet.clock.now();
    let mut short = fleet
        .store
        .try_acquire_lease(briefly, holder, now, ttl)
        .await
        .unwrap()
        .unwrap();
    let mut long = fleet
        .store
        .try_acquire_lease(forever, holder, now, ttl)
        .await
        .unwrap()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let keeper = {
        let (store, clock, stop) = (fleet.store.clone(), fleet.clock.clone(), stop.clone());
        async move {
            let released_at = clock.now() + chrono::TimeDelta::minutes(3);
            while !stop.load(Ordering::SeqCst) {
                clock.sleep(Duration::from_secs(30)).await;
                let now = clock.now();
                long = store.renew_lease(&long, now, ttl).await.unwrap();
                if now < released_at {
                    short = store.renew_lease(&short, now, ttl).await.unwrap();
                } else {
                    store.release_lease(&short, now).await.unwrap();
                }
            }
            store.release_lease(&long, clock.now()).await.unwrap();
        }
    };
    let ctx = fleet.context(Service::GroupReviewer);
    let review = async {
        let summary = review_once(&ctx, None).await;
        stop.store(true, Ordering::SeqCst);
        summary
    };
    let (summary, ()) = tokio::join!(review, keeper);
    let summary = summary.unwrap();

    assert_eq!(summary.totals.checked, 4, "{summary:?}");
    assert_eq!(summary.totals.deferred, 4);
    assert!(
        summary.busy_retries > tgfleet_group_reviewer::BUSY_RETRIES,
        "{summary:?}"
    );
    let busy_note = &summary.notes[0];
    assert_eq!(busy_note.account, fleet.accounts[1].label);
    assert_eq!(busy_note.why, PassedOver::Deferred(DeferReason::Busy));
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_schedule_reviews_at_three_in_the_morning(pool: PgPool) {
    // 02:00 in Jakarta is 19:00 UTC the day before.
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-09T19:00:00Z")
        .unwrap()
        .to_utc();
    let spec = GeneratorSpec::new(8, 1, GroupMix::default().with(Profile::Open, 3));
    let (fleet, _) = tgfleet_testkit::TestFleet::builder(spec)
        .settings("[reviewer]\nenabled_schedule = true\nschedule = \"0 3 * * *\"")
        .starting_at(start)
        .start_joined(pool)
        .await;
    let ctx = fleet.context(Service::GroupReviewer);
    let shutdown = ctx.shutdown.clone();
    let clock = fleet.clock.clone();
    let stopper = async move {
        clock
            .sleep_until(start + chrono::TimeDelta::hours(26))
            .await;
        shutdown.cancel();
    };
    let (result, ()) = tokio::join!(run(ctx), stopper);
    result.unwrap();

    let groups = fleet
        .store
        .list_groups(&GroupFilter::default())
        .await
        .unwrap();
    let three_am = start + chrono::TimeDelta::hours(1);
    for group in &groups {
        let reviewed = group.last_reviewed_at.expect("reviewed on schedule");
        assert!(
            reviewed >= three_am + chrono::TimeDelta::hours(24)
                && reviewed
                    < three_am + chrono::TimeDelta::hours(24) + chrono::TimeDelta::minutes(5),
            "{reviewed}: the second day's 03:00 review is the latest"
        );
        let history = fleet.store.review_history(group.id).await.unwrap();
        assert_eq!(history.len(), 2, "one review per day");
        assert!(history[0].reviewed_at >= three_am);
        assert!(history[0].reviewed_at < three_am + chrono::TimeDelta::minutes(5));
    }

    // With the schedule off, `run` returns at once.
    let mut off = fleet.context(Service::GroupReviewer);
    let mut settings = (*off.settings).clone();
    settings.reviewer.enabled_schedule = false;
    off.settings = Arc::new(settings);
    let before = fleet.clock.now();
    run(off).await.unwrap();
    assert_eq!(fleet.clock.now(), before);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_closed_general_topic_and_a_basic_group_keep_their_own_reasons(pool: PgPool) {
    let mix = GroupMix::default()
        .with(Profile::Open, 1)
        .with(Profile::Forum, 1)
        .with(Profile::ClosedForum, 1)
        .with(Profile::BasicInvite, 1);
    let (fleet, seeded) = joined_fleet(pool, GeneratorSpec::new(145, 1, mix), "").await;
    assert_eq!(seeded.len(), 4);
    let ctx = fleet.context(Service::GroupReviewer);

    let summary = review_once(&ctx, None).await.unwrap();

    assert_eq!(summary.totals.checked, 4);
    assert_eq!((summary.totals.errors, summary.totals.can_post), (0, 2));
    let groups = groups_by_handle(&fleet).await;
    let of = |profile| {
        let line = &fleet.generated.handles_of(profile)[0].line;
        groups[&GroupHandle::parse(line).unwrap()].clone()
    };
    for profile in [Profile::Open, Profile::Forum] {
        assert!(of(profile).can_post, "{profile:?}");
    }
    let closed = of(Profile::ClosedForum);
    assert_eq!(closed.status, GroupStatus::Active);
    assert!(!closed.can_post);
    assert_eq!(
        closed.status_reason.as_deref(),
        Some("forum: the General topic is closed to members")
    );
    let basic = of(Profile::BasicInvite);
    assert_eq!(basic.status, GroupStatus::Active);
    assert!(!basic.can_post);
    assert_eq!(
        basic.status_reason.as_deref(),
        Some("basic group: tgfleet posts only to supergroups and channels")
    );
}
