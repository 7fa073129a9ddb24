//! `cargo xtask tidy`: the repository's house rules, checked.
//!
//! Modelled on rust-analyzer's `xtask/src/tidy.rs`: plain code that reads the
//! workspace and fails with every violation it finds, each naming the rule, the file
//! and the line. The rules live in three modules:
//!
//! * [`deps`]: who may depend on whom, read from `cargo metadata`;
//! * [`licenses`]: every dependency's licence is on the allowed list;
//! * [`sources`]: what the files themselves may contain (SQL only in the store, a pure
//!   domain, a `//!` doc on every file, reasons for `dead_code` allowances, no
//!   references to files outside the repository, test-only items behind a feature).
//!
//! Every rule has tests on small fixtures that show it fails when broken, and one test
//! runs all of them on the repository itself, so `cargo xtask test` checks them too.

pub mod deps;
pub mod licenses;
pub mod sources;

use anyhow::Context as _;
use std::fmt;
use std::path::Path;
use std::process::{Command, ExitCode};

/// One broken rule: which, where, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The rule's name (a constant of [`deps`] or [`sources`]).
    pub rule: &'static str,
    /// The file, relative to the repository root (`Cargo.toml` for dependency rules).
    pub path: String,
    /// The line (1-based), when the rule is about one line.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: [{}] {}", self.path, self.rule, self.message),
            None => write!(f, "{}: [{}] {}", self.path, self.rule, self.message),
        }
    }
}

/// Runs every rule on the repository at `root` and returns the violations.
pub fn check(root: &Path) -> anyhow::Result<Vec<Violation>> {
    let metadata = cargo_metadata(root, &["--no-deps", "--offline"])?;
    let workspace = deps::Workspace::from_metadata(&metadata, root)?;
    let mut violations = deps::check(&workspace);
    violations.extend(licenses::check(&cargo_metadata(root, &["--locked"])?));
    let files = sources::Files::read(root)?;
    violations.extend(sources::check(&files));
    Ok(violations)
}

/// `cargo xtask tidy`: prints every violation; exits 1 when there is one.
pub fn run() -> anyhow::Result<ExitCode> {
    let root = crate::pg::repository_root();
    let violations = check(&root)?;
    if violations.is_empty() {
        eprintln!("xtask: tidy: every house rule holds");
        return Ok(ExitCode::SUCCESS);
    }
    for violation in &violations {
        eprintln!("{violation}");
    }
    eprintln!(
        "xtask: tidy: {} violation(s) (rules: xtask/src/tidy/)",
        violations.len()
    );
    Ok(ExitCode::FAILURE)
}

/// `cargo metadata` of the workspace at `root`, with `flags` (`--no-deps` reads only
/// the manifests).
fn cargo_metadata(root: &Path, flags: &[&str]) -> anyhow::Result<serde_json::Value> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .args(flags)
        .current_dir(root)
        .output()
        .context("cannot run cargo metadata")?;
    anyhow::ensure!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr).trim()
    );
    serde_json::from_slice(&output.stdout).context("cargo metadata printed no JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_keeps_its_house_rules() {
        let violations = check(&crate::pg::repository_root()).unwrap();
        let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
        assert!(listed.is_empty(), "\n{}\n", listed.join("\n"));
    }
}
