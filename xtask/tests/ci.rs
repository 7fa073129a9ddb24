//! `.ci/run` stops at the first broken house rule: an unformatted file fails the
//! `cargo fmt` step, a clippy warning the `cargo clippy` step. Each case runs the real
//! script on a one-file fixture workspace, and a clean fixture shows both steps pass.
//! (Tidy's own rules, such as a new `sqlx::query` outside the store, are tested in
//! `xtask/src/tidy/`.)

use std::path::{Path, PathBuf};
use std::process::Command;

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ lives in the repository root")
        .to_path_buf()
}

/// Runs a copy of `.ci/run` in a fixture workspace whose one library file is `lib_rs`;
/// returns the step that failed (the script's `ci: FAILED: …` line).
fn failed_step(lib_rs: &str) -> String {
    let fixture = tempfile::tempdir().unwrap();
    let dir = fixture.path();
    std::fs::create_dir_all(dir.join(".ci")).unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::copy(repository_root().join(".ci/run"), dir.join(".ci/run")).unwrap();
    std::fs::copy(
        repository_root().join("rust-toolchain.toml"),
        dir.join("rust-toolchain.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"ci-fixture\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/lib.rs"), lib_rs).unwrap();
    let output = Command::new("bash")
        .arg(dir.join(".ci/run"))
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "{stderr}");
    stderr
        .lines()
        .find_map(|line| line.strip_prefix("ci: FAILED: "))
        .unwrap_or_else(|| panic!("no failed step named:\n{stderr}"))
        .to_owned()
}

#[test]
fn an_unformatted_file_fails_the_format_step() {
    let step = failed_step("//! Fixture.\n\npub fn add(a:u32,b:u32)->u32{a+b}\n");
    assert_eq!(step, "cargo fmt --all --check");
}

#[test]
fn a_clippy_warning_fails_the_clippy_step() {
    let step = failed_step(
        "//! Fixture.\n\n/// Counts.\npub fn count(items: &Vec<u32>) -> usize {\n    items.len()\n}\n",
    );
    assert_eq!(
        step,
        "cargo clippy --workspace --all-targets -- -D warnings"
    );
}

#[test]
fn clean_code_passes_format_and_clippy() {
    // The fixture has no xtask, so the run stops at tidy, after both checks passed.
    let step = failed_step(
        "//! Fixture.\n\n/// Counts.\npub fn count(items: &[u32]) -> usize {\n    items.len()\n}\n",
    );
    assert_eq!(step, "cargo xtask tidy");
}
