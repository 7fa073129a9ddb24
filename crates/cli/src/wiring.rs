//! Production wiring: the grammers connector built from the settings (sessions in
//! Postgres, every connect and call bounded by the configured timeouts), and the
//! service contexts that `tgfleet run` and the service binaries start with.
//!
//! It lives in the CLI, the one crate that knows every service and adapter, so that
//! the runtime and the services never depend on an adapter: they receive a
//! `dyn Connector`.

use anyhow::Context as _;
use clap::{CommandFactory as _, FromArgMatches as _, Parser};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tgfleet_adapter_grammers::{GrammersConfig, GrammersConnector};
use tgfleet_config::{ConfigError, Service, Settings};
use tgfleet_runtime::{ServiceContext, Telemetry, boot_settings, exit_code};
use tgfleet_store::{SessionCipher, Store};
use tgfleet_telegram::{Connector, TimedConnector};

/// The cipher sealing sessions at rest, from `sessions.encryption_key`.
pub fn session_cipher(settings: &Settings) -> Result<SessionCipher, ConfigError> {
    SessionCipher::from_base64(settings.session_key()?).map_err(|err| ConfigError::Invalid {
        key: "sessions.encryption_key".to_owned(),
        message: err.to_string(),
    })
}

/// What the production connector needs from the settings, checked before anything
/// is started (so a missing `telegram.api_id` or session key is reported as such).
#[derive(Debug)]
pub struct ProductionTelegram {
    api_id: i32,
    cipher: SessionCipher,
    connect_timeout: Duration,
    request_timeout: Duration,
    upload_timeout: Duration,
}

impl ProductionTelegram {
    /// Reads and checks `telegram.api_id`, `telegram.api_hash`,
    /// `sessions.encryption_key` and the timeouts.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let (api_id, _) = settings.telegram_credentials()?;
        Ok(Self {
            api_id,
            cipher: session_cipher(settings)?,
            connect_timeout: Duration::from_secs(settings.telegram.connect_timeout_secs),
            request_timeout: Duration::from_secs(settings.telegram.request_timeout_secs),
            upload_timeout: Duration::from_secs(settings.telegram.upload_timeout_secs),
        })
    }

    /// The connector services use against real Telegram (or tg-sim): grammers with
    /// `telegram.api_id`, sessions opened with `sessions.encryption_key`, the
    /// connection opened within `telegram.connect_timeout_secs`, and every connect and
    /// call bounded by `telegram.request_timeout_secs` ([`TimedConnector`]); a media
    /// send's upload is bounded apart by `telegram.upload_timeout_secs`. Callers
    /// hold the account's lease before connecting; the connector does not check it.
    pub fn connector(self, store: Store) -> Arc<dyn Connector> {
        let config = GrammersConfig {
            upload_timeout: self.upload_timeout,
            ..GrammersConfig::new(self.api_id, self.connect_timeout)
        };
        Arc::new(
            TimedConnector::new(
                GrammersConnector::new(store, self.cipher, config),
                self.request_timeout,
            )
            .with_upload_timeout(self.upload_timeout),
        )
    }
}

/// [`ProductionTelegram::from_settings`] then [`ProductionTelegram::connector`].
pub fn production_connector(
    settings: &Settings,
    store: Store,
) -> Result<Arc<dyn Connector>, ConfigError> {
    Ok(ProductionTelegram::from_settings(settings)?.connector(store))
}

/// Boots `service` and builds its context with the production Telegram connector
/// (every error names what to fix). The Telegram settings are checked before the
/// telemetry port is bound.
pub async fn service_context(
    service: Service,
    config: Option<&Path>,
    telemetry: Telemetry,
) -> anyhow::Result<ServiceContext> {
    let settings = Settings::load(config).context("configuration")?;
    let telegram = ProductionTelegram::from_settings(&settings).context("configuration")?;
    let booted = boot_settings(service, settings, telemetry).await?;
    Ok(ServiceContext::new(
        service,
        booted.store.clone(),
        telegram.connector(booted.store),
        booted.clock,
        booted.settings,
        booted.shutdown,
    ))
}

/// [`service_context`] for a service binary's `main`: on failure prints one line and
/// returns exit code 2 (the environment is not ready: configuration, database,
/// migrations, session key).
pub async fn start(
    service: Service,
    config: Option<&Path>,
    telemetry: Telemetry,
) -> Result<ServiceContext, ExitCode> {
    let ctx = service_context(service, config, telemetry)
        .await
        .map_err(|error| {
            eprintln!("{}: {error:#}", service.name());
            ExitCode::from(2)
        })?;
    if telemetry == Telemetry::Serve {
        tgfleet_runtime::spawn_heartbeat(
            ctx.store.clone(),
            service.name(),
            &ctx.holder,
            ctx.shutdown.clone(),
        );
    }
    Ok(ctx)
}

/// The command line of a long-running service binary.
#[derive(Debug, Parser)]
#[command(version)]
pub struct ServiceArgs {
    /// Configuration file (TOML); environment variables override it.
    #[arg(long, env = "TGFLEET_CONFIG")]
    pub config: Option<PathBuf>,
}

/// The `main` of a long-running service binary (`about` is its `--help` line): parses
/// the command line, starts `service` with the production wiring and runs it until
/// shutdown. Exit codes: 0 stopped cleanly, 1 the service failed, 2 the environment
/// is not ready.
pub async fn service_main(service: Service, about: &'static str) -> ExitCode {
    let matches = ServiceArgs::command()
        .name(service.name())
        .about(about)
        .get_matches();
    let args = ServiceArgs::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let ctx = match start(service, args.config.as_deref(), Telemetry::Serve).await {
        Ok(ctx) => ctx,
        Err(code) => return code,
    };
    exit_code(service, crate::commands::run::run_service(ctx).await)
}
