//! The `group-reviewer` binary: audits every group once (for cron) or on its
//! built-in schedule. See [`tgfleet_group_reviewer`]; production wiring from
//! [`tgfleet_cli::wiring`].
//!
//! Exit codes: 0 the review ran (whatever it found); 1 the database failed midway;
//! 2 the environment is not ready (configuration, database, migrations); 3 no usable account.

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use tgfleet_cli::commands::run::run_service;
use tgfleet_config::Service;
use tgfleet_group_reviewer::{Progress, TerminalProgress, review_once};
use tgfleet_runtime::Telemetry;
use tracing::Instrument as _;

/// Audits every group through its responsible account: member? can post? banned? inaccessible?
#[derive(Debug, Parser)]
#[command(name = "group-reviewer", version)]
struct Args {
    /// Configuration file (TOML); environment variables override it.
    #[arg(long, env = "TGFLEET_CONFIG")]
    config: Option<PathBuf>,
    /// Review once and exit (what cron runs), even when `reviewer.enabled_schedule` is set.
    #[arg(long)]
    once: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let telemetry = if args.once {
        Telemetry::Off
    } else {
        Telemetry::Serve
    };
    let ctx =
        match tgfleet_cli::wiring::start(Service::GroupReviewer, args.config.as_deref(), telemetry)
            .await
        {
            Ok(ctx) => ctx,
            Err(code) => return code,
        };
    if !args.once && ctx.settings.reviewer.enabled_schedule {
        return tgfleet_runtime::exit_code(Service::GroupReviewer, run_service(ctx).await);
    }
    let progress = TerminalProgress::if_terminal();
    let span = tracing::info_span!("service", service = Service::GroupReviewer.name());
    let reviewed = review_once(&ctx, progress.as_ref().map(|bar| bar as &dyn Progress))
        .instrument(span)
        .await;
    match reviewed {
        Ok(summary) => {
            print!("{summary}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("group-reviewer: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
