//! `tgfleet run`: services in one process, as a real process.

mod common;

use common::{database_url, tgfleet, tgfleet_with_env};
use sqlx::PgPool;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const SESSION_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

#[test]
fn names_the_services_or_all() {
    let run = tgfleet_with_env(&["run"], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("name the services to run"),
        "{}",
        run.stderr
    );
    let both = tgfleet_with_env(&["run", "--all", "marketer"], &[]);
    assert_eq!(both.code, 2, "{both:?}");
}

#[sqlx::test(migrations = "../../migrations")]
async fn missing_telegram_settings_are_named(pool: PgPool) {
    let url = database_url(&pool);
    let run = tgfleet(&url, &["run", "--all"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("telegram.api_id"), "{}", run.stderr);
    let run = tgfleet_with_env(
        &["run", "--all"],
        &[
            ("DATABASE_URL", &url),
            ("TG_API_ID", "12345"),
            ("TG_API_HASH", "0123456789abcdef0123456789abcdef"),
        ],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("sessions.encryption_key"),
        "{}",
        run.stderr
    );
}

/// Kills the child when the test ends, passed or not.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `tgfleet run SERVICES` with a clean environment: the database, demo credentials,
/// info logs on a piped stdout.
fn run_services(url: &str, services: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tgfleet"));
    command
        .arg("run")
        .args(services)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", url)
        .env("TGFLEET_SESSION_KEY", SESSION_KEY)
        .env("TG_API_ID", "12345")
        .env("TG_API_HASH", "0123456789abcdef0123456789abcdef")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    command
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[sqlx::test(migrations = "../../migrations")]
async fn runs_services_serves_health_and_stops_on_sigterm(pool: PgPool) {
    let url = database_url(&pool);
    let port = free_port();
    let mut child = KillOnDrop(
        run_services(&url, &["marketer", "activity"])
            .env("TGFLEET__TELEMETRY__HEALTH_BASE_PORT", port.to_string())
            .spawn()
            .unwrap(),
    );
    let (lines_tx, lines_rx) = mpsc::channel();
    let logs = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(logs).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let wait_for = |needle: &str, seen: &mut Vec<String>| {
        while !seen.iter().any(|line| line.contains(needle)) {
            match lines_rx.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => seen.push(line),
                Err(_) => panic!("no line containing {needle:?}; saw:\n{}", seen.join("\n")),
            }
        }
    };
    wait_for("Starting marketer", &mut seen);
    wait_for("Starting activity", &mut seen);

    let health = http_get(port, "/health");
    assert!(
        health.starts_with("HTTP/1.1 503"),
        "no accounts yet: {health}"
    );
    assert!(health.contains("no usable account"), "{health}");
    let metrics = http_get(port, "/metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");

    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    wait_for("marketer stopped", &mut seen);
    wait_for("activity stopped", &mut seen);
    let exit = child.0.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "{}", seen.join("\n"));
}

#[sqlx::test(migrations = "../../migrations")]
async fn logs_are_json_objects_on_request(pool: PgPool) {
    let url = database_url(&pool);
    let mut child = KillOnDrop(
        run_services(&url, &["activity"])
            .env("TGFLEET__TELEMETRY__HEALTH_BASE_PORT", "0")
            .env("TGFLEET__TELEMETRY__LOG_FORMAT", "json")
            .spawn()
            .unwrap(),
    );
    let logs = child.0.stdout.take().unwrap();
    let (lines_tx, lines_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(logs).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut messages = Vec::new();
    while !messages
        .iter()
        .any(|message: &String| message == "Starting activity")
    {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no \"Starting activity\"; saw {messages:?}"));
        let event: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|error| panic!("not a JSON line ({error}): {line}"));
        assert!(event["level"].is_string(), "{line}");
        assert!(event["timestamp"].is_string(), "{line}");
        messages.push(event["message"].as_str().unwrap_or_default().to_owned());
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(child.0.wait().unwrap().code(), Some(0));
}
