//! The `account-manager` binary: joins assigned groups in timed slots. See
//! [`tgfleet_account_manager`]; production wiring from [`tgfleet_cli::wiring`].

use std::process::ExitCode;
use tgfleet_config::Service;

#[tokio::main]
async fn main() -> ExitCode {
    tgfleet_cli::wiring::service_main(
        Service::AccountManager,
        "Joins each account's assigned groups in cron slots, a few per slot, with random pauses.",
    )
    .await
}
