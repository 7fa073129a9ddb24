//! The `marketer` binary: posts campaigns after a write-permission pre-check. See
//! [`tgfleet_marketer`]; production wiring from [`tgfleet_cli::wiring`].

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use tgfleet_cli::commands::run::run_service;
use tgfleet_config::Service;
use tgfleet_runtime::Telemetry;

/// Posts campaign messages where posting is allowed, inside windows, caps and gaps.
#[derive(Debug, Parser)]
#[command(name = "marketer", version)]
struct Args {
    /// Configuration file (TOML); environment variables override it.
    #[arg(long, env = "TGFLEET_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let ctx = match tgfleet_cli::wiring::start(
        Service::Marketer,
        args.config.as_deref(),
        Telemetry::Serve,
    )
    .await
    {
        Ok(ctx) => ctx,
        Err(code) => return code,
    };
    tgfleet_runtime::exit_code(Service::Marketer, run_service(ctx).await)
}
