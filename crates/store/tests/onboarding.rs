//! Session import, login records and whoami records.

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sqlx::PgPool;
use std::time::Duration;
use tgfleet_domain::{AccountId, AccountStatus, DeviceProfile};
use tgfleet_store::{
    AUTH_KEY_BYTES, DeviceParams, ImportOutcome, SessionCipher, SessionImport, Store, StoreError,
    StoredSession, WhoamiOutcome,
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
        telegram_user_id: Some(user_of(label)),
        device: None,
        password: None,
    }
}

/// A Telegram user id per label.
fn user_of(label: &str) -> i64 {
    700_000 + label.bytes().map(i64::from).sum::<i64>()
}

/// The device of a JSON sidecar `alpha.json`.
fn sidecar_device() -> DeviceParams {
    DeviceParams {
        api_id: Some(2040),
        device_model: Some("Desktop".to_owned()),
        system_version: Some("Windows 10".to_owned()),
        app_version: Some("5.6.3 x64".to_owned()),
        system_lang_code: Some("en-US".to_owned()),
        lang_code: Some("en".to_owned()),
        source: "json sidecar alpha.json".to_owned(),
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
    assert_eq!(account.telegram_user_id, Some(user_of("alpha")));
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

async fn snapshot(store: &Store) -> Vec<String> {
    tgfleet_store::fixtures::onboarding_snapshot(store)
        .await
        .unwrap()
}

fn refused(outcomes: &[ImportOutcome]) -> &str {
    match outcomes {
        [ImportOutcome::Refused(reason)] => reason,
        other => panic!("expected one refusal, got {other:?}"),
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn one_key_and_one_user_live_under_one_label(pool: PgPool) {
    let store = Store::from_pool(pool);
    let key = cipher(KEY_A);
    store
        .import_sessions(&[import("alpha", 1)], &key, false)
        .await
        .unwrap();
    let before = snapshot(&store).await;

    for replace in [false, true] {
        let mut same_key = import("beta", 1);
        same_key.telegram_user_id = None;
        let outcome = store
            .import_sessions(&[same_key], &key, replace)
            .await
            .unwrap();
        let reason = refused(&outcome);
        assert!(
            reason.contains("auth key") && reason.contains("account alpha"),
            "{reason}"
        );

        let mut same_user = import("gamma", 3);
        same_user.telegram_user_id = Some(user_of("alpha"));
        let outcome = store
            .import_sessions(&[same_user], &key, replace)
            .await
            .unwrap();
        let reason = refused(&outcome);
        assert!(
            reason.contains(&format!("Telegram user {}", user_of("alpha")))
                && reason.contains("account alpha"),
            "{reason}"
        );
    }
    let mut other_user = import("alpha", 4);
    other_user.telegram_user_id = Some(1);
    let outcome = store
        .import_sessions(&[other_user], &key, true)
        .await
        .unwrap();
    assert!(refused(&outcome).contains("another label"), "{outcome:?}");
    assert_eq!(snapshot(&store).await, before, "a refusal writes nothing");

    let batch = store
        .import_sessions(&[import("delta", 7), import("epsilon", 7)], &key, false)
        .await
        .unwrap();
    assert!(matches!(batch[0], ImportOutcome::Created(_)), "{batch:?}");
    assert!(refused(&batch[1..]).contains("account delta"), "{batch:?}");
    assert!(store.account_by_label("epsilon").await.unwrap().is_none());
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_database_refuses_a_second_label_for_a_key_or_a_user(pool: PgPool) {
    let store = Store::from_pool(pool);
    let key = cipher(KEY_A);
    let created = store
        .import_sessions(&[import("alpha", 1)], &key, false)
        .await
        .unwrap();
    let [ImportOutcome::Created(alpha)] = created[..] else {
        panic!("{created:?}");
    };
    let beta = common::account(&store, "beta").await;
    let same_key = store
        .save_session(beta, &import("beta", 1).session, &key)
        .await
        .unwrap_err();
    assert!(
        same_key.to_string().contains("another account"),
        "{same_key}"
    );
    let same_user = sqlx::query("UPDATE accounts SET telegram_user_id = $1 WHERE id = $2")
        .bind(user_of("alpha"))
        .bind(beta.0)
        .execute(store.pool())
        .await
        .unwrap_err();
    assert!(
        same_user.to_string().contains("telegram_user_id"),
        "{same_user}"
    );
    let login = store
        .record_login(beta, user_of("alpha"), t0())
        .await
        .unwrap_err();
    assert!(login.to_string().contains("account alpha"), "{login}");

    sqlx::query("UPDATE account_sessions SET key_fingerprint = NULL WHERE account_id = $1")
        .bind(alpha.0)
        .execute(store.pool())
        .await
        .unwrap();
    let mut copy = import("gamma", 1);
    copy.telegram_user_id = None;
    let outcome = store.import_sessions(&[copy], &key, false).await.unwrap();
    assert!(
        refused(&outcome).contains("account alpha"),
        "an old row's fingerprint is filled in before the check: {outcome:?}"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn device_parameters_and_the_sealed_password_are_stored_with_the_session(pool: PgPool) {
    let store = Store::from_pool(pool);
    let key = cipher(KEY_A);
    let device = sidecar_device();
    let mut with_extras = import("alpha", 1);
    with_extras.device = Some(device.clone());
    with_extras.password = Some(SecretString::from("hunter2-secret"));
    let created = store
        .import_sessions(&[with_extras, import("beta", 2)], &key, false)
        .await
        .unwrap();
    let [ImportOutcome::Created(alpha), ImportOutcome::Created(beta)] = created[..] else {
        panic!("{created:?}");
    };
    assert_eq!(store.load_device(alpha).await.unwrap(), Some(device));
    assert_eq!(store.load_device(beta).await.unwrap(), None);
    let password = store.load_password(alpha, &key).await.unwrap().unwrap();
    assert_eq!(password.expose_secret(), "hunter2-secret");
    assert!(store.load_password(beta, &key).await.unwrap().is_none());
    assert!(
        !snapshot(&store).await.concat().contains("hunter2"),
        "the password is sealed at rest"
    );
    assert!(store.load_password(alpha, &cipher(KEY_B)).await.is_err());
    let summaries = store.session_summaries().await.unwrap();
    assert_eq!(summaries.len(), 2);
    assert_eq!(
        summaries[0].device_source.as_deref(),
        Some("json sidecar alpha.json")
    );
    assert!(summaries[0].has_password && !summaries[1].has_password);
    assert_eq!(
        (summaries[1].dc_id, summaries[1].source.as_str()),
        (4, "telethon-file")
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_generated_device_is_stored_once_and_never_replaces_another(pool: PgPool) {
    let store = Store::from_pool(pool);
    let key = cipher(KEY_A);
    let sidecar = sidecar_device();
    let mut with_device = import("alpha", 1);
    with_device.device = Some(sidecar.clone());
    let created = store
        .import_sessions(&[with_device, import("beta", 2)], &key, false)
        .await
        .unwrap();
    let [ImportOutcome::Created(alpha), ImportOutcome::Created(beta)] = created[..] else {
        panic!("{created:?}");
    };
    let mut profiles = DeviceProfile::all();
    let first = DeviceParams::generated(profiles.next().unwrap());
    let second = DeviceParams::generated(profiles.nth(2).unwrap());
    assert_ne!(first, second);

    // No device yet: the first candidate is stored, a later one is not.
    assert_eq!(store.load_device(beta).await.unwrap(), None);
    let stored = store.ensure_device(beta, &first).await.unwrap();
    assert_eq!(stored.as_ref(), Some(&first));
    assert_eq!(first.source, "generated");
    assert_eq!(store.ensure_device(beta, &second).await.unwrap(), stored);
    assert_eq!(store.load_device(beta).await.unwrap(), stored);

    // Two writers at once: both read back the one set that won.
    let imported = store
        .import_sessions(&[import("gamma", 3)], &key, false)
        .await
        .unwrap();
    let [ImportOutcome::Created(gamma)] = imported[..] else {
        panic!("{imported:?}");
    };
    let (a, b) = tokio::join!(
        store.ensure_device(gamma, &first),
        store.ensure_device(gamma, &second)
    );
    let (a, b) = (a.unwrap().unwrap(), b.unwrap().unwrap());
    assert_eq!(a, b, "first writer wins for every caller");
    assert_eq!(store.load_device(gamma).await.unwrap(), Some(a));

    // An imported set is never replaced.
    assert_eq!(
        store.ensure_device(alpha, &first).await.unwrap(),
        Some(sidecar.clone())
    );
    assert_eq!(store.load_device(alpha).await.unwrap(), Some(sidecar));

    // A partial import (tdata: the application, not the machine) is completed, its
    // own fields kept, once.
    let mut tdata = import("epsilon", 5);
    tdata.device = Some(DeviceParams {
        api_id: Some(2040),
        app_version: Some("4.9.9 x64".to_owned()),
        source: "tdata (Telegram Desktop 4.9.9 x64)".to_owned(),
        ..DeviceParams::default()
    });
    let imported = store.import_sessions(&[tdata], &key, false).await.unwrap();
    let [ImportOutcome::Created(epsilon)] = imported[..] else {
        panic!("{imported:?}");
    };
    let completed = store.ensure_device(epsilon, &first).await.unwrap().unwrap();
    assert!(completed.is_complete(), "{completed:?}");
    assert_eq!(completed.api_id, Some(2040));
    assert_eq!(completed.app_version.as_deref(), Some("4.9.9 x64"));
    assert_eq!(completed.device_model, first.device_model);
    assert_eq!(completed.system_version, first.system_version);
    assert_eq!(
        completed.source,
        "tdata (Telegram Desktop 4.9.9 x64) + generated"
    );
    assert_eq!(
        store.ensure_device(epsilon, &second).await.unwrap(),
        Some(completed)
    );

    // No session row: nothing to store on.
    let created = store
        .create_account(&tgfleet_store::NewAccount {
            label: "delta".to_owned(),
            ..tgfleet_store::NewAccount::default()
        })
        .await
        .unwrap();
    assert_eq!(store.ensure_device(created.id, &first).await.unwrap(), None);

    let summaries = store.session_summaries().await.unwrap();
    let source_of = |id: AccountId| {
        summaries
            .iter()
            .find(|s| s.account_id == id)
            .and_then(|s| s.device_source.clone())
    };
    assert_eq!(source_of(beta).as_deref(), Some("generated"));
    assert_eq!(source_of(alpha).as_deref(), Some("json sidecar alpha.json"));
}
