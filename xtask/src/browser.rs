//! Headless Chromium for the console's browser tests: Debian's `chromium` and
//! `chromium-driver` (chromedriver at /usr/bin/chromedriver), installed with apt-get
//! when missing and we are root, as the private Postgres is.

use crate::process;
use anyhow::bail;
use std::path::Path;
use std::process::Command;

/// Where Debian puts chromedriver; the browser tests start it from here.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Where Debian puts Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Makes sure Chromium and chromedriver are installed.
pub fn ensure_installed() -> anyhow::Result<()> {
    if Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    if !crate::debian::running_as_root() {
        bail!(
            "the console's browser tests need Chromium and chromedriver ({CHROMIUM}, {CHROMEDRIVER}); \
             install them (Debian: apt-get install chromium chromium-driver) or run as root"
        );
    }
    eprintln!(
        "xtask: installing Debian's chromium and chromium-driver for the console's browser tests"
    );
    process::run(Command::new("apt-get").arg("update"))?;
    process::run(
        Command::new("apt-get")
            .args([
                "install",
                "-y",
                "--no-install-recommends",
                "chromium",
                "chromium-driver",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}
