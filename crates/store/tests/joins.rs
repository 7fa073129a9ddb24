//! account-manager's store: assignment, slot planning and fenced join outcomes.

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::time::Duration;
use tgfleet_domain::join_policy::{
    AccountEffect, AttemptHistory, JoinDecision, MembershipEffect, SlotEligibility,
};
use tgfleet_domain::{
    AccountId, AccountStatus, GroupHandle, GroupId, GroupStatus, MembershipState,
};
use tgfleet_store::{
    ChatFacts, GroupFilter, ImportedGroup, JoinRecord, Lease, NewEvent, Store, StoreError,
    StoredPeer,
};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn nine() -> DateTime<Utc> {
    at("2026-01-10T02:00:00Z")
}

async fn import(store: &Store, prefix: &str, count: usize) -> Vec<GroupId> {
    let groups: Vec<ImportedGroup> = (0..count)
        .map(|i| ImportedGroup {
            handle: GroupHandle::parse(&format!("@{prefix}_{i:05}")).unwrap(),
            tags: Vec::new(),
        })
        .collect();
    store.import_groups(&groups).await.unwrap();
    let mut ids: Vec<GroupId> = store
        .list_groups(&GroupFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|group| group.handle.key().starts_with(prefix))
        .map(|group| group.id)
        .collect();
    ids.sort();
    ids
}

/// Accounts with these labels, `count` imported groups, all assigned.
async fn assigned(
    store: &Store,
    labels: &[&str],
    prefix: &str,
    count: usize,
) -> (Vec<AccountId>, Vec<GroupId>) {
    let mut accounts = Vec::new();
    for label in labels {
        accounts.push(common::account(store, label).await);
    }
    let groups = import(store, prefix, count).await;
    store.assign_groups(500).await.unwrap();
    (accounts, groups)
}

async fn live_counts(store: &Store, accounts: &[AccountId]) -> Vec<usize> {
    let mut counts = Vec::new();
    for account in accounts {
        let live = store
            .join_memberships(*account)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| {
                matches!(
                    m.state,
                    MembershipState::Pending
                        | MembershipState::Joined
                        | MembershipState::JoinRequested
                )
            })
            .count();
        counts.push(live);
    }
    counts
}

async fn lease(store: &Store, account: AccountId, now: DateTime<Utc>) -> Lease {
    store
        .try_acquire_lease(account, "am-test", now, Duration::from_secs(120))
        .await
        .unwrap()
        .expect("the lease is free")
}

fn event(account: AccountId, group: GroupId, now: DateTime<Utc>, outcome: &str) -> NewEvent {
    NewEvent {
        at: now,
        service: "account-manager".to_owned(),
        account_id: Some(account),
        group_id: Some(group),
        action: "join".to_owned(),
        outcome: outcome.to_owned(),
        flood_wait_secs: None,
        detail: None,
    }
}

fn decision(
    membership: MembershipEffect,
    group: Option<GroupStatus>,
    account: AccountEffect,
) -> JoinDecision {
    JoinDecision {
        membership,
        group,
        account,
        unsupported: None,
    }
}

async fn record(
    store: &Store,
    lease: &Lease,
    group: GroupId,
    decision: &JoinDecision,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store
        .record_join(
            lease,
            &JoinRecord {
                group,
                decision,
                chat: None,
                error: Some("TEST_ERROR"),
            },
            &event(lease.account_id, group, now, "other"),
            now,
        )
        .await
}

#[sqlx::test(migrations = "../../migrations")]
async fn new_groups_are_spread_evenly(pool: PgPool) {
    let store = Store::from_pool(pool);
    let a = common::account(&store, "alpha").await;
    let b = common::account(&store, "bravo").await;
    let c = common::account(&store, "charlie").await;
    import(&store, "first", 30).await;
    let report = store.assign_groups(500).await.unwrap();
    assert_eq!(report.assigned_total(), 30);
    assert_eq!(report.unassigned, 0);
    assert_eq!(live_counts(&store, &[a, b, c]).await, vec![10, 10, 10]);

    // A fourth account arrives empty: the next groups go to it first.
    let d = common::account(&store, "delta").await;
    import(&store, "second", 14).await;
    let report = store.assign_groups(500).await.unwrap();
    assert_eq!(report.assigned.get("delta"), Some(&11));
    assert_eq!(
        live_counts(&store, &[a, b, c, d]).await,
        vec![11, 11, 11, 11]
    );

    // Nothing left to do: a second call changes nothing.
    assert!(store.assign_groups(500).await.unwrap().is_empty());
    let groups = store.list_groups(&GroupFilter::default()).await.unwrap();
    assert!(groups.iter().all(|g| g.responsible_account.is_some()));
}

