//! group-reviewer's queries on a real Postgres (a fresh database per test).

mod common;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use common::account;
use sqlx::PgPool;
use std::time::Duration;
use tgfleet_domain::{
    AccountId, CannotPost, GroupHandle, GroupId, GroupStatus, MembershipState, ReviewVerdict,
};
use tgfleet_store::fixtures::{MembershipSeed, seed_membership};
use tgfleet_store::{
    CatalogueFacts, GroupFilter, ImportedGroup, Lease, RecordedReview, ReviewFinding, ReviewRunId,
    ReviewTotals, Store, StoreError, StoredPeer,
};

const TTL: Duration = Duration::from_secs(60);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 10, 3, 0, 0).unwrap()
}

async fn groups(store: &Store, handles: &[&str]) -> Vec<GroupId> {
    let imported: Vec<ImportedGroup> = handles
        .iter()
        .map(|handle| ImportedGroup {
            handle: GroupHandle::parse(handle).unwrap(),
            tags: Vec::new(),
        })
        .collect();
    store.import_groups(&imported).await.unwrap();
    let listed = store.list_groups(&GroupFilter::default()).await.unwrap();
    handles
        .iter()
        .map(|handle| {
            let key = GroupHandle::parse(handle).unwrap();
            listed.iter().find(|g| g.handle == key).unwrap().id
        })
        .collect()
}

fn peer(id: i64) -> StoredPeer {
    StoredPeer {
        id,
        access_hash: id * 7,
        kind: "channel".into(),
    }
}

async fn member(
    store: &Store,
    account: AccountId,
    group: GroupId,
    state: MembershipState,
    responsible: bool,
) {
    seed_membership(
        store,
        &MembershipSeed {
            account,
            group,
            state,
            peer: (state == MembershipState::Joined).then(|| peer(group.0 + 1000)),
            responsible,
        },
    )
    .await
    .unwrap();
}

fn finding(run: ReviewRunId, group: GroupId, account: AccountId) -> ReviewFinding {
    ReviewFinding {
        run,
        group_id: group,
        account_id: account,
        at: t0(),
        verdict: Some(ReviewVerdict::CanPost),
        peer: None,
        chat: CatalogueFacts::default(),
        slow_mode_secs: None,
        next_send_at: None,
        detail: None,
    }
}

/// A store with account `alpha` responsible for `memberships` (handle, state),
/// the groups' ids, an open review run and alpha's lease.
async fn reviewing(
    pool: PgPool,
    memberships: &[(&str, MembershipState)],
) -> (Store, AccountId, Vec<GroupId>, ReviewRunId, Lease) {
    let store = Store::from_pool(pool);
    let alpha = account(&store, "alpha").await;
    let handles: Vec<&str> = memberships.iter().map(|(handle, _)| *handle).collect();
    let ids = groups(&store, &handles).await;
    for (id, (_, state)) in ids.iter().zip(memberships) {
        member(&store, alpha, *id, *state, true).await;
    }
    let run = store.start_review_run("gr", t0()).await.unwrap();
    let lease = lease(&store, alpha).await;
    (store, alpha, ids, run, lease)
}

/// A finding with a verdict (or a failure) and the error behind it.
fn judged(
    run: ReviewRunId,
    group: GroupId,
    account: AccountId,
    verdict: Option<ReviewVerdict>,
    detail: &str,
) -> ReviewFinding {
    ReviewFinding {
        verdict,
        detail: Some(detail.to_owned()),
        ..finding(run, group, account)
    }
}

async fn record(store: &Store, lease: &Lease, finding: ReviewFinding) -> RecordedReview {
    store
        .record_review_finding(lease, &finding, t0())
        .await
        .unwrap()
}

