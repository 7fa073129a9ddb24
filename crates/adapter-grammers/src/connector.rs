//! The production [`Connector`]: an account's session from Postgres, its proxy, one
//! grammers sender pool per connection.

use crate::account::{GrammersAccount, ReconnectBackoff};
use crate::error::map_invocation_error;
use crate::pool::{PoolOptions, StartedPool};
use crate::session::PgSession;
use async_trait::async_trait;
use grammers_tl_types as tl;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;
use tgfleet_store::{SessionCipher, Store};
use tgfleet_telegram::{
    About, AccountAnswer, AccountRef, Connector, TelegramAccount, TgError, TgResult,
};

/// The upload bound when none is configured (`telegram.upload_timeout_secs`'s default).
pub const DEFAULT_UPLOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// How [`GrammersConnector`] connects.
#[derive(Clone, Debug)]
pub struct GrammersConfig {
    /// `telegram.api_id`, sent in `initConnection`.
    pub api_id: i32,
    /// Bound on opening the connection (`telegram.connect_timeout_secs`).
    pub connect_timeout: Duration,
    /// Pauses before the one retry of a call whose connection died.
    pub reconnect: ReconnectBackoff,
    /// Bound on uploading a file's parts before a media send
    /// (`telegram.upload_timeout_secs`); the final send has its own bound.
    pub upload_timeout: Duration,
    /// Makes the device picked for an account without one a function of this seed and
    /// the account (tests); `None` draws from the operating system's entropy.
    pub device_seed: Option<u64>,
}

impl GrammersConfig {
    /// A configuration with the given `api_id` and connect timeout, the default
    /// reconnect backoff and upload bound ([`DEFAULT_UPLOAD_TIMEOUT`]), and devices
    /// picked from the operating system's entropy.
    pub fn new(api_id: i32, connect_timeout: Duration) -> Self {
        Self {
            api_id,
            connect_timeout,
            reconnect: ReconnectBackoff::default(),
            upload_timeout: DEFAULT_UPLOAD_TIMEOUT,
            device_seed: None,
        }
    }
}

/// Opens accounts' connections through grammers, with their sessions from Postgres.
///
/// Callers must hold the account's lease (invariant 1): the connector never checks
/// leases; `tgfleet_runtime`'s account runner acquires the lease before connecting.
/// Wrap it in [`tgfleet_telegram::TimedConnector`] so every call is bounded.
#[derive(Clone, Debug)]
pub struct GrammersConnector {
    store: Store,
    cipher: SessionCipher,
    config: GrammersConfig,
}

impl GrammersConnector {
    /// A connector reading sessions (sealed with `cipher`) and proxies from `store`.
    pub fn new(store: Store, cipher: SessionCipher, config: GrammersConfig) -> Self {
        Self {
            store,
            cipher,
            config,
        }
    }
}

/// Checks a proxy URL is `socks5://[user:pass@]host:port`; the error never quotes it
/// (it may hold a password).
pub fn check_proxy_url(proxy: &SecretString) -> Result<(), String> {
    let url = proxy.expose_secret();
    let Some(rest) = url.strip_prefix("socks5://") else {
        return Err("the proxy must be a socks5:// URL".to_owned());
    };
    let host_port = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    match host_port.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(()),
        _ => Err("the proxy URL needs a host and a port".to_owned()),
    }
}

#[async_trait]
impl Connector for GrammersConnector {
    /// Loads the session (none: `Unauthorized("no session")`) and its device
    /// parameters (picked and stored now when it has none), starts the pool through the account's proxy, and opens the connection (a ping) within the
    /// connect timeout, so that a dead address fails here rather than in the first call.
    async fn connect(&self, account: &AccountRef) -> TgResult<Box<dyn TelegramAccount>> {
        let store_error = |err: tgfleet_store::StoreError| TgError::transient(err.to_string());
        let row = self
            .store
            .account_by_id(account.id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| {
                TgError::unexpected(format!("account {} does not exist", account.label))
            })?;
        let session = PgSession::load(&self.store, &self.cipher, account.id)
            .await
            .map_err(|err| match err {
                tgfleet_store::StoreError::Database(_) => store_error(err),
                other => TgError::unexpected(other.to_string()),
            })?
            .ok_or_else(|| {
                TgError::new(About::Account(AccountAnswer::Unauthorized), "no session")
            })?;
        if let Some(proxy) = &row.proxy {
            check_proxy_url(proxy).map_err(|reason| {
                TgError::unexpected(format!("account {}: {reason}", account.label))
            })?;
        }
        let device =
            crate::device::account_device(&self.store, account.id, self.config.device_seed)
                .await
                .map_err(store_error)?;
        let options = PoolOptions {
            proxy_url: row.proxy.as_ref().map(|p| p.expose_secret().to_owned()),
            use_ipv6: session.uses_ipv6(),
            device,
        };
        let pool = StartedPool::start(
            Arc::new(session),
            self.config.api_id,
            options,
            &account.label,
        );
        let connected = self.open(&pool, &account.label).await;
        if let Err(error) = connected {
            pool.quit().await;
            return Err(error);
        }
        Ok(Box::new(
            GrammersAccount::new(&account.label, pool, self.config.reconnect)
                .with_upload_timeout(self.config.upload_timeout),
        ))
    }
}

impl GrammersConnector {
    async fn open(&self, pool: &StartedPool, label: &str) -> TgResult<()> {
        let ping = tl::functions::Ping {
            ping_id: crate::send::random_id(),
        };
        match tokio::time::timeout(self.config.connect_timeout, pool.client.invoke(&ping)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(pool
                .health
                .panic()
                .map(|panic| TgError::transient(format!("the connection runner panicked: {panic}")))
                .unwrap_or_else(|| map_invocation_error(&error))),
            Err(_) => Err(TgError::transient(format!(
                "connecting {label} timed out after {}s",
                self.config.connect_timeout.as_secs_f32()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_are_checked_without_being_quoted() {
        let ok = |url: &str| check_proxy_url(&SecretString::from(url.to_owned()));
        assert_eq!(ok("socks5://127.0.0.1:1080"), Ok(()));
        assert_eq!(ok("socks5://user:s3cret@proxy.example:9050"), Ok(()));
        let error = ok("http://user:s3cret@proxy.example:8080").unwrap_err();
        assert!(!error.contains("s3cret"), "{error}");
        assert!(ok("socks5://user:s3cret@proxy.example").is_err());
    }
}