#[sqlx::test(migrations = "../../migrations")]
async fn no_account_goes_above_the_cap(pool: PgPool) {
    let store = Store::from_pool(pool);
    let a = common::account(&store, "alpha").await;
    import(&store, "bulk", 520).await;
    let report = store.assign_groups(500).await.unwrap();
    assert_eq!(report.assigned.get("alpha"), Some(&500));
    assert_eq!(report.unassigned, 20);
    assert_eq!(live_counts(&store, &[a]).await, vec![500]);

    let b = common::account(&store, "bravo").await;
    let report = store.assign_groups(500).await.unwrap();
    assert_eq!(report.assigned.get("bravo"), Some(&20));
    assert_eq!(report.unassigned, 0);
    assert_eq!(live_counts(&store, &[a, b]).await, vec![500, 20]);
}

#[sqlx::test(migrations = "../../migrations")]
async fn concurrent_assigners_give_each_group_once(pool: PgPool) {
    let store = Store::from_pool(pool);
    let accounts = vec![
        common::account(&store, "alpha").await,
        common::account(&store, "bravo").await,
        common::account(&store, "charlie").await,
    ];
    for round in 0..3 {
        import(&store, &format!("round{round}"), 100).await;
        let assigners: Vec<_> = (0..4)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.assign_groups(500).await.unwrap() })
            })
            .collect();
        let mut assigned = 0;
        for assigner in assigners {
            assigned += assigner.await.unwrap().assigned_total();
        }
        assert_eq!(
            assigned, 100,
            "round {round}: every new group assigned once"
        );
    }
    let counts = live_counts(&store, &accounts).await;
    assert_eq!(counts, vec![100, 100, 100]);
    let mut per_group: BTreeMap<GroupId, usize> = BTreeMap::new();
    for account in &accounts {
        for membership in store.join_memberships(*account).await.unwrap() {
            *per_group.entry(membership.group).or_default() += 1;
        }
    }
    assert_eq!(per_group.len(), 300);
    assert!(per_group.values().all(|n| *n == 1));
}

