//! The activity service's queries on a real Postgres (a fresh database per test).

mod common;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use common::account;
use sqlx::PgPool;
use std::time::Duration;
use tgfleet_domain::{GroupHandle, GroupStatus, MembershipState, ReviewVerdict};
use tgfleet_store::fixtures::{MembershipSeed, seed_membership};
use tgfleet_store::{
    CatalogueFacts, GroupFilter, ImportedGroup, NewEvent, ReviewFinding, Store, StoredPeer,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 10, 3, 0, 0).unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn only_one_replica_moves_a_plan(pool: PgPool) {
    let store = Store::from_pool(pool);
    let alpha = account(&store, "alpha").await;
    let next = t0() + TimeDelta::minutes(45);
    let (a, b, c) = tokio::join!(
        store.plan_activity(alpha, None, next),
        store.plan_activity(alpha, None, next + TimeDelta::minutes(1)),
        store.plan_activity(alpha, None, next + TimeDelta::minutes(2)),
    );
    let moved = [a.unwrap(), b.unwrap(), c.unwrap()];
    assert_eq!(moved.iter().filter(|m| **m).count(), 1, "{moved:?}");
    let planned = store
        .account_by_id(alpha)
        .await
        .unwrap()
        .unwrap()
        .activity_next_at
        .unwrap();
    assert!(planned >= next && planned <= next + TimeDelta::minutes(2));

    assert!(!store.plan_activity(alpha, None, t0()).await.unwrap());
    assert!(
        store
            .plan_activity(alpha, Some(planned), t0() + TimeDelta::hours(3))
            .await
            .unwrap()
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn activity_peers_are_joined_usable_groups_with_peers(pool: PgPool) {
    let store = Store::from_pool(pool);
    let (alpha, beta) = (
        account(&store, "alpha").await,
        account(&store, "beta").await,
    );
    let handles = [
        "@joined_one",
        "@joined_two",
        "@pending_one",
        "@banned_one",
        "@beta_only",
    ];
    store
        .import_groups(
            &handles
                .iter()
                .map(|h| ImportedGroup {
                    handle: GroupHandle::parse(h).unwrap(),
                    tags: Vec::new(),
                })
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    let groups = store.list_groups(&GroupFilter::default()).await.unwrap();
    let id = |name: &str| {
        groups
            .iter()
            .find(|g| g.handle == GroupHandle::parse(name).unwrap())
            .unwrap()
            .id
    };
    let peer = |n: i64| StoredPeer {
        id: n,
        access_hash: -n,
        kind: "channel".into(),
    };
    let seeds = [
        (alpha, "@joined_one", MembershipState::Joined, Some(peer(1))),
        (alpha, "@joined_two", MembershipState::Joined, Some(peer(2))),
        (alpha, "@pending_one", MembershipState::Pending, None),
        (alpha, "@banned_one", MembershipState::Joined, Some(peer(4))),
        (beta, "@beta_only", MembershipState::Joined, Some(peer(5))),
    ];
    for (account, handle, state, peer) in seeds {
        seed_membership(
            &store,
            &MembershipSeed {
                account,
                group: id(handle),
                state,
                peer,
                responsible: true,
            },
        )
        .await
        .unwrap();
    }
    // The reviewer found @banned_one banning alpha: no more activity there.
    let run = store.start_review_run("gr", t0()).await.unwrap();
    let lease = store
        .try_acquire_lease(alpha, "gr", t0(), Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    store
        .record_review_finding(
            &lease,
            &ReviewFinding {
                run,
                group_id: id("@banned_one"),
                account_id: alpha,
                at: t0(),
                verdict: Some(ReviewVerdict::Banned),
                peer: None,
                chat: CatalogueFacts::default(),
                slow_mode_secs: None,
                next_send_at: None,
                detail: None,
            },
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .list_groups(&GroupFilter {
                status: Some(GroupStatus::Banned),
                tag: None
            })
            .await
            .unwrap()
            .len(),
        1
    );

    let peers = store.activity_peers(alpha).await.unwrap();
    let names: Vec<String> = peers.iter().map(|p| p.handle.to_string()).collect();
    assert_eq!(names, vec!["@joined_one", "@joined_two"]);
    assert_eq!(peers[1].peer, peer(2));
}

#[sqlx::test(migrations = "../../migrations")]
async fn reactions_are_counted_from_the_event_log(pool: PgPool) {
    let store = Store::from_pool(pool);
    let (alpha, beta) = (
        account(&store, "alpha").await,
        account(&store, "beta").await,
    );
    let event = |account, at, action: &str, outcome: &str| NewEvent {
        at,
        service: "activity".into(),
        account_id: Some(account),
        group_id: None,
        action: action.into(),
        outcome: outcome.into(),
        flood_wait_secs: None,
        detail: None,
    };
    let day_start = t0() - TimeDelta::hours(3);
    for e in [
        event(alpha, day_start - TimeDelta::seconds(1), "react", "ok"),
        event(alpha, day_start, "react", "ok"),
        event(alpha, t0(), "react", "ok"),
        event(alpha, t0(), "react", "flood_wait"),
        event(alpha, t0(), "read", "ok"),
        event(beta, t0(), "react", "ok"),
    ] {
        store.record_event(&e).await.unwrap();
    }
    assert_eq!(
        store
            .count_account_events(alpha, "react", "ok", day_start)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .count_account_events(beta, "react", "ok", day_start)
            .await
            .unwrap(),
        1
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn account_marks_only_move_forward(pool: PgPool) {
    let store = Store::from_pool(pool);
    let alpha = account(&store, "alpha").await;
    let later = t0() + TimeDelta::hours(2);
    store.note_other_flood(alpha, later).await.unwrap();
    store.note_other_flood(alpha, t0()).await.unwrap();
    store.note_activity(alpha, later).await.unwrap();
    store.note_activity(alpha, t0()).await.unwrap();
    let row = store.account_by_id(alpha).await.unwrap().unwrap();
    assert_eq!(row.other_flood_until, Some(later));
    assert_eq!(row.last_activity, Some(later));
    assert_eq!(row.join_flood_until, None);
    assert_eq!(row.post_flood_until, None);

    store
        .set_account_time_zone(alpha, Some("Europe/Berlin"))
        .await
        .unwrap();
    let row = store.account_by_id(alpha).await.unwrap().unwrap();
    assert_eq!(row.time_zone.as_deref(), Some("Europe/Berlin"));
    store.set_account_time_zone(alpha, None).await.unwrap();
    let row = store.account_by_id(alpha).await.unwrap().unwrap();
    assert_eq!(row.time_zone, None);
    let missing = store
        .set_account_time_zone(tgfleet_domain::AccountId(alpha.0 + 100), None)
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("not found"), "{missing}");
}
