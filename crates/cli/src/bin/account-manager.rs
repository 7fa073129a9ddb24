//! The `account-manager` binary: joins assigned groups in timed slots. See
//! [`tgfleet_account_manager`]; production wiring from [`tgfleet_cli::wiring`].

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use tgfleet_cli::commands::run::run_service;
use tgfleet_config::Service;
use tgfleet_runtime::Telemetry;

/// Joins each account's assigned groups in cron slots, a few per slot, with random pauses.
#[derive(Debug, Parser)]
#[command(name = "account-manager", version)]
struct Args {
    /// Configuration file (TOML); environment variables override it.
    #[arg(long, env = "TGFLEET_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let ctx = match tgfleet_cli::wiring::start(
        Service::AccountManager,
        args.config.as_deref(),
        Telemetry::Serve,
    )
    .await
    {
        Ok(ctx) => ctx,
        Err(code) => return code,
    };
    tgfleet_runtime::exit_code(Service::AccountManager, run_service(ctx).await)
}
