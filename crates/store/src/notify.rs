//! Wake-ups: triggers `NOTIFY tgfleet_changes, '<table>'` when accounts, groups,
//! memberships, campaigns or message variants change, so services react at once
//! instead of polling.

use crate::{Store, StoreError};
use sqlx::postgres::{PgListener, PgPoolOptions};
use std::time::Duration;

/// The channel the schema's triggers notify.
pub const CHANGES_CHANNEL: &str = "tgfleet_changes";

/// A dedicated connection listening on [`CHANGES_CHANNEL`].
#[derive(Debug)]
pub struct ChangeListener {
    listener: PgListener,
}

impl Store {
    /// Opens a listening connection (outside the pool's limit). Takes no lock.
    ///
    /// The connection comes from a pool of its own (one connection, no timers), so a
    /// listener never holds one of the store's connections: under
    /// [`Store::for_paused_time`] a checked-out connection stops tokio's clock, and a
    /// listener lives as long as its service. A store connection is held only while
    /// the listener connects, so that connecting takes no virtual time either.
    pub async fn listen_changes(&self) -> Result<ChangeListener, StoreError> {
        let hold = self.pool.acquire().await?;
        let own = PgPoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_secs(30))
            .connect_lazy_with((*self.pool.connect_options()).clone());
        let mut listener = PgListener::connect_with(&own).await?;
        listener.listen(CHANGES_CHANNEL).await?;
        drop(hold);
        Ok(ChangeListener { listener })
    }
}

impl ChangeListener {
    /// Waits for the next change and returns the name of the table that changed.
    /// Reconnects by itself after a lost connection (changes during the gap are
    /// missed, so callers also re-read on a timer).
    pub async fn recv(&mut self) -> Result<String, StoreError> {
        let notification = self.listener.recv().await?;
        Ok(notification.payload().to_owned())
    }
}
