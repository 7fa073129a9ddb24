//! `cargo xtask bench`: the benchmarks that measure the speed and memory targets. Each
//! prints its numbers; none is a pass/fail test.

use crate::process;
use std::process::{Command, ExitCode};

/// Package and bench target of every benchmark.
const BENCHES: [(&str, &str); 3] = [
    ("tg-world", "world_scale"),
    ("tgfleet-adapter-sim", "adapter_load"),
    ("tg-sim", "wire"),
];

/// Runs each benchmark in turn; `args` go to every `cargo bench`.
pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = crate::pg::repository_root();
    for (package, bench) in BENCHES {
        let mut command = Command::new(&cargo);
        command
            .args(["bench", "-p", package, "--bench", bench])
            .args(args)
            .current_dir(&root);
        eprintln!("xtask: {}", process::describe(&command));
        process::run(&mut command)?;
    }
    Ok(ExitCode::SUCCESS)
}
