//! The `activity` binary: keeps the fleet's accounts alive. See [`tgfleet_activity`];
//! production wiring from [`tgfleet_cli::wiring`].

use std::process::ExitCode;
use tgfleet_config::Service;

#[tokio::main]
async fn main() -> ExitCode {
    tgfleet_cli::wiring::service_main(
        Service::Activity,
        "Keeps accounts looking alive: reads chats, views stories, rare reactions (off by default).",
    )
    .await
}
