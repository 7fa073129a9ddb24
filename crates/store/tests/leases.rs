//! Account leases and schedule ticks on a real Postgres (a fresh database per test).

mod common;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use common::account;
use sqlx::PgPool;
use std::time::Duration;
use tgfleet_store::{Store, StoreError, check_lease};

const TTL: Duration = Duration::from_secs(30);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap()
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

#[sqlx::test(migrations = "../../migrations")]
async fn concurrent_claimants_of_one_lease_exactly_one_wins(pool: PgPool) {
    let store = Store::from_pool(pool);
    for round in 0..10 {
        let id = account(&store, &format!("acct{round}")).await;
        // First race: no lease row exists yet (both try to insert it).
        let (a, b, c) = tokio::join!(
            store.try_acquire_lease(id, "holder-a", t0(), TTL),
            store.try_acquire_lease(id, "holder-b", t0(), TTL),
            store.try_acquire_lease(id, "holder-c", t0(), TTL),
        );
        let winners: Vec<_> = [a.unwrap(), b.unwrap(), c.unwrap()]
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        assert_eq!(winners[0].token, 1);

        // Second race: the row exists and has expired (both try to update it).
        let later = t0() + secs(31);
        let (a, b, c) = tokio::join!(
            store.try_acquire_lease(id, "holder-a", later, TTL),
            store.try_acquire_lease(id, "holder-b", later, TTL),
            store.try_acquire_lease(id, "holder-c", later, TTL),
        );
        let winners: Vec<_> = [a.unwrap(), b.unwrap(), c.unwrap()]
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        assert_eq!(winners[0].token, 2);
        assert_eq!(
            store.lease_of(id).await.unwrap().as_ref(),
            Some(&winners[0])
        );
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_live_lease_is_not_taken(pool: PgPool) {
    let store = Store::from_pool(pool);
    let id = account(&store, "alpha").await;
    let held = store
        .try_acquire_lease(id, "a", t0(), TTL)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.expires_at, t0() + secs(30));
    let other = store
        .try_acquire_lease(id, "b", t0() + secs(29), TTL)
        .await
        .unwrap();
    assert_eq!(other, None);
    let renewed = store
        .renew_lease(&held, t0() + secs(20), TTL)
        .await
        .unwrap();
    assert_eq!(renewed.expires_at, t0() + secs(50));
    assert_eq!(
        store
            .try_acquire_lease(id, "b", t0() + secs(45), TTL)
            .await
            .unwrap(),
        None
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_stale_holder_cannot_renew_or_write(pool: PgPool) {
    let store = Store::from_pool(pool);
    let id = account(&store, "alpha").await;
    let stale = store
        .try_acquire_lease(id, "a", t0(), TTL)
        .await
        .unwrap()
        .unwrap();

    // Expired but not yet taken: renewal is refused, and so is a fenced write.
    let expired = t0() + secs(31);
    assert!(matches!(
        store.renew_lease(&stale, expired, TTL).await,
        Err(StoreError::LeaseLost { account }) if account == id
    ));
    let mut tx = store.pool().begin().await.unwrap();
    assert!(matches!(
        check_lease(&mut tx, &stale, expired).await,
        Err(StoreError::LeaseLost { .. })
    ));
    tx.rollback().await.unwrap();

    // Taken by another holder: the token moved on.
    let taker = store
        .try_acquire_lease(id, "b", expired, TTL)
        .await
        .unwrap()
        .unwrap();
    assert!(taker.token > stale.token);
    assert!(matches!(
        store.renew_lease(&stale, expired, TTL).await,
        Err(StoreError::LeaseLost { .. })
    ));
    // Even with a clock that believes the old lease is still live, the fence holds.
    let mut tx = store.pool().begin().await.unwrap();
    assert!(matches!(
        check_lease(&mut tx, &stale, t0() + secs(1)).await,
        Err(StoreError::LeaseLost { .. })
    ));
    tx.rollback().await.unwrap();
    // The stale holder's release does not free the new holder's lease.
    store.release_lease(&stale, expired).await.unwrap();
    assert_eq!(store.lease_of(id).await.unwrap(), Some(taker.clone()));
    let mut tx = store.pool().begin().await.unwrap();
    check_lease(&mut tx, &taker, expired + secs(1))
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_token_grows_across_holders_and_releases(pool: PgPool) {
    let store = Store::from_pool(pool);
    let id = account(&store, "alpha").await;
    let mut now = t0();
    let mut tokens = Vec::new();
    for holder in ["a", "b", "a", "c"] {
        let lease = store
            .try_acquire_lease(id, holder, now, TTL)
            .await
            .unwrap()
            .unwrap();
        tokens.push(lease.token);
        store.release_lease(&lease, now + secs(1)).await.unwrap();
        // Released: another holder may take it at once, without waiting for the TTL.
        now += secs(2);
    }
    assert_eq!(tokens, [1, 2, 3, 4]);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_fenced_transaction_holds_off_a_takeover_until_it_commits(pool: PgPool) {
    let store = Store::from_pool(pool);
    let id = account(&store, "alpha").await;
    let lease = store
        .try_acquire_lease(id, "a", t0(), TTL)
        .await
        .unwrap()
        .unwrap();
    let mut tx = store.pool().begin().await.unwrap();
    check_lease(&mut tx, &lease, t0() + secs(29)).await.unwrap();

    let contender = store.clone();
    let takeover = tokio::spawn(async move {
        contender
            .try_acquire_lease(id, "b", t0() + secs(31), TTL)
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !takeover.is_finished(),
        "the takeover must wait for the fenced transaction"
    );
    tx.commit().await.unwrap();
    let taken = takeover.await.unwrap().unwrap().unwrap();
    assert_eq!(taken.token, lease.token + 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_cron_tick_is_claimed_once(pool: PgPool) {
    let store = Store::from_pool(pool);
    for minute in 0..10 {
        let tick = t0() + TimeDelta::minutes(minute);
        let (a, b) = tokio::join!(
            store.claim_cron_tick("joins:0 9 * * *", tick, "replica-a"),
            store.claim_cron_tick("joins:0 9 * * *", tick, "replica-b"),
        );
        assert!(
            a.unwrap() ^ b.unwrap(),
            "tick {tick}: exactly one claimant wins"
        );
        assert!(
            !store
                .claim_cron_tick("joins:0 9 * * *", tick, "replica-c")
                .await
                .unwrap()
        );
    }
    // Another schedule's tick at the same instant is its own.
    assert!(
        store
            .claim_cron_tick("reviewer", t0(), "replica-a")
            .await
            .unwrap()
    );
}
