//! One key and one Telegram user under one label in every combination of formats,
//! folder entries that are not session files, and export -> import round trips,
//! through the real binary on a real Postgres.

mod common;

use common::{Run, database_url, tgfleet_with_env};
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use tgfleet_adapter_grammers::import::fixtures::{
    PyrogramAccount, PyrogramLayout, key, pyrogram_file, pyrogram_string, telethon_file,
    telethon_string,
};
use tgfleet_adapter_grammers::import::read_file;
use tgfleet_store::{SessionCipher, Store};

const SESSION_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

fn tgfleet(url: &str, args: &[&str]) -> Run {
    tgfleet_with_env(
        args,
        &[
            ("DATABASE_URL", url),
            ("TGFLEET_SESSION_KEY", SESSION_KEY),
            ("TG_API_ID", "2040"),
        ],
    )
}

fn import(url: &str, args: &[&str]) -> Run {
    let mut all = vec!["accounts", "import"];
    all.extend_from_slice(args);
    tgfleet(url, &all)
}

fn cipher() -> SessionCipher {
    SessionCipher::from_base64(&SecretString::from(SESSION_KEY)).unwrap()
}

async fn snapshot(store: &Store) -> Vec<String> {
    tgfleet_store::fixtures::onboarding_snapshot(store)
        .await
        .unwrap()
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_key_or_a_user_under_a_second_label_is_refused_in_every_combination(pool: PgPool) {
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    let home = tempfile::tempdir().unwrap();
    let alice = home.path().join("alice.session");
    telethon_file(&alice, 4, "149.154.167.91:443".parse().unwrap(), &key(1));
    let carol = home.path().join("carol.session");
    pyrogram_file(&carol, &PyrogramAccount::user(2, 5_000_000_003), &key(3));
    let first = import(&url, &[path(home.path())]);
    assert_eq!(first.code, 0, "{first:?}");
    let before = snapshot(&store).await;

    let copies = tempfile::tempdir().unwrap();
    let dir = copies.path();
    let tg_sim = "127.0.0.1:41000".parse().unwrap();
    let attempts: Vec<(std::path::PathBuf, &str)> = vec![
        {
            let file = dir.join("alice_string.txt");
            std::fs::write(&file, telethon_string(4, tg_sim, &key(1))).unwrap();
            (file, "alice")
        },
        {
            let file = dir.join("alice_pyro.string");
            let account = PyrogramAccount::user(4, 7_000_000_001);
            std::fs::write(
                &file,
                pyrogram_string(PyrogramLayout::Current, &account, &key(1)),
            )
            .unwrap();
            (file, "alice")
        },
        {
            let file = dir.join("alice_pyro.session");
            pyrogram_file(&file, &PyrogramAccount::user(4, 7_000_000_002), &key(1));
            (file, "alice")
        },
        {
            let file = dir.join("alice_link.session");
            std::os::unix::fs::symlink(&alice, &file).unwrap();
            (file, "alice")
        },
        {
            let file = dir.join("carol_copy.session");
            std::fs::copy(&carol, &file).unwrap();
            (file, "carol")
        },
        {
            let file = dir.join("carol_new_key.string");
            let account = PyrogramAccount::user(2, 5_000_000_003);
            std::fs::write(
                &file,
                pyrogram_string(PyrogramLayout::Current, &account, &key(9)),
            )
            .unwrap();
            (file, "carol")
        },
    ];
    for (file, holder) in &attempts {
        for replace in [false, true] {
            let mut args = vec![path(file)];
            if replace {
                args.insert(0, "--replace");
            }
            let run = import(&url, &args);
            assert_eq!(run.code, 1, "{}: {run:?}", file.display());
            assert!(
                run.stdout.contains(&format!("already account {holder}"))
                    || run.stdout.contains(&format!("session of account {holder}")),
                "{} must name {holder}: {}",
                file.display(),
                run.stdout
            );
            assert_eq!(snapshot(&store).await, before, "{}", file.display());
        }
    }

    let folder = import(&url, &[path(dir)]);
    assert_eq!(folder.code, 1, "{folder:?}");
    assert!(
        folder.stdout.contains("0 new") && folder.stdout.contains("6 not imported"),
        "{}",
        folder.stdout
    );
    assert_eq!(snapshot(&store).await, before);
}

#[sqlx::test(migrations = "../../migrations")]
async fn entries_that_are_not_session_files_are_each_reported_with_the_reason(pool: PgPool) {
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    telethon_file(
        &d.join("good.session"),
        2,
        "149.154.167.51:443".parse().unwrap(),
        &key(1),
    );
    std::os::unix::fs::symlink(d.join("loop_b.session"), d.join("loop_a.session")).unwrap();
    std::os::unix::fs::symlink(d.join("loop_a.session"), d.join("loop_b.session")).unwrap();
    std::os::unix::fs::symlink(d.join("gone.session"), d.join("dangling.session")).unwrap();
    std::fs::create_dir(d.join("folder.session")).unwrap();
    std::fs::create_dir(d.join("notes")).unwrap();
    std::fs::write(d.join("short.txt"), format!("1{}", "A".repeat(300))).unwrap();

    let run = import(&url, &[path(d)]);
    assert_eq!(run.code, 1, "{run:?}");
    for (name, reason) in [
        ("loop_a.session", "a symlink loop"),
        ("loop_b.session", "a symlink loop"),
        ("dangling.session", "a dangling symlink"),
        ("folder.session", "a folder, not a session file"),
        (
            "short.txt",
            "not a session string of a known format: 301 characters of base64",
        ),
    ] {
        assert!(
            run.stderr.contains(&format!("{name}: {reason}")),
            "{name}: {}",
            run.stderr
        );
    }
    assert!(
        run.stderr
            .contains("Telethon string has 353 or 369 characters"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("skipped: notes (a folder (folders are not searched))"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("1 new"), "{}", run.stdout);
    assert_eq!(store.list_accounts().await.unwrap().len(), 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn exported_strings_import_again_with_byte_identical_keys(pool: PgPool) {
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    let dir = tempfile::tempdir().unwrap();
    telethon_file(
        &dir.path().join("alice.session"),
        4,
        "149.154.167.91:443".parse().unwrap(),
        &key(1),
    );
    pyrogram_file(
        &dir.path().join("bob.session"),
        &PyrogramAccount::user(5, 5_000_000_002),
        &key(2),
    );
    assert_eq!(import(&url, &[path(dir.path())]).code, 0);

    for (format, extension) in [("telethon-string", "txt"), ("pyrogram-string", "string")] {
        let out = tempfile::tempdir().unwrap();
        let out_dir = out.path().join("exported");
        let run = tgfleet(
            &url,
            &[
                "accounts",
                "export",
                "--all",
                "--format",
                format,
                "--out",
                path(&out_dir),
            ],
        );
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout.contains("Exported 2 session(s)"),
            "{}",
            run.stdout
        );
        for (label, seed) in [("alice", 1), ("bob", 2)] {
            let file = out_dir.join(format!("{label}.{extension}"));
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", file.display());
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(
                !run.stdout.contains(text.trim()),
                "the string is not printed"
            );
            let parsed = read_file(&file).unwrap();
            assert_eq!(
                parsed.auth_key.expose_secret(),
                &key(seed),
                "{format} {label}"
            );
            let account = store.account_by_label(label).await.unwrap().unwrap();
            let stored = store
                .load_session(account.id, &cipher())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                parsed.auth_key.expose_secret(),
                stored.auth_key.expose_secret()
            );
            assert_eq!(parsed.dc_id, stored.dc_id);
        }
        if format == "telethon-string" {
            let again = import(&url, &[path(&out_dir)]);
            assert_eq!(again.code, 0, "{again:?}");
            assert!(again.stdout.contains("2 unchanged"), "{}", again.stdout);
        } else {
            let bob = read_file(&out_dir.join("bob.string")).unwrap();
            assert_eq!(bob.user_id, Some(5_000_000_002));
        }
        let twice = tgfleet(
            &url,
            &[
                "accounts",
                "export",
                "alice",
                "--format",
                format,
                "--out",
                path(&out_dir),
            ],
        );
        assert_eq!(
            twice.code, 1,
            "an existing file is never overwritten: {twice:?}"
        );
        assert!(twice.stderr.contains("exists"), "{}", twice.stderr);
    }

    let printed = tgfleet(
        &url,
        &[
            "accounts",
            "export",
            "alice",
            "--format",
            "telethon-string",
            "--stdout",
        ],
    );
    assert_eq!(printed.code, 0, "{printed:?}");
    let (label, string) = printed.stdout.trim().split_once('\t').unwrap();
    assert_eq!(label, "alice");
    let file = dir.path().join("check.txt");
    std::fs::write(&file, string).unwrap();
    assert_eq!(read_file(&file).unwrap().auth_key.expose_secret(), &key(1));
    let nowhere = tgfleet(
        &url,
        &["accounts", "export", "alice", "--format", "telethon-string"],
    );
    assert_eq!(
        nowhere.code, 2,
        "--out or --stdout is required: {nowhere:?}"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_tdata_folder_imports_every_account_and_a_wrong_passcode_writes_nothing(pool: PgPool) {
    use tgfleet_adapter_grammers::import::fixtures::{TdataFixtureAccount, tdata_folder};
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    let dir = tempfile::tempdir().unwrap();
    let tdata = dir.path().join("tdata");
    let accounts: Vec<TdataFixtureAccount> = (1..=3)
        .map(|n| TdataFixtureAccount {
            dc_id: 2,
            user_id: 6_600_000_000 + u64::from(n),
            auth_key: key(n),
        })
        .collect();
    tdata_folder(&tdata, "open sesame", &accounts);
    let passcode = dir.path().join("passcode.txt");

    std::fs::write(&passcode, "wrong guess\n").unwrap();
    let args = |passcode: &Path| {
        vec![
            "--label".to_owned(),
            "desk".to_owned(),
            "--passcode-file".to_owned(),
            path(passcode).to_owned(),
            path(&tdata).to_owned(),
        ]
    };
    let wrong_args = args(&passcode);
    let wrong_args: Vec<&str> = wrong_args.iter().map(String::as_str).collect();
    let wrong = import(&url, &wrong_args);
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert!(
        wrong
            .stderr
            .contains("the local passcode is wrong; nothing was imported"),
        "{}",
        wrong.stderr
    );
    assert!(!wrong.stderr.contains("wrong guess") && !wrong.stdout.contains("wrong guess"));
    assert!(snapshot(&store).await.is_empty(), "nothing written");

    let no_passcode = import(&url, &[path(&tdata)]);
    assert_eq!(no_passcode.code, 1, "{no_passcode:?}");
    assert!(
        no_passcode.stderr.contains("--passcode-file"),
        "{}",
        no_passcode.stderr
    );

    std::fs::write(&passcode, "open sesame\n").unwrap();
    let right_args = args(&passcode);
    let right_args: Vec<&str> = right_args.iter().map(String::as_str).collect();
    let right = import(&url, &right_args);
    assert_eq!(right.code, 0, "{right:?}");
    assert!(right.stdout.contains("3 new"), "{}", right.stdout);
    for n in 1..=3u8 {
        let account = store
            .account_by_label(&format!("desk_{n}"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(account.telegram_user_id, Some(6_600_000_000 + i64::from(n)));
        let session = store
            .load_session(account.id, &cipher())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(session.auth_key.expose_secret(), &key(n));
        assert_eq!(session.source, "tdata");
    }
    let list = tgfleet(&url, &["accounts", "list"]);
    assert!(
        list.stdout.contains("tdata (Telegram Desktop 4.8.1)") && list.stdout.contains("tdata"),
        "{}",
        list.stdout
    );
}

/// Zips `folder` (as `inside/...`) with Python's `zipfile`, a writer tgfleet does not
/// share code with.
fn python_zip(folder: &Path, inside: &str, archive: &Path) {
    let script = "import os, sys, zipfile\n\
        src, inside, out = sys.argv[1], sys.argv[2], sys.argv[3]\n\
        with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:\n\
        \x20   for root, dirs, files in os.walk(src):\n\
        \x20       for name in files:\n\
        \x20           full = os.path.join(root, name)\n\
        \x20           z.write(full, os.path.join(inside, os.path.relpath(full, src)))\n";
    let status = std::process::Command::new("python3")
        .args(["-c", script, path(folder), inside, path(archive)])
        .status()
        .expect("python3 runs");
    assert!(status.success(), "python3 zipped the folder");
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_zipped_tdata_folder_imports_under_the_archive_name(pool: PgPool) {
    use tgfleet_adapter_grammers::import::fixtures::{TdataFixtureAccount, tdata_folder};
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    let dir = tempfile::tempdir().unwrap();
    let tdata = dir.path().join("tdata");
    tdata_folder(
        &tdata,
        "open sesame",
        &[TdataFixtureAccount {
            dc_id: 4,
            user_id: 6_700_000_001,
            auth_key: key(7),
        }],
    );
    let archive = dir.path().join("seller42.zip");
    python_zip(&tdata, "tdata", &archive);
    let passcode = dir.path().join("passcode.txt");

    std::fs::write(&passcode, "wrong guess\n").unwrap();
    let wrong = import(&url, &["--passcode-file", path(&passcode), path(&archive)]);
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert!(
        wrong.stderr.contains(&format!(
            "{}: the local passcode is wrong; nothing was imported",
            archive.display()
        )),
        "the archive is named, not the temporary folder: {}",
        wrong.stderr
    );
    assert!(snapshot(&store).await.is_empty(), "nothing written");

    std::fs::write(&passcode, "open sesame\n").unwrap();
    let right = import(&url, &["--passcode-file", path(&passcode), path(&archive)]);
    assert_eq!(right.code, 0, "{right:?}");
    assert!(right.stdout.contains("1 new"), "{}", right.stdout);
    let account = store.account_by_label("seller42").await.unwrap().unwrap();
    assert_eq!(account.telegram_user_id, Some(6_700_000_001));
    let session = store
        .load_session(account.id, &cipher())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.auth_key.expose_secret(), &key(7));
    assert_eq!(session.dc_id, 4);
    assert_eq!(session.source, "tdata");

    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    std::fs::write(photos.join("a.jpg"), b"jpeg").unwrap();
    let not_tdata = dir.path().join("photos.zip");
    python_zip(&photos, "photos", &not_tdata);
    let before = snapshot(&store).await;
    let refused = import(&url, &[path(&not_tdata)]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("holds no tdata folder"),
        "{}",
        refused.stderr
    );
    assert_eq!(snapshot(&store).await, before, "nothing more written");
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_large_folder_import_draws_a_progress_bar_on_a_terminal(pool: PgPool) {
    let url = database_url(&pool);
    let dir = tempfile::tempdir().unwrap();
    let address = "149.154.167.50:443".parse().unwrap();
    let files = 60u8;
    for n in 1..=files {
        let string = telethon_string(2, address, &key(n));
        std::fs::write(dir.path().join(format!("acct{n:03}.txt")), string).unwrap();
    }
    let command = format!(
        "{} accounts import {}",
        env!("CARGO_BIN_EXE_tgfleet"),
        dir.path().display()
    );
    // `script` gives the command a terminal, as an operator's shell does.
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TERM", "xterm")
        .env("DATABASE_URL", &url)
        .env("TGFLEET_SESSION_KEY", SESSION_KEY)
        .output()
        .expect("script runs");
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{shown}");
    let drawn: std::collections::BTreeSet<&str> = shown
        .split(&format!("/{files} session files read"))
        .filter_map(|before| before.rsplit(' ').next())
        .filter(|position| position.parse::<u8>().is_ok())
        .collect();
    assert!(
        drawn.len() >= 2,
        "the bar moved (positions drawn: {drawn:?}): {shown}"
    );
    assert!(shown.contains("60 new"), "{shown}");

    let piped = import(&url, &[path(dir.path())]);
    assert_eq!(piped.code, 0, "{piped:?}");
    assert!(
        !piped.stderr.contains("session files read"),
        "no bar without a terminal: {}",
        piped.stderr
    );
}
