//! `cargo xtask test`: every test, against `DATABASE_URL` or the private Postgres, with
//! headless Chromium installed for the console's browser tests.

use crate::pg::PrivatePostgres;
use crate::process;
use std::process::{Command, ExitCode};

/// Runs the workspace's tests; with `args`, only the main run, with those arguments.
pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let url = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            eprintln!("xtask: using DATABASE_URL from the environment");
            url
        }
        _ => PrivatePostgres::locate()?.ensure_running_for_tests()?,
    };
    crate::debian::ensure_python_venv()?;
    crate::browser::ensure_installed()?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = crate::pg::repository_root();
    let nextest = Command::new(&cargo)
        .args(["nextest", "--version"])
        .current_dir(&root)
        .output()
        .is_ok_and(|output| output.status.success());

    let mut main_run = Command::new(&cargo);
    if nextest {
        main_run.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
    } else {
        eprintln!("xtask: cargo-nextest not installed; using cargo test");
        main_run.args(["test", "--workspace", "--no-fail-fast"]);
    }
    main_run
        .args(args)
        .env("DATABASE_URL", &url)
        .current_dir(&root);
    eprintln!("xtask: {}", process::describe(&main_run));
    let main_status = main_run.status()?;

    let doc_status = if nextest && args.is_empty() {
        let mut doc_run = Command::new(&cargo);
        doc_run
            .args(["test", "--workspace", "--doc"])
            .env("DATABASE_URL", &url)
            .current_dir(&root);
        eprintln!("xtask: {}", process::describe(&doc_run));
        Some(doc_run.status()?)
    } else {
        None
    };

    let passed = main_status.success() && doc_status.is_none_or(|status| status.success());
    if passed {
        eprintln!("xtask: all tests passed");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("xtask: tests FAILED");
        Ok(ExitCode::FAILURE)
    }
}
