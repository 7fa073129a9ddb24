//! The `activity` binary: keeps the fleet's accounts alive. See [`tgfleet_activity`];
//! production wiring from [`tgfleet_cli::wiring`].

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use tgfleet_cli::commands::run::run_service;
use tgfleet_config::Service;
use tgfleet_runtime::Telemetry;

/// Keeps accounts looking alive: reads chats, views stories, rare reactions (off by default).
#[derive(Debug, Parser)]
#[command(name = "activity", version)]
struct Args {
    /// Configuration file (TOML); environment variables override it.
    #[arg(long, env = "TGFLEET_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let ctx = match tgfleet_cli::wiring::start(
        Service::Activity,
        args.config.as_deref(),
        Telemetry::Serve,
    )
    .await
    {
        Ok(ctx) => ctx,
        Err(code) => return code,
    };
    tgfleet_runtime::exit_code(Service::Activity, run_service(ctx).await)
}
