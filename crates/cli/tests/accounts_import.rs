//! `tgfleet accounts import` through the real binary, on session files the test writes.

mod common;

use common::{Run, database_url, tgfleet_with_env};
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use std::net::SocketAddr;
use std::path::Path;
use tgfleet_adapter_grammers::import::fixtures::{
    GrammersDc, PyrogramAccount, PyrogramLayout, grammers_binary, grammers_file, key,
    pyrogram_file, pyrogram_string, telethon_file, telethon_string,
};
use tgfleet_store::{SessionCipher, Store};

const SESSION_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

fn import(url: &str, args: &[&str]) -> Run {
    let mut all = vec!["accounts", "import"];
    all.extend_from_slice(args);
    tgfleet_with_env(
        &all,
        &[("DATABASE_URL", url), ("TGFLEET_SESSION_KEY", SESSION_KEY)],
    )
}

fn cipher() -> SessionCipher {
    SessionCipher::from_base64(&SecretString::from(SESSION_KEY)).unwrap()
}

/// One file of every format; returns `(label, dc, address, key seed)` for each.
fn write_every_format(dir: &Path) -> Vec<(&'static str, i32, &'static str, u8)> {
    telethon_file(
        &dir.join("alice.session"),
        4,
        "149.154.167.91:443".parse().unwrap(),
        &key(1),
    );
    let tg_sim: SocketAddr = "127.0.0.1:41000".parse().unwrap();
    std::fs::write(dir.join("bob.txt"), telethon_string(2, tg_sim, &key(2))).unwrap();
    pyrogram_file(
        &dir.join("carol.session"),
        &PyrogramAccount {
            phone: Some("6281234567812".to_owned()),
            ..PyrogramAccount::user(5, 5_000_000_003)
        },
        &key(3),
    );
    std::fs::write(
        dir.join("dave.string"),
        pyrogram_string(
            PyrogramLayout::Current,
            &PyrogramAccount::user(1, 5_000_000_004),
            &key(4),
        ),
    )
    .unwrap();
    grammers_file(
        &dir.join("erin.session"),
        2,
        "149.154.167.41:443".parse().unwrap(),
        Some(&key(5)),
        Some(5_000_000_005),
    );
    let binary = grammers_binary(
        &[GrammersDc {
            id: 3,
            address: "149.154.175.100:443".parse().unwrap(),
            auth_key: Some(key(6)),
        }],
        Some((5_000_000_006, 3, false)),
    );
    std::fs::write(dir.join("gina.session"), binary).unwrap();
    vec![
        ("alice", 4, "149.154.167.91:443", 1),
        ("bob", 2, "127.0.0.1:41000", 2),
        ("carol", 5, "91.108.56.104:443", 3),
        ("dave", 1, "149.154.175.53:443", 4),
        ("erin", 2, "149.154.167.41:443", 5),
        ("gina", 3, "149.154.175.100:443", 6),
    ]
}

