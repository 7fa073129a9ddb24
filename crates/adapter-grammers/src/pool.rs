//! One account's grammers sender pool: built with tgfleet's connection parameters,
//! its runner spawned as a task whose panic stays with that account, its updates
//! never consumed.

use grammers_client::Client;
use grammers_mtsender::{ConnectionParams, NoRetries, SenderPool, SenderPoolHandle};
use grammers_session::Session;
use std::any::Any;
use std::sync::{Arc, OnceLock};
use tgfleet_store::DeviceParams;
use tokio::task::JoinHandle;

/// How a pool's connections are made.
#[derive(Clone, Debug, Default)]
pub(crate) struct PoolOptions {
    /// `socks5://[user:pass@]host:port`, or none for a direct connection.
    pub proxy_url: Option<String>,
    /// Connect over IPv6 (the home address is IPv6).
    pub use_ipv6: bool,
    /// The account's device (imported, completed or generated; see `crate::device`),
    /// sent in `initConnection` (its `api_id` too, when it has one).
    pub device: Option<DeviceParams>,
}

/// What became of a pool's runner task.
#[derive(Debug, Default)]
pub(crate) struct RunnerHealth {
    panic: OnceLock<String>,
}

impl RunnerHealth {
    /// The panic message, if the runner panicked.
    pub fn panic(&self) -> Option<&str> {
        self.panic.get().map(String::as_str)
    }
}

/// A started pool: the client to call through, the runner's health, and the means
/// to stop it.
pub(crate) struct StartedPool {
    pub client: Client,
    pub health: Arc<RunnerHealth>,
    handle: SenderPoolHandle,
    supervisor: JoinHandle<()>,
}

impl std::fmt::Debug for StartedPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartedPool")
            .field("health", &self.health)
            .finish_non_exhaustive()
    }
}

impl StartedPool {
    /// Starts a pool over `session`, introducing itself with the imported device's
    /// parameters where it has them. grammers' automatic sleep on FloodWait is off
    /// (`NoRetries`): waits come back as errors. The updates receiver is dropped at
    /// once, so updates are neither buffered nor caught up. The runner runs in its
    /// own task; a panic in it is logged once (with `label`) and recorded in
    /// [`RunnerHealth`], and calls then fail instead of the process going down.
    pub fn start<S>(session: Arc<S>, api_id: i32, options: PoolOptions, label: &str) -> Self
    where
        S: Session + Sized,
        S::Error: std::error::Error + Send + Sync + 'static,
    {
        let defaults = ConnectionParams::default();
        let device = options.device.unwrap_or_default();
        let pool = SenderPool::with_configuration(
            session,
            device.api_id.unwrap_or(api_id),
            ConnectionParams {
                retry_policy: Box::new(NoRetries),
                proxy_url: options.proxy_url,
                use_ipv6: options.use_ipv6,
                device_model: device.device_model.unwrap_or_else(|| "tgfleet".to_owned()),
                system_version: device.system_version.unwrap_or(defaults.system_version),
                app_version: device
                    .app_version
                    .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned()),
                system_lang_code: device.system_lang_code.unwrap_or(defaults.system_lang_code),
                lang_code: device.lang_code.unwrap_or(defaults.lang_code),
                ..ConnectionParams::default()
            },
        );
        drop(pool.updates);
        let handle = pool.handle.thin.clone();
        let health = Arc::new(RunnerHealth::default());
        let runner = tokio::spawn(pool.runner.run());
        let supervisor = tokio::spawn(supervise(runner, Arc::clone(&health), label.to_owned()));
        Self {
            client: Client::new(pool.handle),
            health,
            handle,
            supervisor,
        }
    }

    /// Asks the runner to close its connections and stop, and waits for it.
    pub async fn quit(self) {
        self.handle.quit();
        if let Err(err) = self.supervisor.await {
            tracing::warn!(%err, "the pool supervisor ended abnormally");
        }
    }
}

async fn supervise(runner: JoinHandle<()>, health: Arc<RunnerHealth>, label: String) {
    match runner.await {
        Ok(()) => {}
        Err(err) if err.is_panic() => {
            let message = panic_message(err.into_panic());
            tracing::error!(
                account = %label,
                panic = %message,
                "the connection runner panicked; this account's calls fail until it reconnects"
            );
            let _ = health.panic.set(message);
        }
        Err(err) => tracing::debug!(account = %label, %err, "the connection runner was cancelled"),
    }
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload.downcast_ref::<&str>().map_or_else(
            || "unknown panic".to_owned(),
            |message| (*message).to_owned(),
        ),
    }
}
