//! Start-up shared by every long-running binary: settings, logging, the store,
//! `/health` and `/metrics`, and the shutdown signal. `main.rs` files stay thin.

use crate::health::{CachedHealth, FleetHealth, spawn_account_gauges};
use crate::telemetry::{LogFormat, init_logging, serve_telemetry};
use crate::{ServiceClock, Shutdown, shutdown_on_signals};
use anyhow::Context as _;
use secrecy::ExposeSecret as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// How often `/health`'s report is refreshed in the background.
const HEALTH_EVERY: Duration = Duration::from_secs(1);
use tgfleet_config::{Service, Settings};
use tgfleet_store::Store;

/// What a service binary has once it has started.
#[derive(Debug)]
pub struct Boot {
    /// Which service booted.
    pub service: Service,
    /// The validated settings.
    pub settings: Arc<Settings>,
    /// The migrated database.
    pub store: Store,
    /// The service clock.
    pub clock: ServiceClock,
    /// Cancelled on Ctrl-C / SIGTERM.
    pub shutdown: Shutdown,
    /// Where `/health` and `/metrics` listen, when enabled.
    pub telemetry: Option<SocketAddr>,
}

/// Loads settings (defaults < `config` file < environment), installs logging,
/// connects to the migrated database, serves `/health` and `/metrics` on the
/// service's port and arms the shutdown signal. Every error names what to fix.
pub async fn boot(service: Service, config: Option<&Path>) -> anyhow::Result<Boot> {
    boot_as(service, config, Telemetry::Serve).await
}

/// Whether a process serves `/health` and `/metrics`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Telemetry {
    /// A long-running service: serve them on the service's port.
    Serve,
    /// A one-shot command (e.g. `group-reviewer --once` from cron): serve nothing,
    /// so it never competes for the port of a running service.
    Off,
}

/// [`boot`], choosing whether to serve `/health` and `/metrics`.
pub async fn boot_as(
    service: Service,
    config: Option<&Path>,
    telemetry: Telemetry,
) -> anyhow::Result<Boot> {
    let settings = Settings::load(config).context("configuration")?;
    boot_settings(service, settings, telemetry).await
}

/// [`boot_as`] with settings already loaded (the CLI's production wiring loads them
/// first, to check the Telegram settings before binding the telemetry port).
pub async fn boot_settings(
    service: Service,
    settings: Settings,
    telemetry: Telemetry,
) -> anyhow::Result<Boot> {
    init_logging(match settings.telemetry.log_format {
        tgfleet_config::LogFormat::Text => LogFormat::Text,
        tgfleet_config::LogFormat::Json => LogFormat::Json,
    });
    let store = Store::connect_migrated(
        settings.database.url.expose_secret(),
        settings.database.max_connections,
    )
    .await
    .context("database")?;
    let clock = service_clock(&settings.clock);
    let shutdown = shutdown_on_signals();
    let port = match telemetry {
        Telemetry::Serve => settings.telemetry.health_port(service),
        Telemetry::Off => None,
    };
    let telemetry = match port {
        Some(port) => {
            let addr: SocketAddr = format!("{}:{port}", settings.telemetry.health_address)
                .parse()
                .with_context(|| {
                    format!(
                        "telemetry.health_address: {:?} is not an IP address",
                        settings.telemetry.health_address
                    )
                })?;
            // A connection of its own, checked in the background: /health answers from
            // memory at once however busy the pool, the database or the runtime is.
            let checked = Arc::new(FleetHealth::new(store.dedicated(1), clock.clone()));
            let health =
                Arc::new(CachedHealth::start(checked, HEALTH_EVERY, shutdown.clone()).await);
            let bound = serve_telemetry(addr, health, shutdown.clone())
                .with_context(|| format!("telemetry: cannot listen on {addr}"))?;
            spawn_account_gauges(store.clone(), Duration::from_secs(15), shutdown.clone());
            tracing::info!(
                service = service.name(),
                "Health and metrics on http://{bound}/health and /metrics"
            );
            Some(bound)
        }
        None => None,
    };
    Ok(Boot {
        service,
        settings: Arc::new(settings),
        store,
        clock,
        shutdown,
        telemetry,
    })
}

/// The configured clock, logged when scaled (every time in the logs is then simulated).
fn service_clock(settings: &tgfleet_config::ClockSettings) -> ServiceClock {
    let clock = ServiceClock::configured(settings);
    if let ServiceClock::Scaled { origin, scale } = &clock {
        tracing::info!(
            scale,
            %origin,
            "Clock scaled: {scale} simulated seconds per second since {origin}"
        );
    }
    clock
}

/// Turns a service's result into its exit code: 0, or 1 with the whole error
/// chain on one line of stderr (no backtrace, no secret: errors never carry them).
pub fn exit_code(service: Service, result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}: {error:#}", service.name());
            ExitCode::FAILURE
        }
    }
}
