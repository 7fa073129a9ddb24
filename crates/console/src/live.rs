//! The live event signal: one LISTEN connection on `tgfleet_events` per console,
//! turned into a broadcast of "events up to id N exist". Server-Sent Events streams
//! read the new rows from the store on each signal (and every few seconds, in case a
//! notification was lost while the listener reconnected).

use std::time::Duration;
use tgfleet_store::Store;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// The signal's sending side, shared by every stream.
#[derive(Clone, Debug)]
pub struct LiveEvents {
    sender: broadcast::Sender<i64>,
}

impl Default for LiveEvents {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(64).0,
        }
    }
}

impl LiveEvents {
    /// Listens until `shutdown`, re-opening a lost listener after a second.
    pub fn spawn(&self, store: Store, shutdown: CancellationToken) {
        let sender = self.sender.clone();
        tokio::spawn(async move {
            while !shutdown.is_cancelled() {
                let mut listener = match store.listen_events().await {
                    Ok(listener) => listener,
                    Err(error) => {
                        tracing::warn!(%error, "console: cannot LISTEN for events; retrying");
                        tokio::select! {
                            () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                            () = shutdown.cancelled() => break,
                        }
                    }
                };
                loop {
                    tokio::select! {
                        received = listener.recv() => match received {
                            Ok(payload) => {
                                let _ = sender.send(payload.parse().unwrap_or(0));
                            }
                            Err(error) => {
                                tracing::warn!(%error, "console: event listener lost");
                                break;
                            }
                        },
                        () = shutdown.cancelled() => return,
                    }
                }
            }
        });
    }

    /// A receiver of new-event signals.
    pub fn subscribe(&self) -> broadcast::Receiver<i64> {
        self.sender.subscribe()
    }
}
