//! Transactions that Postgres aborted to break a deadlock (`40P01`) or a
//! serialization conflict (`40001`) changed nothing: they are run again.

use crate::{Store, StoreError};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Runs of one transaction before its conflict is returned to the caller.
const ATTEMPTS: u32 = 8;
/// The pause before the second run; doubled before each later one.
const FIRST_PAUSE: Duration = Duration::from_millis(5);

impl StoreError {
    /// Whether Postgres aborted the transaction to resolve a deadlock or a
    /// serialization conflict (it wrote nothing; running it again is safe).
    pub fn is_conflict_abort(&self) -> bool {
        match self {
            Self::Database(sqlx::Error::Database(db)) => {
                matches!(db.code().as_deref(), Some("40P01" | "40001"))
            }
            _ => false,
        }
    }
}

/// Decides whether a transaction that failed runs again: after a conflict abort,
/// up to [`ATTEMPTS`] runs in all, with a short pause that doubles each time.
/// The transaction must begin and commit by itself, so that an aborted run leaves
/// nothing behind:
///
/// ```ignore
/// let mut retry = ConflictRetry::new(self, "planning the slot");
/// loop {
///     match self.plan_slot_once(tick, limit).await {
///         Err(error) if retry.again(&error).await => {}
///         outcome => return outcome,
///     }
/// }
/// ```
pub(crate) struct ConflictRetry<'a> {
    store: &'a Store,
    what: &'static str,
    attempt: u32,
    pause: Duration,
}

impl<'a> ConflictRetry<'a> {
    pub(crate) fn new(store: &'a Store, what: &'static str) -> Self {
        Self {
            store,
            what,
            attempt: 1,
            pause: FIRST_PAUSE,
        }
    }

    /// Whether to run the transaction again after `error` (having paused).
    pub(crate) async fn again(&mut self, error: &StoreError) -> bool {
        if !error.is_conflict_abort() || self.attempt >= ATTEMPTS {
            return false;
        }
        self.store.conflicts.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(%error, attempt = self.attempt, "{}: aborted by a conflict; running it again", self.what);
        tokio::time::sleep(self.pause).await;
        self.pause *= 2;
        self.attempt += 1;
        true
    }
}