async fn lease(store: &Store, account: AccountId) -> Lease {
    store
        .try_acquire_lease(account, "group-reviewer#1", t0(), TTL)
        .await
        .unwrap()
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn targets_are_groups_with_memberships_through_their_responsible_account(pool: PgPool) {
    let store = Store::from_pool(pool);
    let (alpha, beta) = (
        account(&store, "alpha").await,
        account(&store, "beta").await,
    );
    let ids = groups(
        &store,
        &[
            "@bali_market",
            "@bali_news",
            "@ubud_quiet",
            "@no_membership",
        ],
    )
    .await;
    // bali_market: beta is responsible, even though alpha joined too.
    member(&store, alpha, ids[0], MembershipState::Joined, false).await;
    member(&store, beta, ids[0], MembershipState::Pending, true).await;
    // bali_news: nobody responsible; the joined membership wins over the pending one.
    member(&store, alpha, ids[1], MembershipState::Pending, false).await;
    member(&store, beta, ids[1], MembershipState::Joined, false).await;
    // ubud_quiet: alpha only.
    member(&store, alpha, ids[2], MembershipState::Failed, false).await;

    let targets = store.review_targets().await.unwrap();
    let summary: Vec<(String, String, Option<MembershipState>, bool)> = targets
        .iter()
        .map(|t| {
            (
                t.handle.to_string(),
                t.account_label.clone(),
                t.membership,
                t.peer.is_some(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "@ubud_quiet".into(),
                "alpha".into(),
                Some(MembershipState::Failed),
                false
            ),
            (
                "@bali_market".into(),
                "beta".into(),
                Some(MembershipState::Pending),
                false
            ),
            (
                "@bali_news".into(),
                "beta".into(),
                Some(MembershipState::Joined),
                true
            ),
        ]
    );
    assert_eq!(targets[2].peer, Some(peer(ids[1].0 + 1000)));
    assert!(targets.iter().all(|t| t.status == GroupStatus::New));
}

#[sqlx::test(migrations = "../../migrations")]
async fn least_recently_reviewed_groups_come_first(pool: PgPool) {
    let store = Store::from_pool(pool);
    let alpha = account(&store, "alpha").await;
    let ids = groups(&store, &["@aaaaa_first", "@bbbbb_second"]).await;
    for id in &ids {
        member(&store, alpha, *id, MembershipState::Joined, true).await;
    }
    let run = store.start_review_run("gr", t0()).await.unwrap();
    let lease = lease(&store, alpha).await;
    store
        .record_review_finding(&lease, &finding(run, ids[0], alpha), t0())
        .await
        .unwrap();
    let order: Vec<GroupId> = store
        .review_targets()
        .await
        .unwrap()
        .iter()
        .map(|t| t.group_id)
        .collect();
    assert_eq!(order, vec![ids[1], ids[0]]);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_finding_updates_group_membership_and_history(pool: PgPool) {
    let (store, alpha, ids, run, lease) =
        reviewing(pool, &[("@bali_market", MembershipState::Pending)]).await;

    let slow_until = t0() + TimeDelta::seconds(40);
    let recorded = store
        .record_review_finding(
            &lease,
            &ReviewFinding {
                peer: Some(peer(77)),
                chat: CatalogueFacts {
                    kind: Some("supergroup".into()),
                    title: Some("Bali Market".into()),
                    telegram_id: Some(77),
                },
                slow_mode_secs: Some(60),
                next_send_at: Some(slow_until),
                ..finding(run, ids[0], alpha)
            },
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(recorded.status_before, GroupStatus::New);
    assert_eq!(recorded.status_after, GroupStatus::Active);
    assert!(recorded.can_post);
    assert_eq!(recorded.membership_after, Some(MembershipState::Joined));

    let group = &store.list_groups(&GroupFilter::default()).await.unwrap()[0];
    assert_eq!(group.status, GroupStatus::Active);
    assert!(group.can_post);
    assert_eq!(group.kind.as_deref(), Some("supergroup"));
    assert_eq!(group.title.as_deref(), Some("Bali Market"));
    assert_eq!(group.last_reviewed_at, Some(t0()));
    let target = &store.review_targets().await.unwrap()[0];
    assert_eq!(target.membership, Some(MembershipState::Joined));
    assert_eq!(target.peer, Some(peer(77)));

    // A later review: a member that may no longer post. History keeps both.
    let later = t0() + TimeDelta::days(1);
    store
        .record_review_finding(
            &lease,
            &ReviewFinding {
                at: later,
                verdict: Some(ReviewVerdict::CannotPost(CannotPost::DefaultRights)),
                peer: Some(peer(99)),
                ..finding(run, ids[0], alpha)
            },
            t0(),
        )
        .await
        .unwrap();
    let group = &store.list_groups(&GroupFilter::default()).await.unwrap()[0];
    assert!(!group.can_post);
    assert_eq!(
        group.status_reason.as_deref(),
        Some("the group's default rights forbid messages")
    );
    let target = &store.review_targets().await.unwrap()[0];
    assert_eq!(
        target.peer,
        Some(peer(77)),
        "a stored peer is never replaced"
    );
    let history = store.review_history(ids[0]).await.unwrap();
    let findings: Vec<(&str, GroupStatus, GroupStatus, bool)> = history
        .iter()
        .map(|h| {
            (
                h.finding.as_str(),
                h.status_before,
                h.status_after,
                h.can_post,
            )
        })
        .collect();
    assert_eq!(
        findings,
        vec![
            ("can_post", GroupStatus::New, GroupStatus::Active, true),
            (
                "cannot_post",
                GroupStatus::Active,
                GroupStatus::Active,
                false
            ),
        ]
    );
    assert_eq!(history[1].reviewed_at, later);
}

#[sqlx::test(migrations = "../../migrations")]
async fn banned_is_sticky_and_inaccessible_keeps_the_error(pool: PgPool) {
    let (store, alpha, ids, run, lease) = reviewing(
        pool,
        &[
            ("@canggu_deals", MembershipState::Joined),
            ("@lovina_chat", MembershipState::Pending),
        ],
    )
    .await;

    let banned = record(
        &store,
        &lease,
        judged(
            run,
            ids[0],
            alpha,
            Some(ReviewVerdict::Banned),
            "Banned in group (USER_BANNED_IN_CHANNEL)",
        ),
    )
    .await;
    assert_eq!(banned.status_after, GroupStatus::Banned);
    assert_eq!(banned.membership_after, Some(MembershipState::Banned));
    let again = store
        .record_review_finding(&lease, &finding(run, ids[0], alpha), t0())
        .await
        .unwrap();
    assert_eq!(again.status_after, GroupStatus::Banned);
    assert!(!again.can_post);
    assert_eq!(
        again.membership_after,
        Some(MembershipState::Joined),
        "the membership shows what the account sees"
    );
    let groups_now = store.list_groups(&GroupFilter::default()).await.unwrap();
    let canggu = groups_now.iter().find(|g| g.id == ids[0]).unwrap();
    assert_eq!(canggu.status_reason.as_deref(), Some("banned the account"));

    let gone = record(
        &store,
        &lease,
        judged(
            run,
            ids[1],
            alpha,
            Some(ReviewVerdict::Inaccessible),
            "Inaccessible (USERNAME_NOT_OCCUPIED)",
        ),
    )
    .await;
    assert_eq!(gone.status_after, GroupStatus::Inaccessible);
    assert_eq!(gone.membership_after, Some(MembershipState::Failed));
    let groups_now = store.list_groups(&GroupFilter::default()).await.unwrap();
    let lovina = groups_now.iter().find(|g| g.id == ids[1]).unwrap();
    assert_eq!(
        lovina.status_reason.as_deref(),
        Some("Inaccessible (USERNAME_NOT_OCCUPIED)")
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_failed_check_changes_nothing_but_the_history(pool: PgPool) {
    let (store, alpha, ids, run, lease) =
        reviewing(pool, &[("@bali_market", MembershipState::Pending)]).await;
    let recorded = record(
        &store,
        &lease,
        judged(run, ids[0], alpha, None, "Transient (timeout)"),
    )
    .await;
    assert_eq!(recorded.status_after, GroupStatus::New);
    assert_eq!(recorded.membership_after, Some(MembershipState::Pending));
    let group = &store.list_groups(&GroupFilter::default()).await.unwrap()[0];
    assert_eq!(group.status, GroupStatus::New);
    assert_eq!(
        group.last_reviewed_at, None,
        "a failed check is retried first next time"
    );
    let history = store.review_history(ids[0]).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].finding, "error");
    assert_eq!(history[0].detail.as_deref(), Some("Transient (timeout)"));
}

#[sqlx::test(migrations = "../../migrations")]
async fn findings_are_fenced_by_the_lease(pool: PgPool) {
    let (store, alpha, ids, run, stale) =
        reviewing(pool, &[("@bali_market", MembershipState::Joined)]).await;
    let later = t0() + TimeDelta::seconds(61);
    store
        .try_acquire_lease(alpha, "marketer#1", later, TTL)
        .await
        .unwrap()
        .unwrap();
    let error = store
        .record_review_finding(&stale, &finding(run, ids[0], alpha), later)
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::LeaseLost { .. }), "{error}");
    assert!(store.review_history(ids[0]).await.unwrap().is_empty());
    let group = &store.list_groups(&GroupFilter::default()).await.unwrap()[0];
    assert_eq!(group.status, GroupStatus::New);
}

#[sqlx::test(migrations = "../../migrations")]
async fn runs_keep_their_totals_once(pool: PgPool) {
    let store = Store::from_pool(pool);
    let run = store
        .start_review_run("group-reviewer#1", t0())
        .await
        .unwrap();
    let open = store.review_run(run).await.unwrap().unwrap();
    assert_eq!(open.finished_at, None);
    assert_eq!(open.totals, None);
    let totals = ReviewTotals {
        checked: 144,
        members: 110,
        can_post: 100,
        marked_banned: 5,
        marked_inaccessible: 25,
        errors: 0,
        deferred: 2,
        skipped: 1,
    };
    let end = t0() + TimeDelta::minutes(5);
    store.finish_review_run(run, &totals, end).await.unwrap();
    let done = store.review_run(run).await.unwrap().unwrap();
    assert_eq!(done.holder, "group-reviewer#1");
    assert_eq!(done.finished_at, Some(end));
    assert_eq!(done.totals, Some(totals));

    let twice = store
        .finish_review_run(run, &totals, end)
        .await
        .unwrap_err();
    assert!(twice.to_string().contains("already finished"), "{twice}");
    let unknown = store
        .finish_review_run(ReviewRunId(run.0 + 100), &totals, end)
        .await
        .unwrap_err();
    assert!(matches!(unknown, StoreError::NotFound { .. }), "{unknown}");
}
