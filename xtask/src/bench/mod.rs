//! `cargo xtask bench`: the benchmarks that measure the speed and memory targets. Each
//! prints its numbers; none is a pass/fail test.
//!
//! * `cargo xtask bench [-- ARGS]`: the `cargo bench` targets below, in turn; those
//!   that need Postgres get `DATABASE_URL` (or the private Postgres's).
//! * `cargo xtask bench fleet [OPTIONS]`: the whole fleet against tg-sim at scale.

mod fleet;

use crate::pg::PrivatePostgres;
use crate::process;
use std::process::{Command, ExitCode};

pub use fleet::FleetArgs;

/// Package and bench target of every `cargo bench` benchmark, and whether it needs Postgres.
const BENCHES: [(&str, &str, bool); 7] = [
    ("tg-world", "world_scale", false),
    ("tgfleet-adapter-sim", "adapter_load", false),
    ("tg-sim", "wire", false),
    ("tgfleet-adapter-grammers", "import_files", true),
    ("tgfleet-marketer", "wake_up", true),
    ("tgfleet-store", "views", true),
    ("tgfleet-console", "pages", true),
];

/// Options of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    /// A benchmark of its own (default: every `cargo bench` target).
    #[command(subcommand)]
    pub only: Option<BenchCommand>,
    /// Extra arguments for every `cargo bench`, e.g. `-- --quick`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// Benchmarks run on their own.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// The fleet (`tgfleet run --all`, release build) against tg-sim at scale: lost
    /// slots, pool time-outs, deadlocks, failed reviews, peak RSS, /health latency,
    /// joins and posts against what the configuration allows.
    Fleet(FleetArgs),
}

/// Runs the chosen benchmarks.
pub fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    match &args.only {
        Some(BenchCommand::Fleet(fleet)) => fleet::run(fleet),
        None => run_cargo_benches(&args.args),
    }
}

fn run_cargo_benches(args: &[String]) -> anyhow::Result<ExitCode> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = crate::pg::repository_root();
    let mut database: Option<String> = None;
    for (package, bench, needs_postgres) in BENCHES {
        let mut command = Command::new(&cargo);
        command
            .args(["bench", "-p", package, "--bench", bench])
            .args(args)
            .current_dir(&root);
        if needs_postgres {
            let url = match &database {
                Some(url) => url.clone(),
                None => {
                    let url = database_url()?;
                    database = Some(url.clone());
                    url
                }
            };
            command.env("DATABASE_URL", url);
        }
        eprintln!("xtask: {}", process::describe(&command));
        process::run(&mut command)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `DATABASE_URL` (a server's maintenance database), else the private Postgres's.
fn database_url() -> anyhow::Result<String> {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => Ok(url),
        _ => PrivatePostgres::locate()?.ensure_running_for_tests(),
    }
}
