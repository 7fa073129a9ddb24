//! The production connector, built from the settings: grammers over the sessions in
//! Postgres, every connect and call bounded by the configured timeouts.

use std::sync::Arc;
use std::time::Duration;
use tgfleet_adapter_grammers::{GrammersConfig, GrammersConnector};
use tgfleet_config::{ConfigError, Settings};
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
        })
    }

    /// The connector services use against real Telegram (or tg-sim): grammers with
    /// `telegram.api_id`, sessions opened with `sessions.encryption_key`, the
    /// connection opened within `telegram.connect_timeout_secs`, and every connect and
    /// call bounded by `telegram.request_timeout_secs` ([`TimedConnector`]). Callers
    /// hold the account's lease before connecting; the connector does not check it.
    pub fn connector(self, store: Store) -> Arc<dyn Connector> {
        let config = GrammersConfig::new(self.api_id, self.connect_timeout);
        Arc::new(TimedConnector::new(
            GrammersConnector::new(store, self.cipher, config),
            self.request_timeout,
        ))
    }
}

/// [`ProductionTelegram::from_settings`] then [`ProductionTelegram::connector`].
pub fn production_connector(
    settings: &Settings,
    store: Store,
) -> Result<Arc<dyn Connector>, ConfigError> {
    Ok(ProductionTelegram::from_settings(settings)?.connector(store))
}
