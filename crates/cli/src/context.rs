//! What every command starts from: the validated settings and, on demand, the store.

use crate::CliError;
use secrecy::ExposeSecret;
use std::path::Path;
use std::time::Duration;
use tgfleet_config::Settings;
use tgfleet_runtime::ServiceClock;
use tgfleet_store::Store;

/// The loaded settings of one CLI invocation.
#[derive(Debug)]
pub struct Context {
    /// Validated settings.
    pub settings: Settings,
}

impl Context {
    /// Loads and validates the settings (defaults < `config_file` < environment).
    pub fn load(config_file: Option<&Path>) -> Result<Self, CliError> {
        Ok(Self {
            settings: Settings::load(config_file)?,
        })
    }

    /// The configured clock (`[clock]`), the services' time: every time a command
    /// records (a campaign's start, a login, a check) is read from it.
    pub fn clock(&self) -> ServiceClock {
        ServiceClock::configured(&self.settings.clock)
    }

    /// Connects without checking the schema (for `migrate`).
    pub async fn connect(&self) -> Result<Store, CliError> {
        let database = &self.settings.database;
        Ok(Store::connect_with_timeout(
            database.url.expose_secret(),
            database.max_connections,
            Duration::from_secs(database.connect_timeout_secs),
        )
        .await?)
    }

    /// Connects and insists the schema is up to date (every other command).
    pub async fn store(&self) -> Result<Store, CliError> {
        let store = self.connect().await?;
        store.ensure_migrated().await?;
        Ok(store)
    }

    /// Formats an instant in the configured time zone, for operators.
    pub fn local_time(&self, instant: chrono::DateTime<chrono::Utc>) -> String {
        self.settings
            .schedule
            .time_zone
            .local(instant)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    }
}
