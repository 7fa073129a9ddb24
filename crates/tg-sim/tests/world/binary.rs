//! The `tg-sim` binary serving a scenario: provisioned Telethon sessions, logins, time scale,
//! and `tg-sim generate`.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use grammers_client::SignInError;
use grammers_tl_types as tl;
use tg_sim::provision::{INDEX_FILE, ProvisionIndex, TelethonSession};
use tg_world::Scenario;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use crate::support::*;

struct RunningSim {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    address: SocketAddr,
}

impl RunningSim {
    /// Starts `tg-sim ARGS` with stderr (the logs, at debug level) into `log`.
    async fn spawn(args: &[&str], log: &Path) -> Self {
        let log = std::fs::File::create(log).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_tg-sim"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "tg_sim=debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .expect("tg-sim binary starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let address = next_line(&mut lines)
            .await
            .strip_prefix("tg-sim listening on ")
            .expect("the address comes first")
            .parse()
            .unwrap();
        Self {
            child,
            lines,
            address,
        }
    }

    async fn stop(mut self) -> String {
        self.child.kill().await.unwrap();
        let mut rest = String::new();
        while let Ok(Some(line)) = self.lines.next_line().await {
            rest.push_str(&line);
            rest.push('\n');
        }
        rest
    }
}

async fn next_line(lines: &mut Lines<BufReader<ChildStdout>>) -> String {
    tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("tg-sim prints a line")
        .unwrap()
        .expect("a line")
}

fn small_toml() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tg-world/scenarios/small.toml")
        .display()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioned_sessions_point_at_the_server_and_hold_the_scenarios_keys() {
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("sessions");
    let log = dir.path().join("tg-sim.log");
    let mut sim = RunningSim::spawn(
        &[
            "--scenario",
            &small_toml(),
            "--provision-dir",
            sessions.to_str().unwrap(),
        ],
        &log,
    )
    .await;
    let provisioned = next_line(&mut sim.lines).await;
    assert_eq!(
        provisioned,
        format!("tg-sim provisioned 5 sessions in {}", sessions.display())
    );

    let scenario = small_scenario();
    for account in &scenario.accounts {
        let path = sessions.join(format!("{}.txt", account.label));
        let text = std::fs::read_to_string(&path).unwrap();
        let session = TelethonSession::decode(&text).unwrap();
        assert_eq!(session.address, sim.address, "{}", account.label);
        assert_eq!(session.dc_id, 2);
        let key = scenario.preshared_auth_key(&account.label).unwrap();
        assert_eq!(&session.auth_key, key.expose_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", account.label);
        }
    }

    let json = std::fs::read_to_string(sessions.join(INDEX_FILE)).unwrap();
    let index: ProvisionIndex = serde_json::from_str(&json).unwrap();
    assert_eq!(index.server, sim.address);
    let listed: Vec<(&str, &str, bool)> = index
        .accounts
        .iter()
        .map(|a| (a.label.as_str(), a.phone_masked.as_str(), a.signed_out))
        .collect();
    assert_eq!(
        listed,
        [
            ("ayu", "+62*********01", false),
            ("budi", "+62*********02", false),
            ("citra", "+62*********03", false),
            ("dewi", "+62*********04", true),
            ("eka", "+62*********05", true),
        ]
    );
    assert_eq!(index.accounts[0].session_file, "ayu.txt");
    for secret in [
        "6281200000001",
        "24680",
        "correct horse",
        "dewi secret",
        "11223",
    ] {
        assert!(!json.contains(secret), "accounts.json holds {secret:?}");
    }

    // A grammers client built from the provisioned session is ayu.
    let session =
        TelethonSession::decode(&std::fs::read_to_string(sessions.join("ayu.txt")).unwrap())
            .unwrap();
    let ayu = TestClient::connect(session.address, session.auth_key);
    let me = ayu.client.get_me().await.unwrap();
    assert_eq!(me.id().bare_id(), Some(scenario.user_id(0)));

    // The signed-out dewi logs in on her provisioned key with the scenario's code and password.
    let session =
        TelethonSession::decode(&std::fs::read_to_string(sessions.join("dewi.txt")).unwrap())
            .unwrap();
    let dewi = TestClient::connect(session.address, session.auth_key);
    assert!(!dewi.client.is_authorized().await.unwrap());
    let token = dewi
        .client
        .request_login_code("+6281200000004", API_HASH)
        .await
        .unwrap();
    let Err(SignInError::PasswordRequired(password)) = dewi.client.sign_in(&token, "11223").await
    else {
        panic!("2FA");
    };
    let user = dewi
        .client
        .check_password(password, "dewi secret")
        .await
        .unwrap();
    assert_eq!(user.id().bare_id(), Some(scenario.user_id(3)));

    ayu.quit().await;
    dewi.quit().await;
    let stdout = sim.stop().await;
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(logs.contains("serving the scenario's world"), "{logs}");
    for secret in ["6281200000004", "11223", "dewi secret", "24680"] {
        assert!(!logs.contains(secret), "the logs hold {secret:?}");
        assert!(!stdout.contains(secret), "stdout holds {secret:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_world_clock_runs_at_the_time_scale() {
    let dir = tempfile::tempdir().unwrap();
    let sim = RunningSim::spawn(
        &["--scenario", &small_toml(), "--time-scale", "3600"],
        &dir.path().join("tg-sim.log"),
    )
    .await;
    let scenario = small_scenario();
    let key = *scenario.preshared_auth_key("ayu").unwrap().expose_bytes();
    let test = TestClient::connect(sim.address, key);
    let state = |test: &TestClient| {
        let client = test.client.clone();
        async move {
            let tl::enums::updates::State::State(state) = client
                .invoke(&tl::functions::updates::GetState {})
                .await
                .unwrap();
            state.date
        }
    };
    let before = state(&test).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = state(&test).await;
    // 1.5 real seconds are 1.5 simulated hours (minus scheduling noise).
    let simulated = after - before;
    assert!((4000..=7200).contains(&simulated), "{simulated} s passed");
    test.quit().await;
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_scenarios_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let scenario_path = dir.path().join("world.toml");
    let import_path = dir.path().join("groups.txt");
    let mix_path = dir.path().join("mix.toml");
    std::fs::write(&mix_path, "open = 4\nslow_mode = 1\nmissing = 1\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tg-sim"))
        .args([
            "generate",
            "--accounts",
            "3",
            "--seed",
            "5",
            "--signed-out",
            "1",
        ])
        .args(["--two-factor", "1", "--mix", mix_path.to_str().unwrap()])
        .args(["--out", scenario_path.to_str().unwrap()])
        .args(["--import-list", import_path.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("3 accounts and 5 groups (6 handles)"),
        "{stdout}"
    );
    let scenario = Scenario::load(&scenario_path).unwrap();
    assert!(scenario.accounts[0].signed_out && scenario.accounts[0].password.is_some());
    assert_eq!(
        std::fs::read_to_string(&import_path)
            .unwrap()
            .lines()
            .count(),
        6
    );

    let sim = RunningSim::spawn(
        &["--scenario", scenario_path.to_str().unwrap()],
        &dir.path().join("tg-sim.log"),
    )
    .await;
    let key = *scenario
        .preshared_auth_key("acc0002")
        .unwrap()
        .expose_bytes();
    let test = TestClient::connect(sim.address, key);
    assert_eq!(self_id(&test.client).await.unwrap(), scenario.user_id(1));
    test.quit().await;
    sim.stop().await;

    let bad = Command::new(env!("CARGO_BIN_EXE_tg-sim"))
        .args([
            "generate",
            "--accounts",
            "2",
            "--groups",
            "3",
            "--revoked",
            "3",
        ])
        .args(["--out", scenario_path.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("--revoked: 3 is more than --accounts 2"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_scenario_is_refused_with_the_field_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[[accounts]]\nlabel = \"a\"\nphone = \"+6281200000001\"\nsigned_out = \"yes\"\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tg-sim"))
        .args(["--scenario", path.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("accounts[0].signed_out"), "{stderr}");

    let output = Command::new(env!("CARGO_BIN_EXE_tg-sim"))
        .args(["--provision-dir", dir.path().to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success(), "--provision-dir needs --scenario");
    assert!(String::from_utf8_lossy(&output.stderr).contains("--scenario"));
}