#[sqlx::test(migrations = "../../migrations")]
async fn unusable_accounts_hand_pending_groups_over_and_keep_history(pool: PgPool) {
    let store = Store::from_pool(pool);
    let (accounts, groups) = assigned(&store, &["alpha"], "handover", 4).await;
    let a = accounts[0];
    let now = nine();
    // alpha joined group 0, tried group 1 once (an unexpected error), and was banned in group 2.
    let held = lease(&store, a, now).await;
    let joined = decision(
        MembershipEffect::Settled(MembershipState::Joined),
        Some(GroupStatus::Active),
        AccountEffect::NextJoinAt(now),
    );
    record(&store, &held, groups[0], &joined, now)
        .await
        .unwrap();
    let later = decision(
        MembershipEffect::LaterSlot,
        None,
        AccountEffect::NextJoinAt(now),
    );
    record(&store, &held, groups[1], &later, now).await.unwrap();
    let banned = decision(
        MembershipEffect::Settled(MembershipState::Banned),
        Some(GroupStatus::Banned),
        AccountEffect::NextJoinAt(now),
    );
    record(&store, &held, groups[2], &banned, now)
        .await
        .unwrap();

    let b = common::account(&store, "bravo").await;
    store
        .set_account_status(
            a,
            AccountStatus::Unauthorized,
            Some("AUTH_KEY_UNREGISTERED"),
        )
        .await
        .unwrap();
    let report = store.assign_groups(500).await.unwrap();
    assert_eq!(report.handed_over.get("alpha"), Some(&2));
    assert_eq!(report.assigned.get("bravo"), Some(&2));

    let alpha: BTreeMap<GroupId, MembershipState> = store
        .join_memberships(a)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.group, m.state))
        .collect();
    assert_eq!(alpha.get(&groups[0]), Some(&MembershipState::Joined));
    assert_eq!(
        alpha.get(&groups[1]),
        Some(&MembershipState::Failed),
        "attempted: kept as history"
    );
    assert_eq!(alpha.get(&groups[2]), Some(&MembershipState::Banned));
    assert_eq!(alpha.get(&groups[3]), None, "never attempted: deleted");
    let bravo: Vec<GroupId> = store
        .join_memberships(b)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.group)
        .collect();
    assert_eq!(
        bravo,
        vec![groups[1], groups[3]],
        "the banned group is never handed over"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_slot_plans_the_oldest_pending_groups_up_to_the_limit(pool: PgPool) {
    let store = Store::from_pool(pool);
    let (accounts, groups) = assigned(&store, &["alpha", "bravo"], "slot", 20).await;
    let (a, b) = (accounts[0], accounts[1]);
    let tick = nine();
    let plans = store.plan_slot(tick, 5).await.unwrap();
    assert_eq!(plans.len(), 2);
    for plan in &plans {
        assert_eq!(plan.pending, 10);
        assert_eq!(plan.planned, 5);
        assert_eq!(
            plan.eligibility,
            SlotEligibility::Joins {
                wakes_from_rest: false
            }
        );
    }
    let planned: Vec<(GroupId, u32)> = store
        .join_memberships(a)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| m.planned_seq.map(|seq| (m.group, seq)))
        .collect();
    let alpha_groups: Vec<GroupId> = groups.iter().step_by(2).copied().take(5).collect();
    assert_eq!(
        planned,
        alpha_groups.iter().copied().zip(1..).collect::<Vec<_>>(),
        "oldest first, numbered 1..5"
    );
    assert_eq!(
        store.account_by_id(a).await.unwrap().unwrap().join_next_at,
        Some(tick)
    );
    let queue = store.join_queue(tick, 10, &[]).await.unwrap();
    assert_eq!(
        queue.due.iter().map(|q| q.account).collect::<Vec<_>>(),
        vec![a, b]
    );
    assert_eq!(queue.next_due_at, None);
    // At most `limit` rows, the skipped accounts left out, later ones as a time.
    let queue = store.join_queue(tick, 1, &[a]).await.unwrap();
    assert_eq!(
        queue.due.iter().map(|q| q.account).collect::<Vec<_>>(),
        vec![b]
    );
    let early = store
        .join_queue(tick - TimeDelta::minutes(1), 10, &[])
        .await
        .unwrap();
    assert!(early.due.is_empty());
    assert_eq!(early.next_due_at, Some(tick));

    let next = store.next_join(a, tick).await.unwrap().unwrap();
    assert_eq!(
        (next.group, next.seq, next.slot_size, next.in_flight),
        (alpha_groups[0], 1, 5, false)
    );
    assert_eq!(next.history, AttemptHistory::default());
    assert!(
        store
            .next_join(a, tick - TimeDelta::seconds(1))
            .await
            .unwrap()
            .is_none()
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_join_in_flight_comes_first_and_survives_replanning(pool: PgPool) {
    let store = Store::from_pool(pool);
    let (accounts, groups) = assigned(&store, &["alpha"], "flight", 8).await;
    let a = accounts[0];
    let tick = nine();
    store.plan_slot(tick, 3).await.unwrap();
    let held = lease(&store, a, tick).await;
    store
        .mark_join_started(&held, groups[1], tick)
        .await
        .unwrap();

    let next = store.next_join(a, tick).await.unwrap().unwrap();
    assert_eq!((next.group, next.seq, next.in_flight), (groups[1], 2, true));

    // The next slot re-plans around it: the join in flight keeps its place.
    let tomorrow = tick + TimeDelta::days(1);
    let plans = store.plan_slot(tomorrow, 3).await.unwrap();
    assert_eq!(plans[0].planned, 3);
    let next = store.next_join(a, tomorrow).await.unwrap().unwrap();
    assert_eq!((next.group, next.in_flight), (groups[1], true));
    let replanned: Vec<GroupId> = store
        .join_memberships(a)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.planned_tick == Some(tomorrow))
        .map(|m| m.group)
        .collect();
    assert_eq!(replanned, vec![groups[0], groups[2], groups[3]]);
}

#[sqlx::test(migrations = "../../migrations")]
async fn flooded_resting_and_stopped_accounts_sit_a_slot_out(pool: PgPool) {
    let store = Store::from_pool(pool);
    let (accounts, groups) =
        assigned(&store, &["flooded", "resting", "stopped"], "sitout", 9).await;
    let (flooded, resting, stopped) = (accounts[0], accounts[1], accounts[2]);
    let now = nine();
    let first = |account: AccountId| {
        let store = store.clone();
        async move { store.join_memberships(account).await.unwrap()[0].group }
    };
    let flood_until = now + TimeDelta::minutes(30);
    let rest_until = now + TimeDelta::hours(2);
    for (account, effect) in [
        (flooded, AccountEffect::JoinFloodUntil(flood_until)),
        (resting, AccountEffect::RestUntil(rest_until)),
        (stopped, AccountEffect::StopJoins),
    ] {
        let held = lease(&store, account, now).await;
        let group = first(account).await;
        let d = decision(MembershipEffect::LaterSlot, None, effect);
        record(&store, &held, group, &d, now).await.unwrap();
        store.release_lease(&held, now).await.unwrap();
    }
    let resting_row = store.account_by_id(resting).await.unwrap().unwrap();
    assert_eq!(resting_row.status, AccountStatus::Resting);
    assert_eq!(resting_row.rest_until, Some(rest_until));
    assert_eq!(
        store
            .account_by_id(stopped)
            .await
            .unwrap()
            .unwrap()
            .joins_stopped_reason
            .as_deref(),
        Some("TEST_ERROR")
    );

    let tick = now + TimeDelta::minutes(20);
    let plans: BTreeMap<String, _> = store
        .plan_slot(tick, 5)
        .await
        .unwrap()
        .into_iter()
        .map(|plan| (plan.label.clone(), plan))
        .collect();
    assert_eq!(
        plans["flooded"].eligibility,
        SlotEligibility::FloodWait { until: flood_until }
    );
    assert_eq!(
        plans["resting"].eligibility,
        SlotEligibility::Resting {
            until: Some(rest_until)
        }
    );
    assert_eq!(plans["stopped"].eligibility, SlotEligibility::Excluded);
    assert!(
        plans
            .values()
            .all(|plan| plan.planned == 0 && plan.pending == 3)
    );
    assert_eq!(
        store.join_queue(now, 10, &[]).await.unwrap(),
        tgfleet_store::JoinQueue::default()
    );

    // Two hours later the flood and the rest are over: both join again.
    let later = now + TimeDelta::hours(2);
    let plans: BTreeMap<String, _> = store
        .plan_slot(later, 5)
        .await
        .unwrap()
        .into_iter()
        .map(|plan| (plan.label.clone(), plan.planned))
        .collect();
    assert_eq!(
        plans,
        BTreeMap::from([
            ("flooded".to_owned(), 3),
            ("resting".to_owned(), 3),
            ("stopped".to_owned(), 0),
        ])
    );
    assert_eq!(
        store.account_by_id(resting).await.unwrap().unwrap().status,
        AccountStatus::Active
    );
    assert_eq!(groups.len(), 9);
}

#[sqlx::test(migrations = "../../migrations")]
async fn outcomes_are_fenced_by_the_lease(pool: PgPool) {
    let store = Store::from_pool(pool);
    let (accounts, groups) = assigned(&store, &["alpha"], "fenced", 2).await;
    let a = accounts[0];
    let now = nine();
    store.plan_slot(now, 5).await.unwrap();
    let stale = lease(&store, a, now).await;
    // The lease expires and another holder takes the account.
    let later = now + TimeDelta::minutes(5);
    let _taken = store
        .try_acquire_lease(a, "someone-else", later, Duration::from_secs(120))
        .await
        .unwrap()
        .unwrap();
    let joined = decision(
        MembershipEffect::Settled(MembershipState::Joined),
        Some(GroupStatus::Active),
        AccountEffect::NextJoinAt(later),
    );
    let err = record(&store, &stale, groups[0], &joined, later)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::LeaseLost { .. }), "{err}");
    let err = store
        .mark_join_started(&stale, groups[0], later)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::LeaseLost { .. }), "{err}");
    let memberships = store.join_memberships(a).await.unwrap();
    assert!(
        memberships
            .iter()
            .all(|m| m.state == MembershipState::Pending && m.attempts == 0)
    );
    assert!(memberships.iter().all(|m| m.join_started_at.is_none()));
    assert!(store.join_events(a).await.unwrap().is_empty());
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_join_stores_peer_and_facts_and_a_ban_closes_the_group(pool: PgPool) {
    let store = Store::from_pool(pool);
    let (accounts, groups) = assigned(&store, &["alpha"], "facts", 2).await;
    let a = accounts[0];
    let now = nine();
    store.plan_slot(now, 5).await.unwrap();
    let held = lease(&store, a, now).await;
    let chat = ChatFacts {
        peer: StoredPeer {
            id: 1_900_000_001,
            access_hash: -42,
            kind: "channel".to_owned(),
        },
        title: "Facts Group".to_owned(),
        kind: "supergroup".to_owned(),
    };
    let pause_end = now + TimeDelta::minutes(7);
    let joined = decision(
        MembershipEffect::Settled(MembershipState::Joined),
        Some(GroupStatus::Active),
        AccountEffect::NextJoinAt(pause_end),
    );
    store
        .record_join(
            &held,
            &JoinRecord {
                group: groups[0],
                decision: &joined,
                chat: Some(&chat),
                error: None,
            },
            &event(a, groups[0], now, "ok"),
            now,
        )
        .await
        .unwrap();
    let group = store
        .list_groups(&GroupFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.id == groups[0])
        .unwrap();
    assert_eq!(group.status, GroupStatus::Active);
    assert_eq!(group.title.as_deref(), Some("Facts Group"));
    assert_eq!(group.kind.as_deref(), Some("supergroup"));
    let membership = &store.join_memberships(a).await.unwrap()[0];
    assert_eq!(membership.state, MembershipState::Joined);
    assert_eq!(membership.joined_at, Some(now));
    assert!(membership.has_peer);
    let account = store.account_by_id(a).await.unwrap().unwrap();
    assert_eq!(account.join_next_at, Some(pause_end));
    assert_eq!(account.last_activity, Some(now));
    let events = store.join_events(a).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].action.as_str(), events[0].outcome.as_str()),
        ("join", "ok")
    );

    // alpha gets banned in the second group: it is closed for every account.
    let banned = decision(
        MembershipEffect::Settled(MembershipState::Banned),
        Some(GroupStatus::Banned),
        AccountEffect::NextJoinAt(pause_end),
    );
    record(&store, &held, groups[1], &banned, now)
        .await
        .unwrap();
    let closed = store
        .list_groups(&GroupFilter {
            status: Some(GroupStatus::Banned),
            tag: None,
        })
        .await
        .unwrap();
    assert_eq!(
        closed.iter().map(|g| g.id).collect::<Vec<_>>(),
        vec![groups[1]]
    );
    assert_eq!(closed[0].status_reason.as_deref(), Some("TEST_ERROR"));
    // A closed group is never assigned again, even when its account can no longer join.
    store
        .set_account_status(a, AccountStatus::Deactivated, None)
        .await
        .unwrap();
    common::account(&store, "bravo").await;
    let report = store.assign_groups(500).await.unwrap();
    assert!(report.is_empty(), "{report:?}");
}