fn assert_no_secret(run: &Run) {
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(!all.contains("6281234567812"), "full phone shown:\n{all}");
    for seed in 1..=6 {
        let key = key(seed);
        let decimal = format!("{}, {}, {}", key[0], key[1], key[2]);
        assert!(!all.contains(&decimal), "key bytes shown:\n{all}");
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_folder_imports_every_format_reports_bad_files_and_is_idempotent(pool: PgPool) {
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    let dir = tempfile::tempdir().unwrap();
    let expected = write_every_format(dir.path());
    std::fs::write(dir.path().join("broken.txt"), "this is not a session").unwrap();
    std::fs::write(dir.path().join("README.md"), "notes").unwrap();

    let first = import(&url, &[dir.path().to_str().unwrap()]);
    assert_eq!(first.code, 1, "{first:?}");
    assert_no_secret(&first);
    for (label, dc, _, _) in &expected {
        let line = first
            .stdout
            .lines()
            .find(|line| line.contains(&format!(" {label} ")))
            .unwrap_or_else(|| panic!("no row for {label}:\n{}", first.stdout));
        assert!(line.contains("imported (new account)"), "{line}");
        assert!(line.contains(&format!(" {dc} ")), "{line}");
    }
    assert!(first.stdout.contains("62*********12"), "{}", first.stdout);
    for format in [
        "Telethon file",
        "Telethon string",
        "Pyrogram file",
        "Pyrogram string",
        "grammers file",
        "grammers binary file",
    ] {
        assert!(first.stdout.contains(format), "{format}: {}", first.stdout);
    }
    assert!(
        first.stderr.contains("not imported:")
            && first.stderr.contains("broken.txt: not a session string"),
        "{}",
        first.stderr
    );
    assert!(
        first.stdout.contains("skipped: README.md"),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("Imported 6 session(s): 6 new, 0 attached, 0 unchanged, 0 replaced; 1 not imported; 1 skipped."),
        "{}",
        first.stdout
    );

    for (label, dc, address, seed) in &expected {
        let account = store.account_by_label(label).await.unwrap().unwrap();
        let session = store
            .load_session(account.id, &cipher())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(session.dc_id, *dc, "{label}");
        assert_eq!(session.server_address, *address, "{label}");
        assert_eq!(session.auth_key.expose_secret(), &key(*seed), "{label}");
    }
    assert!(store.account_by_label("broken").await.unwrap().is_none());
    let carol = store.account_by_label("carol").await.unwrap().unwrap();
    assert_eq!(carol.telegram_user_id, Some(5_000_000_003));
    assert_eq!(carol.phone_masked.as_deref(), Some("62*********12"));

    std::fs::remove_file(dir.path().join("broken.txt")).unwrap();
    let again = import(&url, &[dir.path().to_str().unwrap()]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(
        again.stdout.matches("unchanged (already imported)").count(),
        6,
        "{}",
        again.stdout
    );
    assert!(again.stdout.contains("6 unchanged"), "{}", again.stdout);
    assert_eq!(store.list_accounts().await.unwrap().len(), 6);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_corrupt_file_is_reported_by_name_and_nothing_is_written(pool: PgPool) {
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("frank.session");
    telethon_file(&path, 2, "149.154.167.41:443".parse().unwrap(), &key(6));
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();

    let run = import(&url, &[path.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("frank.session: ") && run.stderr.contains("SQLite"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("0 new"), "{}", run.stdout);
    assert!(store.list_accounts().await.unwrap().is_empty());

    let wrong_format = dir.path().join("gina.txt");
    std::fs::write(&wrong_format, "1AAAA").unwrap();
    let run = import(&url, &[wrong_format.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("gina.txt: not a session string"),
        "{}",
        run.stderr
    );
    assert!(store.list_accounts().await.unwrap().is_empty());
    assert_eq!(store.count_sessions().await.unwrap(), 0);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_different_session_for_a_known_account_needs_replace(pool: PgPool) {
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hank.txt");
    let address: SocketAddr = "127.0.0.1:41000".parse().unwrap();
    std::fs::write(&path, telethon_string(2, address, &key(7))).unwrap();
    assert_eq!(import(&url, &[path.to_str().unwrap()]).code, 0);

    std::fs::write(&path, telethon_string(2, address, &key(8))).unwrap();
    let refused = import(&url, &[path.to_str().unwrap()]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stdout.contains("--replace"), "{}", refused.stdout);
    let hank = store.account_by_label("hank").await.unwrap().unwrap();
    let kept = store
        .load_session(hank.id, &cipher())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.auth_key.expose_secret(), &key(7));

    let replaced = import(&url, &["--replace", path.to_str().unwrap()]);
    assert_eq!(replaced.code, 0, "{replaced:?}");
    assert!(
        replaced.stdout.contains("replaced the stored session"),
        "{}",
        replaced.stdout
    );
    let now = store
        .load_session(hank.id, &cipher())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.auth_key.expose_secret(), &key(8));
}
