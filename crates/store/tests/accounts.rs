//! Accounts: creation rules and the operator's suspend / resume.

use sqlx::PgPool;
use tgfleet_domain::{AccountStatus, mask_phone};
use tgfleet_store::{NewAccount, Store, StoreError};

fn new_account(label: &str) -> NewAccount {
    NewAccount {
        label: label.to_owned(),
        phone_masked: Some(mask_phone("+6281234567812")),
        ..NewAccount::default()
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn accounts_are_created_once_per_label(pool: PgPool) {
    let store = Store::from_pool(pool);
    let alpha = store.create_account(&new_account("alpha")).await.unwrap();
    assert_eq!(alpha.status, AccountStatus::Active);
    assert_eq!(alpha.phone_masked.as_deref(), Some("+62*********12"));
    store.create_account(&new_account("beta")).await.unwrap();

    let err = store
        .create_account(&new_account("alpha"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    let err = store
        .create_account(&new_account("bad label"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");

    let labels: Vec<String> = store
        .list_accounts()
        .await
        .unwrap()
        .into_iter()
        .map(|account| account.label)
        .collect();
    assert_eq!(labels, ["alpha", "beta"]);
    assert_eq!(
        store.account_by_id(alpha.id).await.unwrap().unwrap().label,
        "alpha"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_full_phone_number_is_never_stored(pool: PgPool) {
    let store = Store::from_pool(pool);
    let account = NewAccount {
        phone_masked: Some("+6281234567812".to_owned()),
        ..new_account("alpha")
    };
    let err = store.create_account(&account).await.unwrap_err();
    assert!(!err.to_string().contains("81234567"), "{err}");
    assert!(store.list_accounts().await.unwrap().is_empty());
}

#[sqlx::test(migrations = "../../migrations")]
async fn suspend_and_resume_follow_the_rules(pool: PgPool) {
    let store = Store::from_pool(pool);
    let alpha = store.create_account(&new_account("alpha")).await.unwrap();

    let change = store
        .suspend_account("alpha", Some("operator"))
        .await
        .unwrap();
    assert_eq!(
        (change.from, change.to),
        (AccountStatus::Active, AccountStatus::Suspended)
    );
    let stored = store.account_by_label("alpha").await.unwrap().unwrap();
    assert_eq!(stored.status, AccountStatus::Suspended);
    assert_eq!(stored.status_reason.as_deref(), Some("operator"));

    let again = store.suspend_account("alpha", None).await.unwrap();
    assert_eq!(again.from, again.to, "suspending twice changes nothing");

    let resumed = store.resume_account("alpha").await.unwrap();
    assert_eq!(
        (resumed.from, resumed.to),
        (AccountStatus::Suspended, AccountStatus::Active)
    );

    let err = store.resume_account("alpha").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "account \"alpha\" is active: only suspended or resting accounts can be resumed"
    );

    store
        .set_account_status(alpha.id, AccountStatus::Resting, Some("FloodWait 7200 s"))
        .await
        .unwrap();
    let resumed = store.resume_account("alpha").await.unwrap();
    assert_eq!(resumed.from, AccountStatus::Resting);
    let stored = store.account_by_label("alpha").await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.status_reason),
        (AccountStatus::Active, None)
    );

    store
        .set_account_status(
            alpha.id,
            AccountStatus::Deactivated,
            Some("USER_DEACTIVATED_BAN"),
        )
        .await
        .unwrap();
    assert!(matches!(
        store.suspend_account("alpha", None).await,
        Err(StoreError::Invalid { .. })
    ));
    assert!(matches!(
        store.resume_account("alpha").await,
        Err(StoreError::Invalid { .. })
    ));
    assert!(matches!(
        store.resume_account("nobody").await,
        Err(StoreError::NotFound { .. })
    ));
}
