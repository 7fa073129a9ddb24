//! Session import, login records and whoami records.

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sqlx::PgPool;
use std::time::Duration;
use tgfleet_domain::{AccountId, AccountStatus};
use tgfleet_store::{
    AUTH_KEY_BYTES, ImportOutcome, SessionCipher, SessionImport, Store, StoreError, StoredSession,
    WhoamiOutcome,
};

const KEY_A: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const KEY_B: &str = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

fn cipher(key: &str) -> SessionCipher {
    SessionCipher::from_base64(&SecretString::from(key)).unwrap()
}

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn import(label: &str, seed: u8) -> SessionImport {
    SessionImport {
        label: label.to_owned(),
        session: StoredSession {
            dc_id: 4,
            server_address: "149.154.167.92:443".to_owned(),
            auth_key: SecretBox::new(Box::new([seed; AUTH_KEY_BYTES])),
            source: "telethon-file".to_owned(),
        },
        phone_masked: Some("+62*********12".to_owned()),
        telegram_user_id: Some(777),
    }
}

async fn stored_key(store: &Store, id: AccountId) -> [u8; AUTH_KEY_BYTES] {
    *store
        .load_session(id, &cipher(KEY_A))
        .await
        .unwrap()
        .unwrap()
        .auth_key
        .expose_secret()
}

async fn session_rows(store: &Store) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM account_sessions")
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn importing_creates_then_is_idempotent_and_refuses_a_different_session(pool: PgPool) {
    let store = Store::from_pool(pool);
    let key = cipher(KEY_A);
    let first = store
        .import_sessions(&[import("alpha", 1), import("beta", 2)], &key, false)
        .await
        .unwrap();
    let [ImportOutcome::Created(alpha), ImportOutcome::Created(_)] = first[..] else {
        panic!("{first:?}");
    };
    let account = store.account_by_id(alpha).await.unwrap().unwrap();
    assert_eq!(account.status, AccountStatus::Active);
    assert_eq!(account.phone_masked.as_deref(), Some("+62*********12"));
    assert_eq!(account.telegram_user_id, Some(777));
    assert_eq!(stored_key(&store, alpha).await, [1; AUTH_KEY_BYTES]);

    let again = store
        .import_sessions(&[import("alpha", 1)], &key, false)
        .await
        .unwrap();
    assert_eq!(again, [ImportOutcome::Unchanged(alpha)]);

    let different = store
        .import_sessions(&[import("alpha", 9)], &key, false)
        .await
        .unwrap();
    assert!(
        matches!(&different[..], [ImportOutcome::Refused(reason)] if reason.contains("--replace")),
        "{different:?}"
    );
    assert_eq!(stored_key(&store, alpha).await, [1; AUTH_KEY_BYTES]);

    let replaced = store
        .import_sessions(&[import("alpha", 9)], &key, true)
        .await
        .unwrap();
    assert_eq!(replaced, [ImportOutcome::Replaced(alpha)]);
    assert_eq!(stored_key(&store, alpha).await, [9; AUTH_KEY_BYTES]);
    assert_eq!(session_rows(&store).await, 2);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_session_sealed_with_another_key_is_never_overwritten(pool: PgPool) {
    let store = Store::from_pool(pool);
    let created = store
        .import_sessions(&[import("alpha", 1)], &cipher(KEY_B), false)
        .await
        .unwrap();
    let [ImportOutcome::Created(alpha)] = created[..] else {
        panic!("{created:?}");
    };
    let outcome = store
        .import_sessions(&[import("alpha", 1)], &cipher(KEY_A), true)
        .await
        .unwrap();
    assert!(
        matches!(&outcome[..], [ImportOutcome::Refused(reason)] if reason.contains("another encryption key")),
        "{outcome:?}"
    );
    let still = store
        .load_session(alpha, &cipher(KEY_B))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.auth_key.expose_secret(), &[1; AUTH_KEY_BYTES]);
}

