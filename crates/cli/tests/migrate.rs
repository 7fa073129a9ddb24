//! `tgfleet migrate` and the clear start-up errors, through the real binary.

mod common;

use common::{database_url, tgfleet, tgfleet_with_env};
use sqlx::PgPool;
use std::io::Write;
use tgfleet_store::Store;

#[sqlx::test(migrations = false)]
async fn migrate_twice_the_second_is_a_no_op(pool: PgPool) {
    let url = database_url(&pool);

    let pending = tgfleet(&url, &["groups", "list"]);
    assert_eq!(pending.code, 2, "{pending:?}");
    assert!(
        pending.stderr.contains("pending") && pending.stderr.contains("tgfleet migrate"),
        "{pending:?}"
    );
    assert_eq!(
        pending.stderr.lines().count(),
        1,
        "one clear line: {pending:?}"
    );

    let total = tgfleet_store::MIGRATOR
        .iter()
        .filter(|migration| !migration.migration_type.is_down_migration())
        .count();
    let first = tgfleet(&url, &["migrate"]);
    assert_eq!(first.code, 0, "{first:?}");
    assert!(
        first
            .stdout
            .contains(&format!("Applied {total} migration(s)")),
        "{first:?}"
    );
    assert!(first.stdout.contains("initial"), "{first:?}");

    let second = tgfleet(&url, &["migrate"]);
    assert_eq!(second.code, 0, "{second:?}");
    assert!(second.stdout.contains("nothing to do"), "{second:?}");
    assert!(!second.stdout.contains("Applied"), "{second:?}");

    let status = Store::from_pool(pool).migration_status().await.unwrap();
    assert_eq!(status.applied.len(), total);
    assert!(status.pending.is_empty());

    let list = tgfleet(&url, &["groups", "list"]);
    assert_eq!(list.code, 0, "{list:?}");
    assert!(list.stdout.contains("0 group(s)"), "{list:?}");
}

#[test]
fn a_missing_database_url_is_one_line_and_exit_2() {
    let run = tgfleet_with_env(&["stats"], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(
        run.stderr.contains("database.url") && run.stderr.contains("DATABASE_URL"),
        "{run:?}"
    );
}

#[test]
fn an_unreachable_database_is_one_line_and_exit_2() {
    let run = tgfleet_with_env(
        &["stats"],
        &[
            (
                "DATABASE_URL",
                "postgres://fleet:hunter2@127.0.0.1:1/tgfleet",
            ),
            ("RUST_BACKTRACE", "1"),
        ],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(
        run.stderr.contains("cannot reach") && run.stderr.contains("127.0.0.1:1"),
        "{run:?}"
    );
    assert!(!run.stderr.contains("hunter2"), "{run:?}");
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("backtrace"),
        "{run:?}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_missing_database_is_named(pool: PgPool) {
    let url = database_url(&pool).replace(
        pool.connect_options().get_database().unwrap(),
        "tgfleet_missing_db",
    );
    let run = tgfleet(&url, &["accounts", "list"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("\"tgfleet_missing_db\"") && run.stderr.contains("does not exist"),
        "{run:?}"
    );
}

#[test]
fn a_bad_time_zone_fails_at_start_up_naming_the_key() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "[schedule]\ntime_zone = \"Asia/Jakata\"").unwrap();
    let path = file.path().to_str().unwrap();
    // Unreachable database: the configuration is checked before any connection.
    let run = tgfleet_with_env(
        &["--config", path, "stats"],
        &[("DATABASE_URL", "postgres://x@127.0.0.1:1/db")],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(
        run.stderr
            .contains("schedule.time_zone: unknown time zone \"Asia/Jakata\""),
        "{run:?}"
    );
}

#[test]
fn pause_min_above_max_fails_at_start_up_naming_the_key() {
    let run = tgfleet_with_env(
        &["migrate"],
        &[
            ("DATABASE_URL", "postgres://x@127.0.0.1:1/db"),
            ("TGFLEET__JOINS__PAUSE_MIN_SECS", "900"),
            ("TGFLEET__JOINS__PAUSE_MAX_SECS", "600"),
        ],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("joins.pause_min_secs (900) must not exceed joins.pause_max_secs (600)"),
        "{run:?}"
    );
}

#[test]
fn a_usage_error_exits_2_and_help_exits_0() {
    let run = tgfleet_with_env(&["groups", "frobnicate"], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    let help = tgfleet_with_env(&["--help"], &[]);
    assert_eq!(help.code, 0, "{help:?}");
    assert!(
        help.stdout.contains("migrate") && help.stdout.contains("groups"),
        "{help:?}"
    );
}
