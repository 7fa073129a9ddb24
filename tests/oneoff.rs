//! `cargo xtask chaos-oneoff`: a one-off send through the console's API against tg-sim,
//! sent by a real marketer with the real grammers client, is sent once when the request
//! is repeated with the same `Idempotency-Key` and when the marketer is killed with
//! SIGKILL between the send and its answer (then it is `unknown`, never resent);
//! tg-sim's ledger counts the messages.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

/// `target/debug`, where nextest / cargo test built every workspace binary.
fn binaries() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// A base port with the 30 ports above it free now.
fn free_port_range() -> u16 {
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if port < 60_000 && (port..port + 30).all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok()) {
            return port;
        }
    }
}

#[test]
fn a_one_off_send_goes_once_when_repeated_and_when_the_marketer_is_killed_mid_send() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(binaries().join("xtask"))
        .args(["chaos-oneoff", "--no-build"])
        .arg("--dir")
        .arg(dir.path().join("oneoff"))
        .args(["--health-base-port", &free_port_range().to_string()])
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