#[sqlx::test(migrations = "../../migrations")]
async fn bad_labels_and_unmasked_phones_are_refused_without_writing(pool: PgPool) {
    let store = Store::from_pool(pool);
    let mut unmasked = import("gamma", 3);
    unmasked.phone_masked = Some("+6281234567812".to_owned());
    let outcomes = store
        .import_sessions(&[import("bad label!", 1), unmasked], &cipher(KEY_A), false)
        .await
        .unwrap();
    assert!(
        matches!(&outcomes[..], [ImportOutcome::Refused(a), ImportOutcome::Refused(b)]
            if a.contains("label") && b.contains("masked")),
        "{outcomes:?}"
    );
    assert!(store.list_accounts().await.unwrap().is_empty());
    assert_eq!(session_rows(&store).await, 0);
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_account_awaiting_login_gets_an_imported_session_and_becomes_active(pool: PgPool) {
    let store = Store::from_pool(pool);
    let pending = store
        .prepare_login("alpha", "+62*********12")
        .await
        .unwrap();
    assert_eq!(pending.status, AccountStatus::Unauthorized);
    assert_eq!(pending.status_reason.as_deref(), Some("login pending"));
    let outcome = store
        .import_sessions(&[import("alpha", 5)], &cipher(KEY_A), false)
        .await
        .unwrap();
    assert_eq!(outcome, [ImportOutcome::Attached(pending.id)]);
    let account = store.account_by_id(pending.id).await.unwrap().unwrap();
    assert_eq!(account.status, AccountStatus::Active);
    assert_eq!(account.status_reason, None);
}

#[sqlx::test(migrations = "../../migrations")]
async fn login_records_activate_unless_the_operator_suspended(pool: PgPool) {
    let store = Store::from_pool(pool);
    let alpha = store
        .prepare_login("alpha", "+62*********12")
        .await
        .unwrap();
    let again = store
        .prepare_login("alpha", "+62*********12")
        .await
        .unwrap();
    assert_eq!(again.id, alpha.id, "preparing twice reuses the account");
    let other_phone = store
        .prepare_login("alpha", "+79*******89")
        .await
        .unwrap_err();
    assert!(
        matches!(&other_phone, StoreError::Invalid { reason, .. } if reason.contains("+62*********12")),
        "{other_phone}"
    );
    assert!(store.prepare_login("beta", "+6281234567812").await.is_err());

    let recorded = store.record_login(alpha.id, 4242, t0()).await.unwrap();
    assert_eq!(recorded.status, AccountStatus::Active);
    let account = store.account_by_id(alpha.id).await.unwrap().unwrap();
    assert_eq!(account.telegram_user_id, Some(4242));
    assert_eq!(account.last_activity, Some(t0()));

    store.suspend_account("alpha", None).await.unwrap();
    let recorded = store.record_login(alpha.id, 4242, t0()).await.unwrap();
    assert_eq!(recorded.status, AccountStatus::Suspended);
}

#[sqlx::test(migrations = "../../migrations")]
async fn whoami_records_are_fenced_by_the_lease(pool: PgPool) {
    let store = Store::from_pool(pool);
    let id = common::account(&store, "alpha").await;
    let ttl = Duration::from_secs(60);
    let lease = store
        .try_acquire_lease(id, "check", t0(), ttl)
        .await
        .unwrap()
        .unwrap();
    store
        .record_whoami(&lease, &WhoamiOutcome::SignedIn { user_id: 99 }, t0())
        .await
        .unwrap();
    let account = store.account_by_id(id).await.unwrap().unwrap();
    assert_eq!(
        (account.telegram_user_id, account.last_activity),
        (Some(99), Some(t0()))
    );

    store
        .record_whoami(
            &lease,
            &WhoamiOutcome::Deactivated("USER_DEACTIVATED_BAN".to_owned()),
            t0(),
        )
        .await
        .unwrap();
    let account = store.account_by_id(id).await.unwrap().unwrap();
    assert_eq!(account.status, AccountStatus::Deactivated);
    assert_eq!(
        account.status_reason.as_deref(),
        Some("USER_DEACTIVATED_BAN")
    );

    let later = t0() + TimeDelta::seconds(120);
    store
        .try_acquire_lease(id, "someone-else", later, ttl)
        .await
        .unwrap()
        .unwrap();
    let stale = store
        .record_whoami(
            &lease,
            &WhoamiOutcome::Unauthorized("AUTH_KEY_UNREGISTERED".to_owned()),
            later,
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, StoreError::LeaseLost { .. }), "{stale}");
    let account = store.account_by_id(id).await.unwrap().unwrap();
    assert_eq!(
        account.status,
        AccountStatus::Deactivated,
        "nothing written"
    );
}
