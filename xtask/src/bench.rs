//! `cargo xtask bench`: the benchmarks that measure the speed and memory targets. Each
//! prints its numbers; none is a pass/fail test.

use crate::process;
use std::process::{Command, ExitCode};

/// Package and bench target of every benchmark.
const BENCHES: [(&str, &str); 4] = [
    ("tg-world", "world_scale"),
    ("tgfleet-adapter-sim", "adapter_load"),
    ("tg-sim", "wire"),
    ("tgfleet-adapter-grammers", "import_files"),
];

/// Runs each benchmark in turn; `args` go to every `cargo bench`.
pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = crate::pg::repository_root();
    // import_files measures the database import too: DATABASE_URL, or the private Postgres.
    let url = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => crate::pg::PrivatePostgres::locate()?.ensure_running_for_tests()?,
    };
    for (package, bench) in BENCHES {
        let mut command = Command::new(&cargo);
        command
            .args(["bench", "-p", package, "--bench", bench])
            .args(args)
            .env("DATABASE_URL", &url)
            .current_dir(&root);
        eprintln!("xtask: {}", process::describe(&command));
        process::run(&mut command)?;
    }
    Ok(ExitCode::SUCCESS)
}
