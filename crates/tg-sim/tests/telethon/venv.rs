//! The pinned Telethon in a venv under `target/`, created on first use and reused while it
//! holds the pinned version. An exclusive lock on a file next to it lets parallel tests
//! share one creation.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The pinned client and its dependencies (`pip freeze` of a fresh install), so the judge
/// does not change under the tests.
pub const REQUIREMENTS: &[&str] = &[
    "telethon==1.45.0",
    "pyaes==1.6.1",
    "pyasn1==0.6.5",
    "rsa==4.9.1",
];

/// The Telethon version [`REQUIREMENTS`] pins.
pub const TELETHON_VERSION: &str = "1.45.0";

/// The venv's Python, creating the venv first when it is missing or holds another version.
pub fn python() -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("telethon-{TELETHON_VERSION}"));
    fs::create_dir_all(root.parent().expect("a parent")).expect("target/tmp is writable");
    let lock = File::create(root.with_extension("lock")).expect("the venv lock file opens");
    lock.lock().expect("the venv lock is taken");
    let python = root.join("bin").join("python");
    if installed_version(&python).as_deref() == Some(TELETHON_VERSION) {
        eprintln!("telethon venv: reusing {}", root.display());
        return python;
    }
    let started = Instant::now();
    if root.exists() {
        fs::remove_dir_all(&root).expect("a stale venv is removed");
    }
    run(
        Command::new("python3").args(["-m", "venv"]).arg(&root),
        "python3 -m venv (Debian: apt-get install python3-venv; `cargo xtask test` installs it as root)",
    );
    run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-input",
            ])
            .args(REQUIREMENTS),
        "pip install of the pinned Telethon (needs PyPI)",
    );
    assert_eq!(
        installed_version(&python).as_deref(),
        Some(TELETHON_VERSION),
        "the venv holds the pinned Telethon after installing it"
    );
    eprintln!(
        "telethon venv: created {} in {:.1} s",
        root.display(),
        started.elapsed().as_secs_f64()
    );
    python
}

fn installed_version(python: &Path) -> Option<String> {
    let output = Command::new(python)
        .args(["-c", "import telethon; print(telethon.__version__)"])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn run(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{what}: cannot start: {error}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
