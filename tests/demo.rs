//! `cargo xtask demo` end to end, as an operator runs it: the real binaries, tg-sim
//! serving a generated world over MTProto, the grammers client, a fresh database.
//!
//! The demo itself checks what issue 9 asks of it (joins, posts, a FloodWait, a
//! pre-check failure, the reviewer's summary, `/health` and `/metrics` answering while
//! the fleet runs, every README psql query, a clean stop) and exits non-zero when any
//! is missing; this test runs it and checks its output and the database.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

/// `target/debug`, where nextest / cargo test built every workspace binary.
fn binaries() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    deps.parent().unwrap().to_path_buf()
}

/// psql of the newest installed server (Debian's layout), else PATH's.
fn psql() -> Command {
    let newest = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("bin/psql"))
        .filter(|path| path.is_file())
        .max();
    Command::new(newest.unwrap_or_else(|| "psql".into()))
}

fn psql_value(url: &str, sql: &str) -> String {
    let output = psql()
        .args([
            "--no-psqlrc",
            "-X",
            "-tA",
            "-v",
            "ON_ERROR_STOP=1",
            url,
            "-c",
            sql,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "psql -c {sql:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A fresh database on `DATABASE_URL`'s server, dropped again by `Drop`.
struct FreshDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl FreshDatabase {
    fn create() -> Self {
        let admin_url = std::env::var("DATABASE_URL")
            .expect("DATABASE_URL (run the tests with `cargo xtask test`)");
        let name = format!(
            "tgfleet_demo_test_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        psql_value(&admin_url, &format!("CREATE DATABASE {name}"));
        let (server, _) = admin_url.rsplit_once('/').expect("DATABASE_URL has a path");
        let url = format!("{server}/{name}");
        Self {
            admin_url,
            name,
            url,
        }
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let _ = psql()
            .args(["--no-psqlrc", "-X", &self.admin_url, "-c"])
            .arg(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .output();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_demo_shows_the_fleet_at_work_and_ends_with_the_readme_stats() {
    let database = FreshDatabase::create();
    let dir = tempfile::tempdir().unwrap();
    let health_port = free_port();
    let output = Command::new(binaries().join("xtask"))
        .args([
            "demo",
            "--no-build",
            "--minutes",
            "2",
            "--database-url",
            &database.url,
        ])
        .arg("--dir")
        .arg(dir.path().join("demo"))
        .args(["--health-port", &health_port.to_string()])
        .env_remove("TGFLEET_DEMO_DATABASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let probes: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with("demo: GET"))
        .collect();
    let probes = probes.join("\n");
    let tail: String = stdout
        .lines()
        .rev()
        .take(60)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        output.status.success(),
        "the demo failed ({}):\n{tail}\nstderr:\n{stderr}",
        output.status
    );

    for words in [
        "tg-sim provisioned 5 sessions",
        "Imported 5 session(s)",
        "Successfully joined",
        "Sleeping",
        "FloodWait",
        "Sent to",
        "Relayed post",
        "from @bali_news_feed",
        "Pre-check failed",
        // The 150 generated groups and the relay's source channel.
        "Checked groups: 151",
        "marked banned:",
        "marketer stopped",
        "account-manager stopped",
    ] {
        assert!(
            stdout.contains(words),
            "no {words:?} in the demo's output:\n{tail}"
        );
    }
    let health =
        format!("GET http://127.0.0.1:{health_port}/health -> HTTP/1.1 200 OK {{\"status\":\"ok\"");
    assert!(
        stdout.contains(&health),
        "no healthy probe:\n{probes}\n{tail}"
    );
    assert!(
        stdout.contains(&format!(
            "GET http://127.0.0.1:{health_port}/metrics -> HTTP/1.1 200 OK"
        )),
        "no /metrics probe:\n{probes}\n{tail}"
    );
    assert!(
        probes.contains("tgfleet_posts_total{outcome=\"sent\"}"),
        "no posts in /metrics:\n{probes}"
    );
    assert!(!stdout.contains("README query FAILED"), "{tail}");
    assert!(stdout.contains("[x] every README query ran"), "{tail}");

    let numbers = psql_value(
        &database.url,
        "SELECT (SELECT count(*) FROM memberships WHERE state = 'joined') > 0,
                (SELECT count(*) FROM posts WHERE state = 'sent') > 0,
                (SELECT count(*) FROM events WHERE flood_wait_secs > 0) > 0,
                (SELECT count(*) FROM posts WHERE state = 'skipped' AND error_code LIKE 'PRECHECK_%') > 0,
                (SELECT count(*) FROM review_runs WHERE checked = 151) > 0,
                (SELECT count(*) FROM posts WHERE state = 'pending')",
    );
    assert_eq!(
        numbers, "t|t|t|t|t|0",
        "joined|sent|flood|precheck|review|pending"
    );
    let secrets = [
        "dGdmbGVldC1kZW1vLW9ubHktc2Vzc2lvbi1rZXktMzI=",
        "0123456789abcdef0123456789abcdef",
    ];
    for secret in secrets {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "a demo secret reached the output"
        );
    }
}

#[test]
fn the_demo_refuses_a_database_that_is_not_empty() {
    let database = FreshDatabase::create();
    psql_value(
        &database.url,
        "CREATE TABLE precious (id int); INSERT INTO precious VALUES (1)",
    );
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(binaries().join("xtask"))
        .args([
            "demo",
            "--no-build",
            "--minutes",
            "1",
            "--database-url",
            &database.url,
        ])
        .arg("--dir")
        .arg(dir.path().join("demo"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("a fresh demo needs an empty database"),
        "{stderr}"
    );
    assert_eq!(
        psql_value(&database.url, "SELECT count(*) FROM precious"),
        "1"
    );
}

/// The demo's set-up as it runs with the wall clock at `wall_clock`: the campaign must
/// start at the simulated start (within the few simulated minutes the set-up itself
/// takes at 60×), not at the wall clock, whatever the hour.
fn campaign_start_after_setup_at(wall_clock: &str) -> (String, String) {
    let database = FreshDatabase::create();
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(binaries().join("xtask"))
        .args([
            "demo",
            "--no-build",
            "--setup-only",
            "--wall-clock",
            wall_clock,
            "--database-url",
            &database.url,
        ])
        .arg("--dir")
        .arg(dir.path().join("demo"))
        .env_remove("TGFLEET_DEMO_DATABASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the demo's set-up failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let starts = psql_value(
        &database.url,
        "SELECT to_char(coalesce(starts_at, created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') || '|' || status
           FROM campaigns",
    );
    let variants = psql_value(&database.url, "SELECT count(*) FROM message_variants");
    (starts, variants)
}

#[test]
fn the_demo_campaign_starts_at_the_simulated_start_at_any_hour() {
    // 3 real minutes at 60×: three simulated hours, moved back to end at the wall
    // clock when they would cross midnight UTC.
    for (wall_clock, simulated_start) in [
        ("2026-03-14T21:30:00Z", "2026-03-14T18:30:00Z"),
        ("2026-03-14T23:50:00Z", "2026-03-14T20:50:00Z"),
        ("2026-03-15T09:00:00Z", "2026-03-15T09:00:00Z"),
    ] {
        let (starts, variants) = campaign_start_after_setup_at(wall_clock);
        assert!(
            starts.lines().count() >= 2,
            "wall clock {wall_clock}: the demo's campaigns (ordinary and relay): {starts}"
        );
        for campaign in starts.lines() {
            let (at, status) = campaign.split_once('|').unwrap();
            let at = instant(at);
            let start = instant(simulated_start);
            assert!(
                at >= start && at - start <= chrono::TimeDelta::minutes(20),
                "wall clock {wall_clock}: a campaign starts at {at}, the simulated run at {start}"
            );
            assert_eq!(status, "active", "wall clock {wall_clock}");
        }
        let variants: u32 = variants.parse().unwrap();
        assert!(
            variants >= 2,
            "wall clock {wall_clock}: {variants} variants"
        );
    }
}

fn instant(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}
