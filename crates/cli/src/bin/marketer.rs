//! The `marketer` binary: posts campaigns after a write-permission pre-check. See
//! [`tgfleet_marketer`]; production wiring from [`tgfleet_cli::wiring`].

use std::process::ExitCode;
use tgfleet_config::Service;

#[tokio::main]
async fn main() -> ExitCode {
    tgfleet_cli::wiring::service_main(
        Service::Marketer,
        "Posts campaign messages where posting is allowed, inside windows, caps and gaps.",
    )
    .await
}
