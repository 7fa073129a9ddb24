//! Python for the tests that judge tgfleet with real libraries from PyPI (Telethon,
//! Pyrogram, kurigram): they build their own venvs under `target/`, which needs
//! `python3` with `venv` and `ensurepip`. When those are missing and we are root,
//! Debian's `python3-venv` package is installed.

use crate::process;
use std::process::Command;

/// Makes sure `python3 -m venv` works, installing Debian's packages as root.
pub fn ensure_venv_support() -> anyhow::Result<()> {
    let works = || {
        Command::new("python3")
            .args(["-c", "import venv, ensurepip"])
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if works() {
        return Ok(());
    }
    if !crate::pg::running_as_root() {
        eprintln!(
            "xtask: python3 with venv is missing (Debian: apt-get install python3-venv); \
             the tests reading real libraries' session files will fail"
        );
        return Ok(());
    }
    eprintln!("xtask: installing python3-venv (apt-get update && apt-get install -y python3-venv)");
    process::run(Command::new("apt-get").arg("update"))?;
    process::run(
        Command::new("apt-get")
            .args([
                "install",
                "-y",
                "--no-install-recommends",
                "python3",
                "python3-venv",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}