/// Join storage that closes groups (touching other accounts' memberships) while
/// slots are being planned: every join is stored, every plan succeeds, and the
/// lock order (accounts before memberships, in both) means Postgres never has to
/// abort one of them to break a deadlock.
#[sqlx::test(migrations = "../../migrations")]
async fn planning_and_storing_joins_at_once_never_deadlock_nor_lose_work(pool: PgPool) {
    let store = Store::from_pool(pool);
    let labels: Vec<String> = (0..12).map(|i| format!("acc{i:02}")).collect();
    let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let (accounts, groups) = assigned(&store, &label_refs, "lock", 120).await;
    // Every group of account i is also pending for account i + 1: a ban stored by
    // one account fails a membership of the next.
    sqlx::query(
        "INSERT INTO memberships (account_id, group_id)
         SELECT a.next_id, m.group_id
           FROM memberships m
           JOIN (SELECT id, lead(id, 1, (SELECT min(id) FROM accounts)) OVER (ORDER BY id) AS next_id
                   FROM accounts) a ON a.id = m.account_id
         ON CONFLICT DO NOTHING",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let tick = nine();
    store.plan_slot(tick, 5).await.unwrap();
    let banned = decision(
        MembershipEffect::Settled(MembershipState::Banned),
        Some(GroupStatus::Banned),
        AccountEffect::NextJoinAt(tick),
    );
    let mut stored = Vec::new();
    for round in 0..3 {
        let now = tick + TimeDelta::seconds(round);
        let mut work = tokio::task::JoinSet::new();
        for (index, account) in accounts.iter().enumerate() {
            let next = store.next_join(*account, now).await.unwrap().unwrap();
            let held = lease(&store, *account, now).await;
            let storing = store.clone();
            let chat = ChatFacts {
                peer: StoredPeer {
                    id: 1_900_000_000 + next.group.0,
                    access_hash: -42,
                    kind: "channel".to_owned(),
                },
                title: "Locked Group".to_owned(),
                kind: "supergroup".to_owned(),
            };
            work.spawn(async move {
                // The look-up's write (membership, then an event whose foreign key
                // reads the account) races the planner as the join's write does.
                storing
                    .record_resolved(
                        &held,
                        next.group,
                        &chat,
                        &event(held.account_id, next.group, now, "resolved"),
                        now,
                    )
                    .await?;
                let stored = record(&storing, &held, next.group, &banned, now).await;
                storing
                    .release_lease(&held, now)
                    .await
                    .expect("releasing the lease");
                stored.map(|()| Some(next.group))
            });
            if index % 4 == 0 {
                let planning = store.clone();
                work.spawn(async move { planning.plan_slot(tick, 5).await.map(|_| None) });
            }
        }
        while let Some(done) = work.join_next().await {
            if let Some(group) = done.unwrap().expect("no store call fails") {
                stored.push(group);
            }
        }
    }
    assert_eq!(stored.len(), 3 * accounts.len(), "every join was stored");
    for group in &stored {
        assert!(groups.contains(group));
    }
    let banned_rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM memberships WHERE state = 'banned' AND group_id = ANY($1)",
    )
    .bind(stored.iter().map(|group| group.0).collect::<Vec<_>>())
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(
        banned_rows,
        stored.len() as i64,
        "each stored ban is on its membership"
    );
    assert_eq!(
        store.conflict_aborts(),
        0,
        "no transaction was aborted to break a deadlock"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn planning_and_review_findings_at_once_never_deadlock(pool: PgPool) {
    use tgfleet_domain::ReviewVerdict;
    use tgfleet_store::{CatalogueFacts, ReviewFinding};
    let store = Store::from_pool(pool);
    let labels: Vec<String> = (0..12).map(|i| format!("rev{i:02}")).collect();
    let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let (accounts, _) = assigned(&store, &label_refs, "review", 120).await;
    let tick = nine();
    store.plan_slot(tick, 5).await.unwrap();
    let run = store.start_review_run("gr", tick).await.unwrap();
    let mut recorded = 0;
    for round in 0..3 {
        let now = tick + TimeDelta::seconds(round);
        let mut work = tokio::task::JoinSet::new();
        for (index, account) in accounts.iter().enumerate() {
            let next = store.next_join(*account, now).await.unwrap().unwrap();
            let held = lease(&store, *account, now).await;
            let reviewing = store.clone();
            work.spawn(async move {
                // The reviewer finds the group open: the membership becomes joined and
                // the group active, racing the planner that re-plans pending ones.
                let finding = ReviewFinding {
                    run,
                    group_id: next.group,
                    account_id: held.account_id,
                    at: now,
                    verdict: Some(ReviewVerdict::CanPost),
                    peer: None,
                    chat: CatalogueFacts::default(),
                    slow_mode_secs: None,
                    next_send_at: None,
                    detail: None,
                };
                reviewing
                    .record_review_finding(&held, &finding, now)
                    .await?;
                reviewing.release_lease(&held, now).await?;
                Ok::<bool, StoreError>(true)
            });
            if index % 3 == 0 {
                let planning = store.clone();
                work.spawn(async move { planning.plan_slot(tick, 5).await.map(|_| false) });
            }
        }
        while let Some(done) = work.join_next().await {
            if done.unwrap().expect("no store call fails") {
                recorded += 1;
            }
        }
    }
    assert_eq!(recorded, 3 * accounts.len(), "every finding was recorded");
    assert_eq!(
        store.conflict_aborts(),
        0,
        "no transaction was aborted to break a deadlock"
    );
}
