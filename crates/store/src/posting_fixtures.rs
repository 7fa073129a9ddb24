//! Rows the posting tests need before a marketer can run (feature `fixtures`): groups
//! the reviewer found open, memberships the account-manager joined, account time zones.

use crate::{Store, StoreError, StoredPeer};
use chrono::{DateTime, Utc};
use tgfleet_domain::{AccountId, GroupId};

/// Marks a group `active` and able to post, with its Telegram id, kind and title (what a
/// review finds). Locks the group row (single-row `UPDATE`).
pub async fn open_group(
    store: &Store,
    group: GroupId,
    telegram_id: i64,
    kind: &str,
    title: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE groups SET status = 'active', can_post = true, telegram_id = $2, kind = $3,
                title = $4, status_reason = NULL, updated_at = now()
          WHERE id = $1",
    )
    .bind(group.0)
    .bind(telegram_id)
    .bind(kind)
    .bind(title)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// Records that `account` joined `group` at `now` with this peer (what a join stores).
/// Relies on the primary key `(account_id, group_id)`: `INSERT .. ON CONFLICT DO UPDATE`.
pub async fn join(
    store: &Store,
    account: AccountId,
    group: GroupId,
    peer: &StoredPeer,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO memberships (account_id, group_id, state, peer_id, access_hash, peer_kind, joined_at)
         VALUES ($1, $2, 'joined', $3, $4, $5, $6)
         ON CONFLICT (account_id, group_id) DO UPDATE
            SET state = 'joined', peer_id = EXCLUDED.peer_id, access_hash = EXCLUDED.access_hash,
                peer_kind = EXCLUDED.peer_kind, joined_at = EXCLUDED.joined_at, updated_at = now()",
    )
    .bind(account.0)
    .bind(group.0)
    .bind(peer.id)
    .bind(peer.access_hash)
    .bind(&peer.kind)
    .bind(now)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// Sets an account's own time zone (an IANA name). Single-row `UPDATE`.
pub async fn set_account_time_zone(
    store: &Store,
    account: AccountId,
    zone: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE accounts SET time_zone = $2, updated_at = now() WHERE id = $1")
        .bind(account.0)
        .bind(zone)
        .execute(&store.pool)
        .await?;
    Ok(())
}
