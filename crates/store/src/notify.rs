//! Wake-ups: triggers `NOTIFY tgfleet_changes, '<table>'` when accounts, groups,
//! memberships, campaigns or message variants change, so services react at once
//! instead of polling.

use crate::{Store, StoreError};
use sqlx::postgres::PgListener;

/// The channel the schema's triggers notify.
pub const CHANGES_CHANNEL: &str = "tgfleet_changes";

/// A dedicated connection listening on [`CHANGES_CHANNEL`].
#[derive(Debug)]
pub struct ChangeListener {
    listener: PgListener,
}

impl Store {
    /// Opens a listening connection (outside the pool's limit). Takes no lock.
    pub async fn listen_changes(&self) -> Result<ChangeListener, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANGES_CHANNEL).await?;
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
