//! Project commands: `cargo xtask test | tidy | demo | chaos | pg | bench`.
//!
//! * `cargo xtask test [ARGS]` runs every test. Without `DATABASE_URL` it starts (or
//!   reuses) a private Postgres first and points the tests at it.
//! * `cargo xtask tidy` checks the house rules (dependencies, SQL only in the store, a
//!   pure domain, docs on every file, …): see [`tidy`].
//! * `cargo xtask bench [ARGS]` runs the benchmarks that print numbers;
//!   `cargo xtask bench fleet` runs the fleet at scale against tg-sim.
//! * `cargo xtask pg start|stop|status|url|psql [ARGS]` manages that private Postgres.
//! * `cargo xtask demo [OPTIONS]` runs the whole fleet against the simulated Telegram,
//!   time compressed, and ends with the README's psql statistics.
//! * `cargo xtask chaos [OPTIONS]` kills the fleet's processes at random against tg-sim and
//!   compares the world's ledger with the database.
//! * `cargo xtask chaos-oneoff [OPTIONS]` sends one-off messages through the console's API
//!   against tg-sim, repeats them and kills the marketer mid-send, then counts the ledger.

mod bench;
mod browser;
mod chaos;
mod debian;
mod demo;
mod pg;
mod process;
mod test;
mod tidy;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "tgfleet project commands")]
struct Xtask {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every test (nextest when installed, then doc tests); ARGS go to the test runner.
    Test {
        /// Extra arguments for `cargo nextest run` (or `cargo test`), e.g. a test filter.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Check the house rules: dependency rules, SQL only in the store, a pure domain,
    /// a `//!` doc on every file, reasons for dead code, nothing outside the repository.
    Tidy,
    /// Run the benchmarks that print numbers (world scale, in-process adapter, tg-sim
    /// wire, wake-up latency, views at scale); `bench fleet` runs the fleet at scale.
    Bench(bench::BenchArgs),
    /// The private Postgres used when DATABASE_URL is unset.
    Pg {
        #[command(subcommand)]
        command: PgCommand,
    },
    /// Run the whole fleet against the simulated Telegram, time compressed, then print
    /// the psql statistics (a fresh run each time unless --resume).
    Demo(demo::DemoArgs),
    /// Kill the fleet's processes at random (SIGKILL) while it runs against tg-sim, then
    /// compare the world's ledger with the database.
    Chaos(chaos::ChaosArgs),
    /// One-off sends through the console's API against tg-sim, repeated with the same
    /// Idempotency-Key and with the marketer killed mid-send; tg-sim's ledger counts them.
    ChaosOneoff(chaos::oneoff::OneOffArgs),
}

#[derive(Debug, Subcommand)]
enum PgCommand {
    /// Start it (initialising it on first use) and create the `tgfleet` database.
    Start,
    /// Stop it.
    Stop,
    /// Say whether it runs, where, and on which port.
    Status,
    /// Start it if needed and print its URL (for `export DATABASE_URL=$(cargo xtask pg url)`).
    Url,
    /// Start it if needed and open psql on the `tgfleet` database.
    Psql {
        /// Extra psql arguments, e.g. `-c 'SELECT * FROM overview'`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    let xtask = Xtask::parse();
    let result = match xtask.command {
        Command::Test { args } => test::run(&args),
        Command::Pg { command } => run_pg(command),
        Command::Demo(args) => demo::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Chaos(args) => chaos::run(&args),
        Command::ChaosOneoff(args) => chaos::oneoff::run(&args),
        Command::Tidy => tidy::run(),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_pg(command: PgCommand) -> anyhow::Result<ExitCode> {
    let server = pg::PrivatePostgres::locate()?;
    match command {
        PgCommand::Start => {
            let url = server.ensure_running()?;
            eprintln!("xtask: private Postgres ready: {url}");
        }
        PgCommand::Stop => server.stop()?,
        PgCommand::Status => server.print_status()?,
        PgCommand::Url => println!("{}", server.ensure_running()?),
        PgCommand::Psql { args } => {
            let url = server.ensure_running()?;
            return server.psql(&url, &args);
        }
    }
    Ok(ExitCode::SUCCESS)
}
