//! Connecting and migrating: clear errors, and migrations applied once.

use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;
use tgfleet_store::{MIGRATOR, Store, StoreError};

fn url_for(options: &PgConnectOptions, database: &str) -> String {
    format!(
        "postgres://{}:secret-pw@{}:{}/{database}",
        options.get_username(),
        options.get_host(),
        options.get_port()
    )
}

#[tokio::test]
async fn an_unreachable_server_is_named_without_the_password() {
    // Port 1 on loopback: nothing listens there.
    let err = Store::connect("postgres://fleet:secret-pw@127.0.0.1:1/tgfleet", 2)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("127.0.0.1:1") && message.contains("\"tgfleet\""),
        "{message}"
    );
    assert!(!message.contains("secret-pw"), "{message}");
    assert!(err.is_environment());
}

#[sqlx::test(migrations = false)]
async fn a_missing_database_is_named(pool: PgPool) {
    let url = url_for(&pool.connect_options(), "tgfleet_no_such_database");
    let err = Store::connect(&url, 2).await.unwrap_err();
    assert!(matches!(err, StoreError::DatabaseMissing { .. }), "{err}");
    assert!(
        err.to_string().contains("tgfleet_no_such_database"),
        "{err}"
    );
    assert!(!err.to_string().contains("secret-pw"), "{err}");
}

#[sqlx::test(migrations = false)]
async fn pending_migrations_are_listed_then_applied_once(pool: PgPool) {
    let store = Store::from_pool(pool);
    let expected: Vec<String> = MIGRATOR
        .iter()
        .map(|migration| format!("{} {}", migration.version, migration.description))
        .collect();
    assert!(!expected.is_empty());

    match store.ensure_migrated().await {
        Err(StoreError::MigrationsPending { pending }) => assert_eq!(pending, expected),
        other => panic!("expected pending migrations, got {other:?}"),
    }
    let err = store.ensure_migrated().await.unwrap_err();
    assert!(err.to_string().contains("tgfleet migrate"), "{err}");

    assert_eq!(store.migrate().await.unwrap(), expected);
    assert_eq!(store.migrate().await.unwrap(), Vec::<String>::new());
    store.ensure_migrated().await.unwrap();
    let status = store.migration_status().await.unwrap();
    assert_eq!((status.applied, status.pending), (expected, vec![]));
}

#[sqlx::test(migrations = false)]
async fn an_edited_migration_is_detected(pool: PgPool) {
    let store = Store::from_pool(pool);
    store.migrate().await.unwrap();
    sqlx::query("UPDATE _sqlx_migrations SET checksum = '\\x00'::bytea")
        .execute(store.pool())
        .await
        .unwrap();
    let err = store.ensure_migrated().await.unwrap_err();
    assert!(matches!(err, StoreError::MigrationChanged { .. }), "{err}");
}
