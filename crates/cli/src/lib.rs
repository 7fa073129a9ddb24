//! The tgfleet command line: accounts, groups, campaigns, stats, migrations, run --all
//! and the console.
//!
//! `main.rs` only calls [`main_with_args`]. Each subcommand group is a module of
//! [`commands`]; a new group adds a variant to [`Command`] and a module.
//!
//! Exit codes: 0 success; 1 the command failed (bad input, refused operation);
//! 2 the environment is not ready (configuration, database unreachable or missing,
//! migrations pending) or the command line is malformed.

pub mod commands;
mod context;
mod error;
pub use tgfleet_domain::handle_list as import_file;
mod output;
pub mod table;
pub mod wiring;

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

pub use context::Context;
pub use error::CliError;

/// `tgfleet [--config FILE] COMMAND`
#[derive(Debug, Parser)]
#[command(
    name = "tgfleet",
    version,
    about = "Operate a fleet of Telegram accounts promoting campaigns in groups."
)]
pub struct Cli {
    /// TOML configuration file (defaults < file < environment; see tgfleet.example.toml).
    #[arg(long, global = true, env = "TGFLEET_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending database migrations (a no-op when the schema is up to date).
    Migrate,
    /// The group catalogue: import, list.
    #[command(subcommand)]
    Groups(commands::groups::GroupsCommand),
    /// The fleet's accounts: list, suspend, resume, login, import, check.
    #[command(subcommand)]
    Accounts(commands::accounts::AccountsCommand),
    /// Today's numbers and posts per day (the same views psql shows).
    Stats(commands::stats::StatsArgs),
    /// Campaigns: create, add variants, pause, resume, list.
    #[command(subcommand)]
    Campaigns(commands::campaigns::CampaignsCommand),
    /// Run services in this process: `tgfleet run --all`, or name them.
    Run(commands::run::RunArgs),
    /// The operator console and HTTP API: serve, add-user, token.
    Console(commands::console::ConsoleArgs),
}

/// Parses `args`, runs the command and turns the outcome into an exit code,
/// printing errors as single lines on stderr.
pub fn main_with_args(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help and version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    // Commands use one thread; the services of `run` get the multi-threaded runtime.
    let runtime = match &cli.command {
        Command::Run(_) | Command::Console(_) => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    }
    .enable_all()
    .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if let Some(message) = err.message() {
                eprintln!("error: {message}");
            }
            ExitCode::from(err.exit_code())
        }
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let context = || Context::load(cli.config.as_deref());
    match cli.command {
        Command::Migrate => commands::migrate::run(&context()?).await,
        Command::Groups(command) => commands::groups::run(&context()?, command).await,
        Command::Accounts(command) => commands::accounts::run(&context()?, command).await,
        Command::Stats(args) => commands::stats::run(&context()?, args).await,
        Command::Campaigns(command) => commands::campaigns::run(&context()?, command).await,
        Command::Run(args) => commands::run::run(cli.config.as_deref(), args).await,
        Command::Console(args) => commands::console::run(cli.config.as_deref(), args).await,
    }
}
