//! Wake-ups by LISTEN/NOTIFY: groups or accounts added through the CLI reach a
//! running replica at once (assignment, then the next slot plans them), and a slot
//! planned by another replica wakes this one's executor.

use crate::manager::Manager;
use std::sync::Arc;
use std::time::Duration;

/// How long to wait before listening again after the listener failed.
const RELISTEN: Duration = Duration::from_secs(30);

/// Listens until shutdown.
pub(crate) async fn listen(manager: Arc<Manager>) -> anyhow::Result<()> {
    let ctx = &manager.ctx;
    loop {
        let mut listener = match ctx.store.listen_changes().await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "cannot LISTEN for changes; plans are re-read every few minutes meanwhile");
                tokio::select! {
                    () = ctx.shutdown.cancelled() => return Ok(()),
                    () = ctx.clock.sleep(RELISTEN) => continue,
                }
            }
        };
        loop {
            let change = tokio::select! {
                () = ctx.shutdown.cancelled() => return Ok(()),
                change = listener.recv() => change,
            };
            match change {
                Ok(table) => on_change(&manager, &table),
                Err(error) => {
                    tracing::warn!(%error, "the change listener failed; listening again");
                    break;
                }
            }
        }
    }
}

fn on_change(manager: &Manager, table: &str) {
    match table {
        "groups" | "accounts" => {
            tracing::debug!(table, "change noticed; assigning");
            manager.request_assignment();
        }
        "memberships" | "join_plans" => manager.wake.notify_one(),
        _ => {}
    }
}
