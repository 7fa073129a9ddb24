//! The event log: every Telegram outcome, for psql questions such as
//! "FloodWaits per account today" (view `flood_waits_today`).

use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use tgfleet_domain::{AccountId, GroupId};

/// One Telegram outcome to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// When it happened (the caller's clock).
    pub at: DateTime<Utc>,
    /// Which service, e.g. `account-manager`.
    pub service: String,
    /// The account that acted, if any.
    pub account_id: Option<AccountId>,
    /// The group acted on, if any.
    pub group_id: Option<GroupId>,
    /// What was attempted, e.g. `join`, `post`, `review`.
    pub action: String,
    /// How it ended, e.g. `ok`, `flood_wait` (the views count this one), `banned`.
    pub outcome: String,
    /// The FloodWait or slow-mode seconds Telegram asked for, if any.
    pub flood_wait_secs: Option<u32>,
    /// Anything else worth keeping (an RPC error name); never secrets.
    pub detail: Option<String>,
}

impl Store {
    /// Appends an event. Takes no lock; `events` is append-only.
    pub async fn record_event(&self, event: &NewEvent) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        record_event(&mut conn, event).await
    }
}

/// Appends an event on the caller's connection, so it commits with the caller's
/// transaction (e.g. after [`crate::check_lease`]). Takes no lock.
pub async fn record_event(conn: &mut PgConnection, event: &NewEvent) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO events (at, service, account_id, group_id, action, outcome, flood_wait_secs, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(event.at)
    .bind(&event.service)
    .bind(event.account_id.map(|id| id.0))
    .bind(event.group_id.map(|id| id.0))
    .bind(&event.action)
    .bind(&event.outcome)
    .bind(event.flood_wait_secs.map(i64::from))
    .bind(&event.detail)
    .execute(conn)
    .await?;
    Ok(())
}
