//! Heartbeats: each long-running replica records service, holder, version, host,
//! start and last seen in Postgres every [`BEAT_EVERY`], so the console shows every
//! replica on every machine with its history. Wall-clock time (liveness is real).

use crate::Shutdown;
use chrono::Utc;
use std::time::Duration;
use tgfleet_store::{Beat, Store};
use tokio::task::JoinHandle;

/// How often a replica beats.
pub const BEAT_EVERY: Duration = Duration::from_secs(30);

/// Beats for `holder` of `service` until `shutdown`, then records the stop. A failed
/// beat is logged at debug level and retried at the next one.
pub fn spawn_heartbeat(
    store: Store,
    service: &str,
    holder: &str,
    shutdown: Shutdown,
) -> JoinHandle<()> {
    let service = service.to_owned();
    let holder = holder.to_owned();
    let host = crate::context::host_name();
    let started_at = Utc::now();
    tokio::spawn(async move {
        let beat = Beat {
            service: &service,
            holder: &holder,
            version: env!("CARGO_PKG_VERSION"),
            host: &host,
            started_at,
        };
        loop {
            if let Err(error) = store.record_beat(&beat, Utc::now()).await {
                tracing::debug!(%error, "heartbeat not recorded");
            }
            tokio::select! {
                () = tokio::time::sleep(BEAT_EVERY) => {}
                () = shutdown.cancelled() => break,
            }
        }
        if let Err(error) = store.record_stop(&holder, Utc::now()).await {
            tracing::debug!(%error, "heartbeat stop not recorded");
        }
    })
}
