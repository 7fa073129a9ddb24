//! Sessions sealed at rest.

mod common;

use common::account;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sqlx::PgPool;
use tgfleet_domain::AccountId;
use tgfleet_store::{AUTH_KEY_BYTES, SessionCipher, Store, StoreError, StoredSession};

const KEY_A: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const KEY_B: &str = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

fn cipher(key: &str) -> SessionCipher {
    SessionCipher::from_base64(&SecretString::from(key)).unwrap()
}

fn auth_key() -> [u8; AUTH_KEY_BYTES] {
    std::array::from_fn(|i| (i * 7 + 3) as u8)
}

fn session() -> StoredSession {
    StoredSession {
        dc_id: 2,
        server_address: "127.0.0.1:4430".to_owned(),
        auth_key: SecretBox::new(Box::new(auth_key())),
        source: "tg-sim".to_owned(),
    }
}

/// The bytes stored for the account's session, as psql would show them.
async fn sealed_bytes(store: &Store, id: AccountId) -> Vec<u8> {
    sqlx::query_scalar("SELECT auth_key_sealed FROM account_sessions WHERE account_id = $1")
        .bind(id.0)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

/// A store holding account `alpha` with its session sealed under `KEY_A`.
async fn alpha_with_session(pool: PgPool) -> (Store, AccountId) {
    let store = Store::from_pool(pool);
    let id = account(&store, "alpha").await;
    store
        .save_session(id, &session(), &cipher(KEY_A))
        .await
        .unwrap();
    (store, id)
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_session_round_trips_sealed(pool: PgPool) {
    let (store, id) = alpha_with_session(pool).await;

    let sealed = sealed_bytes(&store, id).await;
    assert_eq!(
        sealed.len(),
        12 + AUTH_KEY_BYTES + 16,
        "nonce + ciphertext + tag"
    );
    assert!(
        !sealed
            .windows(16)
            .any(|window| auth_key().windows(16).any(|clear| clear == window)),
        "no 16-byte run of the clear key appears in the stored bytes"
    );

    let loaded = store
        .load_session(id, &cipher(KEY_A))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(loaded.auth_key.expose_secret(), &auth_key());
    assert_eq!(
        (
            loaded.dc_id,
            loaded.server_address.as_str(),
            loaded.source.as_str()
        ),
        (2, "127.0.0.1:4430", "tg-sim")
    );

    // Saving again replaces the row, under a fresh nonce.
    store
        .save_session(id, &session(), &cipher(KEY_A))
        .await
        .unwrap();
    let resealed = sealed_bytes(&store, id).await;
    assert_ne!(resealed, sealed);

    let nobody = account(&store, "beta").await;
    assert!(
        store
            .load_session(nobody, &cipher(KEY_A))
            .await
            .unwrap()
            .is_none()
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_wrong_key_is_rejected_without_leaking(pool: PgPool) {
    let (store, id) = alpha_with_session(pool).await;
    let err = store.load_session(id, &cipher(KEY_B)).await.unwrap_err();
    assert!(matches!(err, StoreError::SessionKeyMismatch { account } if account == id));
    let message = err.to_string();
    assert!(message.contains("does not match"), "{message}");
    assert!(
        !message.contains(KEY_A) && !message.contains(KEY_B),
        "{message}"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_sealed_key_does_not_open_on_another_account(pool: PgPool) {
    let store = Store::from_pool(pool);
    let alpha = account(&store, "alpha").await;
    let beta = account(&store, "beta").await;
    let sealed = cipher(KEY_A).seal(alpha, &auth_key());
    assert!(cipher(KEY_A).open(alpha, &sealed).is_ok());
    assert!(matches!(
        cipher(KEY_A).open(beta, &sealed),
        Err(StoreError::SessionKeyMismatch { .. })
    ));
    let err = store
        .save_session(AccountId(9_999), &session(), &cipher(KEY_A))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}

#[test]
fn debug_shows_no_key_material() {
    let session = session();
    let debug = format!("{session:?} {:?}", cipher(KEY_A));
    assert!(debug.contains("REDACTED"), "{debug}");
    assert!(!debug.contains("3, 10, 17"), "{debug}");
    assert!(!debug.contains(KEY_A), "{debug}");
    for bad in ["not base64!", "c2hvcnQ="] {
        let err = SessionCipher::from_base64(&SecretString::from(bad)).unwrap_err();
        assert!(!err.to_string().contains(bad), "{err}");
    }
}
