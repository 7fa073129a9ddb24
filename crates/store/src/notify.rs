//! Wake-ups: triggers `NOTIFY tgfleet_changes, '<table>'` when accounts, groups,
//! memberships, campaigns or message variants change, so services react at once
//! instead of polling.

use crate::{Store, StoreError};
use sqlx::postgres::{PgListener, PgPoolOptions};
use std::time::Duration;

/// The channel the schema's triggers notify.
pub const CHANGES_CHANNEL: &str = "tgfleet_changes";

/// The channel new events are announced on (payload: the largest new event id); only
/// the console listens to it.
pub const EVENTS_CHANNEL: &str = "tgfleet_events";

/// A dedicated connection listening on [`CHANGES_CHANNEL`].
#[derive(Debug)]
pub struct ChangeListener {
    listener: PgListener,
}

impl Store {
    /// Opens a listening connection (outside the pool's limit). Takes no lock.
    ///
    /// The connection comes from a one-connection pool of its own, without the
    /// store pool's hooks or timers: a listener keeps its connection for life, and
    /// under [`Store::for_paused_time`] a checked-out store connection stops tokio's
    /// clock. A store connection is held only while the listener connects, so that
    /// connecting takes no virtual time either. A lost connection is re-opened on the
    /// next `recv`, waiting as long as the server stays away (no acquire timeout that
    /// paused time could fire early).
    pub async fn listen_changes(&self) -> Result<ChangeListener, StoreError> {
        self.listen_on(CHANGES_CHANNEL).await
    }

    /// Like [`Store::listen_changes`], on [`EVENTS_CHANNEL`]: `recv` returns the
    /// largest id of the events just inserted. Takes no lock.
    pub async fn listen_events(&self) -> Result<ChangeListener, StoreError> {
        self.listen_on(EVENTS_CHANNEL).await
    }

    async fn listen_on(&self, channel: &str) -> Result<ChangeListener, StoreError> {
        let hold = self.pool.acquire().await?;
        let own = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(365 * 24 * 3600))
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_lazy_with((*self.pool.connect_options()).clone());
        let mut listener = PgListener::connect_with(&own).await?;
        listener.listen(channel).await?;
        drop(hold);
        Ok(ChangeListener { listener })
    }
}

impl ChangeListener {
    /// Waits for the next change and returns its payload: the name of the table that
    /// changed ([`CHANGES_CHANNEL`]) or the largest new event id ([`EVENTS_CHANNEL`]).
    /// Reconnects by itself after a lost connection (changes during the gap are
    /// missed, so callers also re-read on a timer).
    pub async fn recv(&mut self) -> Result<String, StoreError> {
        let notification = self.listener.recv().await?;
        Ok(notification.payload().to_owned())
    }
}
