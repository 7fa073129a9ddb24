//! Sessions written by the real Telethon, Pyrogram and kurigram libraries (pinned,
//! from PyPI, installed into a venv under `target/` once and reused), offline, by the
//! committed `tests/corpus/make_sessions.py`; every artifact is imported into a real
//! Postgres as its format, with the DC, key, user id and masked phone the library
//! wrote, and bot and test-server sessions are refused with the reason. Telegram
//! Desktop `tdata` written by opentele (`tests/corpus/make_tdata.py`) is read with
//! and without a local passcode.

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use std::process::Command;
use tgfleet_adapter_grammers::import::tdata::TdataError;
use tgfleet_adapter_grammers::import::{SessionFormat, scan, scan_tdata};
use tgfleet_domain::mask_phone;
use tgfleet_store::{ImportOutcome, SessionCipher, Store};

/// The pinned library versions: Telethon 1.x current, Pyrogram's last release, and
/// its maintained fork kurigram (both install as the `pyrogram` module, so each gets
/// its own `pip install --target` folder).
const TELETHON: &str = "telethon==1.45.0";
const PYROGRAM: &str = "pyrogram==2.0.106";
const KURIGRAM: &str = "kurigram==2.2.26";

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    )
}

fn run(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("{command:?}: {err}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A venv under `target/` with `packages` (each `(folder, requirement)`: into the
/// venv itself, or `pip install --target` that folder), built once in a temporary
/// folder renamed into place, so concurrent test processes never see half of it.
fn venv(name: &str, packages: &[(Option<&str>, &str)]) -> PathBuf {
    let root = target_dir().join("session-corpus-py");
    let ready = root.join(name);
    if ready.join("done").exists() {
        return ready;
    }
    std::fs::create_dir_all(&root).unwrap();
    let building = root.join(format!("building-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    run(Command::new("python3")
        .args(["-m", "venv"])
        .arg(building.join("venv")));
    for (folder, package) in packages {
        let mut pip = Command::new(building.join("venv/bin/python"));
        pip.args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ]);
        if let Some(folder) = folder {
            pip.arg("--target").arg(building.join(folder));
        }
        run(pip.arg(package));
    }
    std::fs::write(building.join("done"), "").unwrap();
    if std::fs::rename(&building, &ready).is_err() {
        std::fs::remove_dir_all(&building).unwrap();
    }
    ready
}

/// Telethon in the venv; Pyrogram and kurigram (both the `pyrogram` module) each
/// in its own `--target` folder.
fn libraries() -> PathBuf {
    venv(
        "telethon-1.45.0-pyrogram-2.0.106-kurigram-2.2.26",
        &[
            (None, TELETHON),
            (Some("pyrogram"), PYROGRAM),
            (Some("kurigram"), KURIGRAM),
        ],
    )
}

/// Runs the generator under each library; returns the manifests.
fn write_corpus(out: &Path) -> Vec<Value> {
    let libraries = libraries();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/make_sessions.py");
    ["telethon", "pyrogram", "kurigram"]
        .into_iter()
        .map(|library| {
            let mut command = Command::new(libraries.join("venv/bin/python"));
            command.arg(&script).arg(library).arg(out);
            if library != "telethon" {
                command.env("PYTHONPATH", libraries.join(library));
            }
            serde_json::from_str(&run(&mut command)).unwrap()
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[sqlx::test(migrations = "../../migrations")]
async fn sessions_written_by_the_real_libraries_import_as_they_were_written(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let manifests = write_corpus(dir.path());
    let versions: Vec<(&str, &str)> = manifests
        .iter()
        .map(|m| {
            (
                m["library"].as_str().unwrap(),
                m["version"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        versions,
        [
            ("telethon", "1.45.0"),
            ("pyrogram", "2.0.106"),
            ("kurigram", "2.2.26")
        ]
    );
    let found = scan(dir.path()).unwrap();
    let artifacts: Vec<&Value> = manifests
        .iter()
        .flat_map(|m| m["artifacts"].as_array().unwrap())
        .collect();
    assert_eq!(
        found.sessions.len() + found.problems.len(),
        artifacts.len(),
        "{found:?}"
    );
    assert!(found.skipped.is_empty(), "{:?}", found.skipped);

    let store = Store::from_pool(pool);
    let cipher = SessionCipher::from_base64(&SecretString::from(
        "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    ))
    .unwrap();
    let imports: Vec<_> = found.sessions.iter().map(|s| s.to_import()).collect();
    let outcomes = store
        .import_sessions(&imports, &cipher, false)
        .await
        .unwrap();
    let mut imported = 0;
    for artifact in artifacts {
        let label = artifact["label"].as_str().unwrap();
        if let Some(reason) = artifact["refused"].as_str() {
            let problem = found
                .problems
                .iter()
                .find(|p| p.file.file_stem().unwrap() == label)
                .unwrap_or_else(|| panic!("{label} was not refused: {found:?}"));
            assert!(problem.reason.contains(reason), "{label}: {problem}");
            assert!(store.account_by_label(label).await.unwrap().is_none());
            continue;
        }
        let (index, session) = found
            .sessions
            .iter()
            .enumerate()
            .find(|(_, s)| s.label == label)
            .unwrap_or_else(|| panic!("{label} not read: {found:?}"));
        assert_eq!(
            session.format.to_string(),
            artifact["artifact"].as_str().unwrap(),
            "{label}"
        );
        assert_eq!(
            i64::from(session.dc_id),
            artifact["dc_id"].as_i64().unwrap()
        );
        if let Some(address) = artifact["address"].as_str() {
            assert_eq!(session.server_address.to_string(), address, "{label}");
        }
        assert_eq!(session.user_id, artifact["user_id"].as_i64(), "{label}");
        let phone = artifact["phone"].as_str().map(mask_phone);
        assert_eq!(session.phone_masked, phone, "{label}");
        let ImportOutcome::Created(id) = outcomes[index] else {
            panic!("{label}: {:?}", outcomes[index]);
        };
        let stored = store.load_session(id, &cipher).await.unwrap().unwrap();
        assert_eq!(
            hex(stored.auth_key.expose_secret()),
            artifact["key_hex"].as_str().unwrap(),
            "{label}"
        );
        let account = store.account_by_id(id).await.unwrap().unwrap();
        assert_eq!(account.telegram_user_id, session.user_id, "{label}");
        assert_eq!(account.phone_masked, phone, "{label}");
        imported += 1;
    }
    assert_eq!(imported, 8, "sessions imported");
}

/// opentele, an independent implementation of Telegram Desktop's storage (PyQt5's
/// `QDataStream`, TgCrypto's AES-IGE), pinned.
const OPENTELE: &str = "opentele==1.15.1";

fn opentele_tdata(out: &Path, passcode: &str, accounts: u32) -> Value {
    let python = venv("opentele-1.15.1", &[(None, OPENTELE)]).join("venv/bin/python");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/make_tdata.py");
    let manifest = run(Command::new(python)
        .arg(script)
        .arg(out)
        .arg(passcode)
        .arg(accounts.to_string())
        .env("QT_QPA_PLATFORM", "offscreen"));
    serde_json::from_str(&manifest).unwrap()
}

#[test]
fn tdata_written_by_opentele_reads_with_and_without_a_passcode() {
    let dir = tempfile::tempdir().unwrap();
    for (folder, passcode, accounts) in [("plain", "", 3), ("locked", "s3cret code", 1)] {
        let tdata = dir.path().join(folder).join("tdata");
        let manifest = opentele_tdata(&tdata, passcode, accounts);
        let expected = manifest["accounts"].as_array().unwrap();
        let scan = scan_tdata(&tdata, &SecretString::from(passcode), None)
            .unwrap_or_else(|err| panic!("{folder}: {err}"));
        assert!(scan.problems.is_empty(), "{:?}", scan.problems);
        assert_eq!(scan.sessions.len(), expected.len(), "{folder}");
        for (session, account) in scan.sessions.iter().zip(expected) {
            assert_eq!(session.format, SessionFormat::Tdata);
            assert_eq!(i64::from(session.dc_id), account["dc_id"].as_i64().unwrap());
            assert_eq!(session.user_id, account["user_id"].as_i64());
            assert_eq!(
                hex(session.auth_key.expose_secret()),
                account["key_hex"].as_str().unwrap()
            );
            let device = session.device.as_ref().unwrap();
            assert_eq!(device.api_id, Some(2040));
        }
        let labels: Vec<&str> = scan.sessions.iter().map(|s| s.label.as_str()).collect();
        if accounts == 1 {
            assert_eq!(labels, [folder]);
        } else {
            assert_eq!(labels, ["plain_1", "plain_2", "plain_3"]);
        }
    }
    let locked = dir.path().join("locked/tdata");
    let empty = SecretString::from("");
    assert_eq!(
        scan_tdata(&locked, &empty, None).unwrap_err(),
        TdataError::PasscodeRequired
    );
    assert_eq!(
        scan_tdata(&locked, &SecretString::from("wrong"), None).unwrap_err(),
        TdataError::WrongPasscode
    );
}
