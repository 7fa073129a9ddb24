//! Every session format read from files the tests write themselves, and broken files
//! reported by name with their reason.

use secrecy::ExposeSecret;
use std::net::{SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use tgfleet_adapter_grammers::import::fixtures::{
    self, PyrogramAccount, PyrogramLayout, grammers_file, key, pyrogram_file, pyrogram_string,
    telethon_file, telethon_string,
};
use tgfleet_adapter_grammers::import::{ParsedSession, SessionFormat, read_file, scan};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn read(path: &Path) -> ParsedSession {
    read_file(path).unwrap_or_else(|reason| panic!("{}: {reason}", path.display()))
}

fn assert_session(
    session: &ParsedSession,
    format: SessionFormat,
    dc_id: i32,
    address: &str,
    seed: u8,
) {
    assert_eq!(session.format, format);
    assert_eq!(session.dc_id, dc_id);
    assert_eq!(session.server_address.to_string(), address);
    assert_eq!(session.auth_key.expose_secret(), &key(seed));
}

#[test]
fn telethon_sqlite_files_keep_their_dc_address_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alice.session");
    telethon_file(&path, 4, "149.154.167.91:443".parse().unwrap(), &key(1));
    let session = read(&path);
    assert_eq!(session.label, "alice");
    assert_session(
        &session,
        SessionFormat::TelethonFile,
        4,
        "149.154.167.91:443",
        1,
    );
    assert_eq!(session.user_id, None);
    assert_eq!(session.to_stored().source, "telethon-file");
}

#[test]
fn telethon_strings_with_ipv4_and_ipv6_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let v4: SocketAddr = "127.0.0.1:40123".parse().unwrap();
    let path = write(
        dir.path(),
        "bob.txt",
        &format!("{}\n", telethon_string(2, v4, &key(2))),
    );
    assert_session(
        &read(&path),
        SessionFormat::TelethonString,
        2,
        "127.0.0.1:40123",
        2,
    );

    let v6: SocketAddr = "[2001:67c:4e8:f002::a]:443".parse().unwrap();
    let path = write(dir.path(), "carol.string", &telethon_string(2, v6, &key(3)));
    assert_session(
        &read(&path),
        SessionFormat::TelethonString,
        2,
        "[2001:67c:4e8:f002::a]:443",
        3,
    );
}

#[test]
fn pyrogram_files_take_telegrams_address_of_their_dc_and_the_masked_phone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dave.session");
    let account = PyrogramAccount {
        phone: Some("6281234567812".to_owned()),
        ..PyrogramAccount::user(5, 5_000_000_001)
    };
    pyrogram_file(&path, &account, &key(4));
    let session = read(&path);
    assert_session(
        &session,
        SessionFormat::PyrogramFile,
        5,
        "91.108.56.104:443",
        4,
    );
    assert_eq!(session.user_id, Some(5_000_000_001));
    assert_eq!(session.phone_masked.as_deref(), Some("62*********12"));
}

#[test]
fn pyrogram_strings_in_the_current_and_both_older_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let layouts = [
        (PyrogramLayout::Current, 6_000_000_000_i64),
        (PyrogramLayout::Old64, 6_000_000_001),
        (PyrogramLayout::Old32, 123_456_789),
    ];
    for (index, (layout, user_id)) in layouts.into_iter().enumerate() {
        let seed = 10 + index as u8;
        let account = PyrogramAccount::user(1, user_id);
        let string = pyrogram_string(layout, &account, &key(seed));
        let path = write(dir.path(), &format!("p{index}.txt"), &string);
        let session = read(&path);
        assert_session(
            &session,
            SessionFormat::PyrogramString,
            1,
            "149.154.175.53:443",
            seed,
        );
        assert_eq!(session.user_id, Some(user_id), "{layout:?}");
    }
}

#[test]
fn grammers_sqlite_files_read_the_home_dc_and_the_self_user() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("erin.session");
    let home: SocketAddrV4 = "149.154.167.41:443".parse().unwrap();
    grammers_file(&path, 2, home, Some(&key(5)), Some(424_242));
    let session = read(&path);
    assert_session(
        &session,
        SessionFormat::GrammersFile,
        2,
        "149.154.167.41:443",
        5,
    );
    assert_eq!(session.user_id, Some(424_242));
}

#[test]
fn debug_output_never_shows_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "frank.txt",
        &telethon_string(2, "127.0.0.1:1".parse().unwrap(), &[0xAB; 256]),
    );
    let shown = format!("{:?}", read(&path));
    assert!(shown.contains("REDACTED"), "{shown}");
    assert!(!shown.contains("171, 171"), "{shown}");
}

