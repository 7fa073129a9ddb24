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

/// The connector services use against real Telegram (or tg-sim): grammers with
/// `telegram.api_id`, sessions opened with `sessions.encryption_key`, the connection
/// opened within `telegram.connect_timeout_secs`, and every connect and call bounded
/// by `telegram.request_timeout_secs` ([`TimedConnector`]). Callers hold the
/// account's lease before connecting; the connector does not check it.
pub fn production_connector(
    settings: &Settings,
    store: Store,
) -> Result<Arc<dyn Connector>, ConfigError> {
    let (api_id, _) = settings.telegram_credentials()?;
    let cipher = session_cipher(settings)?;
    let telegram = &settings.telegram;
    let config = GrammersConfig::new(api_id, Duration::from_secs(telegram.connect_timeout_secs));
    Ok(Arc::new(TimedConnector::new(
        GrammersConnector::new(store, cipher, config),
        Duration::from_secs(telegram.request_timeout_secs),
    )))
}
