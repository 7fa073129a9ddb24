//! `cargo xtask chaos`, short: the real binaries (three account-managers, three marketers,
//! activity, group-reviewer) against tg-sim, ten of them killed with SIGKILL at random and
//! restarted, Postgres restarted once, tg-sim's connections dropped and its answers delayed;
//! then the world's ledger is compared with the database and every number must be zero.

use std::process::Command;
use tgfleet_system_tests::{binaries, free_port_range};

/// The number after `label` on its line of the report.
fn reported(stdout: &str, label: &str) -> Option<u64> {
    let line = stdout.lines().find(|line| line.contains(label))?;
    line[line.find(label)? + label.len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[test]
fn ten_kills_lose_nothing_and_repeat_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(binaries().join("xtask"))
        .args([
            "chaos",
            "--no-build",
            "--kills",
            "10",
            "--groups",
            "12",
            "--accounts",
            "4",
            "--mean-gap-secs",
            "2",
            "--settle-secs",
            "15",
        ])
        .arg("--dir")
        .arg(dir.path().join("chaos"))
        .args(["--health-base-port", &free_port_range(90).to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = stdout
        .split_once("chaos report:")
        .map_or("(no report)", |(_, report)| report);
    println!("chaos report:{report}");
    for label in [
        "duplicate posts per (campaign, group, round) in the world:",
        "posts the world holds that the database does not know:",
        "joins repeated:",
        "pending work lost:",
    ] {
        assert_eq!(
            reported(&stdout, label),
            Some(0),
            "{label}\n{stdout}\nstderr:\n{stderr}"
        );
    }
    assert_eq!(
        stdout
            .lines()
            .filter(|line| line.starts_with("chaos: round") && line.contains("SIGKILL"))
            .count(),
        10,
        "{stdout}"
    );
    assert!(
        stdout.contains("chaos: Postgres back after"),
        "Postgres was restarted once:\n{stdout}"
    );
    assert!(
        reported(&stdout, "world:").is_some_and(|posts| posts > 0),
        "the fleet posted while being killed:\n{report}"
    );
    assert!(
        output.status.success(),
        "chaos failed ({}):\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
}