/// Each broken file and the words its reason must contain.
fn broken_files(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let mut files = Vec::new();
    let truncated = dir.join("truncated.session");
    telethon_file(
        &truncated,
        2,
        "149.154.167.41:443".parse().unwrap(),
        &key(1),
    );
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..100]).unwrap();
    files.push((truncated, "SQLite"));

    let short_key = dir.join("shortkey.session");
    telethon_file(
        &short_key,
        2,
        "149.154.167.41:443".parse().unwrap(),
        &[1; 128],
    );
    files.push((short_key, "128 bytes, expected 256"));

    let unknown = dir.join("notes.db");
    rusqlite::Connection::open(&unknown)
        .unwrap()
        .execute_batch("CREATE TABLE notes (text TEXT);")
        .unwrap();
    files.push((unknown, "no known session format (tables: notes)"));

    let no_key = dir.join("nokey.session");
    grammers_file(
        &no_key,
        2,
        "149.154.167.41:443".parse().unwrap(),
        None,
        None,
    );
    files.push((no_key, "no auth key"));

    let test_server = dir.join("testdc.session");
    pyrogram_file(
        &test_server,
        &PyrogramAccount {
            test_mode: true,
            ..PyrogramAccount::user(2, 1)
        },
        &key(1),
    );
    files.push((test_server, "test servers"));

    let bot = write(
        dir,
        "bot.txt",
        &pyrogram_string(
            PyrogramLayout::Current,
            &PyrogramAccount {
                is_bot: true,
                ..PyrogramAccount::user(2, 1)
            },
            &key(1),
        ),
    );
    files.push((bot, "bot session"));

    files.push((
        write(dir, "garbage.txt", "hello, world!"),
        "not urlsafe base64",
    ));
    files.push((
        write(dir, "short.txt", "AAAA"),
        "4 characters of base64 (3 bytes); a Telethon string has 353 or 369 characters",
    ));
    let truncated = pyrogram_string(
        PyrogramLayout::Current,
        &PyrogramAccount::user(2, 42),
        &key(1),
    );
    files.push((
        write(dir, "truncated.string", &truncated[..truncated.len() - 3]),
        "359 characters of base64 (269 bytes)",
    ));
    files.push((write(dir, "empty.txt", "\n\n"), "empty"));
    let two = format!(
        "{}\n{}\n",
        telethon_string(2, "127.0.0.1:1".parse().unwrap(), &key(1)),
        telethon_string(2, "127.0.0.1:1".parse().unwrap(), &key(2))
    );
    files.push((write(dir, "two.txt", &two), "found 2 lines"));
    files.push((
        write(
            dir,
            "bad name!.txt",
            &telethon_string(2, "127.0.0.1:1".parse().unwrap(), &key(1)),
        ),
        "not a valid account label",
    ));
    files
}

#[test]
fn broken_files_are_reported_by_name_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    for (path, expected) in broken_files(dir.path()) {
        let reason = read_file(&path).expect_err(&path.display().to_string());
        assert!(
            reason.contains(expected),
            "{}: {reason:?} lacks {expected:?}",
            path.display()
        );
        assert!(!reason.contains("171"), "{reason}");
    }
}

#[test]
fn a_folder_scan_reads_sessions_reports_problems_and_skips_other_files() {
    let dir = tempfile::tempdir().unwrap();
    telethon_file(
        &dir.path().join("alice.session"),
        2,
        "149.154.167.41:443".parse().unwrap(),
        &key(1),
    );
    write(
        dir.path(),
        "bob.txt",
        &telethon_string(2, "127.0.0.1:9".parse().unwrap(), &key(2)),
    );
    write(dir.path(), "broken.txt", "not a session");
    write(dir.path(), "README.md", "operators' notes");
    write(dir.path(), ".gitkeep", "");
    let found = scan(dir.path()).unwrap();
    let labels: Vec<&str> = found.sessions.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["alice", "bob"]);
    assert_eq!(found.problems.len(), 1);
    assert!(found.problems[0].file.ends_with("broken.txt"));
    let skipped: Vec<_> = found
        .skipped
        .iter()
        .map(|p| p.file.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(skipped, [".gitkeep", "README.md"]);

    let missing = scan(&dir.path().join("nowhere")).unwrap_err();
    assert!(
        missing.reason.contains("not found") || missing.reason.contains("NotFound"),
        "{missing}"
    );
}

#[test]
fn grammers_binary_files_take_the_users_home_dc() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = fixtures::grammers_binary(
        &[
            fixtures::GrammersDc {
                id: 4,
                address: "149.154.167.91:443".parse().unwrap(),
                auth_key: Some(key(7)),
            },
            fixtures::GrammersDc {
                id: 2,
                address: "[2001:67c:4e8:f002::a]:443".parse().unwrap(),
                auth_key: Some(key(9)),
            },
        ],
        Some((5_000_000_123, 4, false)),
    );
    let path = dir.path().join("gina.session");
    std::fs::write(&path, &bytes).unwrap();
    let session = read(&path);
    assert_session(
        &session,
        SessionFormat::GrammersBinary,
        4,
        "149.154.167.91:443",
        7,
    );
    assert_eq!(session.user_id, Some(5_000_000_123));

    let signed_out = fixtures::grammers_binary(
        &[fixtures::GrammersDc {
            id: 2,
            address: "[2001:67c:4e8:f002::a]:443".parse().unwrap(),
            auth_key: Some(key(9)),
        }],
        None,
    );
    let path = dir.path().join("hana.bin");
    std::fs::write(&path, &signed_out).unwrap();
    assert_session(
        &read(&path),
        SessionFormat::GrammersBinary,
        2,
        "[2001:67c:4e8:f002::a]:443",
        9,
    );

    let path = dir.path().join("ivan.session");
    std::fs::write(&path, &bytes[..bytes.len() - 20]).unwrap();
    assert_eq!(
        read_file(&path).unwrap_err(),
        "a truncated grammers session file"
    );
    let bot = fixtures::grammers_binary(
        &[fixtures::GrammersDc {
            id: 2,
            address: "149.154.167.41:443".parse().unwrap(),
            auth_key: Some(key(1)),
        }],
        Some((1, 2, true)),
    );
    std::fs::write(&path, &bot).unwrap();
    assert!(read_file(&path).unwrap_err().contains("bot session"));
}
