//! What `cargo xtask` installs with Debian's apt when it runs as root on a fresh machine.

use crate::process;
use std::process::Command;

/// Whether this process runs as root (effective uid 0).
pub fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))
                .and_then(|uids| uids.split_whitespace().nth(1).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

/// `apt-get update && apt-get install -y --no-install-recommends PACKAGES`.
pub fn install(packages: &[&str]) -> anyhow::Result<()> {
    eprintln!(
        "xtask: installing Debian packages: {} (apt-get update && apt-get install -y)",
        packages.join(" ")
    );
    process::run(Command::new("apt-get").arg("update"))?;
    process::run(
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// Makes `python3 -m venv` work (the tests judging tgfleet with real libraries from PyPI —
/// Telethon, Pyrogram, kurigram, opentele — build their venvs under `target/` with it):
/// as root, installs Debian's `python3` and `python3-venv` when it does not.
pub fn ensure_python_venv() -> anyhow::Result<()> {
    let works = Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if works {
        return Ok(());
    }
    if !running_as_root() {
        eprintln!(
            "xtask: python3 -m venv is unavailable and we are not root; the Telethon \
             conformance test will fail (Debian: apt-get install python3-venv)"
        );
        return Ok(());
    }
    install(&["python3", "python3-venv"])
}
