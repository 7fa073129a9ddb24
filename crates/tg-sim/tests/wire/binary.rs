//! The `tg-sim` binary: address printed, demo accounts served, faults flipped over HTTP.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tg_sim::demo::demo_auth_key;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::support::*;

#[path = "../common/http.rs"]
mod http;
use http::http;

struct RunningSim {
    child: Child,
    mtproto: SocketAddr,
    admin: SocketAddr,
}

async fn spawn_sim(extra: &[&str]) -> RunningSim {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tg-sim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--admin",
            "127.0.0.1:0",
            "--demo-accounts",
            "2",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("tg-sim binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next_address = async |prefix: &str| -> SocketAddr {
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .expect("tg-sim prints its address")
            .unwrap()
            .expect("a line");
        line.strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{line:?} starts with {prefix:?}"))
            .parse()
            .unwrap()
    };
    let mtproto = next_address("tg-sim listening on ").await;
    let admin = next_address("tg-sim admin on http://").await;
    RunningSim {
        child,
        mtproto,
        admin,
    }
}

/// A one-shot HTTP/1.1 request; returns the status code and body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_demo_accounts_and_takes_faults_over_http() {
    let mut sim = spawn_sim(&[]).await;
    let test = TestClient::connect(sim.mtproto, demo_auth_key(1));
    assert_eq!(self_user_id(&test.client).await.unwrap(), 1_000_001);

    let (status, state) = http(sim.admin, "POST", "/faults", r#"{"fail_next_requests": 1}"#).await;
    assert_eq!(status, 200, "{state}");
    assert!(state.contains(r#""fail_next_requests":1"#), "{state}");
    let error = self_user_id(&test.client).await.unwrap_err();
    assert_eq!(rpc_code_and_name(error), (500, "INTERNAL".to_owned()));
    assert_eq!(self_user_id(&test.client).await.unwrap(), 1_000_001);

    let (status, stats) = http(sim.admin, "GET", "/stats", "").await;
    assert_eq!(status, 200);
    assert!(stats.contains(r#""open_connections":1"#), "{stats}");
    assert!(stats.contains(r#""calls_failed":1"#), "{stats}");

    let (status, message) = http(sim.admin, "POST", "/faults", r#"{"delay_secs": 1}"#).await;
    assert_eq!(status, 422, "{message}");
    assert!(
        message.contains("delay_secs"),
        "names the bad field: {message}"
    );

    test.quit().await;
    sim.child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_demo_accounts_can_log_in_through_the_binary() {
    let mut sim = spawn_sim(&["--signed-out"]).await;
    let test = TestClient::connect(sim.mtproto, demo_auth_key(0));
    assert!(!test.client.is_authorized().await.unwrap());
    let token = test
        .client
        .request_login_code("+15550000000", API_HASH)
        .await
        .unwrap();
    let user = test.client.sign_in(&token, "12345").await.unwrap();
    assert_eq!(user.raw.id(), 1_000_000);
    test.quit().await;
    sim.child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_time_scale_is_refused_with_a_message_naming_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_tg-sim"))
        .args(["--time-scale=0"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--time-scale"), "{stderr}");
}
