//! `cargo xtask chaos-oneoff`: a one-off send through the console's API against tg-sim,
//! sent by a real marketer with the real grammers client, is sent once when the request
//! is repeated with the same `Idempotency-Key` and when the marketer is killed with
//! SIGKILL between the send and its answer (then it is `unknown`, never resent);
//! tg-sim's ledger counts the messages.

use std::process::Command;
use tgfleet_system_tests::{binaries, free_port_range};

#[test]
fn a_one_off_send_goes_once_when_repeated_and_when_the_marketer_is_killed_mid_send() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(binaries().join("xtask"))
        .args(["chaos-oneoff", "--no-build"])
        .arg("--dir")
        .arg(dir.path().join("oneoff"))
        .args(["--health-base-port", &free_port_range(30).to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    let checks: Vec<&str> = stdout
        .lines()
        .filter(|line| {
            line.starts_with("chaos-oneoff: ok") || line.starts_with("chaos-oneoff: FAIL")
        })
        .collect();
    assert_eq!(
        checks.len(),
        9,
        "every check ran:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        checks
            .iter()
            .all(|line| line.starts_with("chaos-oneoff: ok")),
        "{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        output.status.success(),
        "chaos-oneoff failed ({}):\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
}
