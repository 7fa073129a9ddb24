//! Writes made on behalf of one join, fenced by the account's lease (invariant 1).

use super::StoredPeer;
use crate::conflict::ConflictRetry;
use crate::{Lease, NewEvent, Store, StoreError, check_lease, record_event};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use tgfleet_domain::join_policy::{AccountEffect, JoinDecision, MembershipEffect};
use tgfleet_domain::{CannotPost, GroupId, GroupStatus};

/// What Telegram told about a group: the account's peer reference and the
/// group's facts (stored on `groups`: `telegram_id`, `title`, `kind`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatFacts {
    /// The peer reference for this account; its id is the group's `telegram_id`.
    pub peer: StoredPeer,
    /// The title.
    pub title: String,
    /// `supergroup`, `channel`, `gigagroup` or `basic_group`.
    pub kind: String,
}

/// One join's outcome, as [`Store::record_join`] stores it.
#[derive(Clone, Copy, Debug)]
pub struct JoinRecord<'a> {
    /// The group.
    pub group: GroupId,
    /// What the answer does (`tgfleet_domain::join_policy::decide_join`).
    pub decision: &'a JoinDecision,
    /// The group as Telegram showed it, when it did.
    pub chat: Option<&'a ChatFacts>,
    /// The error, kept in `memberships.last_error` and as the status reason of the
    /// group or account it changes (never a secret).
    pub error: Option<&'a str>,
}

impl Store {
    /// Marks that the join request for (`lease.account_id`, `group`) is about to be
    /// sent: a restart that finds `join_started_at` set checks membership instead of
    /// joining again.
    ///
    /// Locks: fenced by [`check_lease`] (`FOR SHARE` on the lease row); a single-row
    /// `UPDATE` of the pending membership.
    pub async fn mark_join_started(
        &self,
        lease: &Lease,
        group: GroupId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        check_lease(&mut tx, lease, now).await?;
        sqlx::query(
            "UPDATE memberships SET join_started_at = $3, updated_at = now()
              WHERE account_id = $1 AND group_id = $2 AND state = 'pending'",
        )
        .bind(lease.account_id.0)
        .bind(group.0)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores what a look-up found before the join (invariant 6: resolved once):
    /// the peer on the membership, the facts on the group, and the look-up's event.
    ///
    /// Locks: fenced by [`check_lease`]; single-row `UPDATE`s of the membership and
    /// the group.
    pub async fn record_resolved(
        &self,
        lease: &Lease,
        group: GroupId,
        chat: &ChatFacts,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        check_lease(&mut tx, lease, now).await?;
        store_peer(&mut tx, lease, group, &chat.peer).await?;
        store_facts(&mut tx, group, chat).await?;
        record_event(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores one join's outcome in one transaction: the membership (settled,
    /// retried in the slot, or left for a later slot; `join_started_at` cleared,
    /// `attempts` + 1), the group (facts; `active`, or `banned` / `inaccessible`
    /// for every account, or reachable but unsupported — `can_post` false with the
    /// reason: the other accounts' pending memberships of it fail), the
    /// account (next join time, FloodWait, rest, joins stopped or status; the rest
    /// of its slot dropped when the decision ends it) and the event.
    ///
    /// Locks: fenced by [`check_lease`] (`FOR SHARE` on the lease row, so no new
    /// holder can take the account before this commits); then, in the fleet's lock
    /// order, the account row (`FOR NO KEY UPDATE`, first, as [`Store::plan_slot`]
    /// takes accounts before memberships), the membership rows, the group row. A
    /// transaction Postgres aborts on a conflict is run again, so a join that
    /// happened is never left unstored for that reason.
    pub async fn record_join(
        &self,
        lease: &Lease,
        record: &JoinRecord<'_>,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut retry = ConflictRetry::new(self, "storing the join");
        loop {
            match self.record_join_once(lease, record, event, now).await {
                Err(error) if retry.again(&error).await => {}
                outcome => return outcome,
            }
        }
    }

    async fn record_join_once(
        &self,
        lease: &Lease,
        record: &JoinRecord<'_>,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let account = lease.account_id.0;
        let mut tx = self.pool.begin().await?;
        check_lease(&mut tx, lease, now).await?;
        sqlx::query("SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE")
            .bind(account)
            .execute(&mut *tx)
            .await?;
        let decision = record.decision;
        let (state, mode) = match decision.membership {
            MembershipEffect::Settled(state) => (state.as_str(), "settled"),
            MembershipEffect::RetryInSlot => ("pending", "retry"),
            MembershipEffect::LaterSlot => ("pending", "later"),
        };
        sqlx::query(
            "UPDATE memberships
                SET state = $3,
                    joined_at = CASE WHEN $3 = 'joined' THEN $4 ELSE joined_at END,
                    planned_seq = CASE WHEN $5 = 'later' THEN NULL ELSE planned_seq END,
                    join_transient_failures = join_transient_failures + CASE WHEN $5 = 'retry' THEN 1 ELSE 0 END,
                    join_started_at = NULL,
                    attempts = attempts + 1,
                    last_error = $6,
                    updated_at = now()
              WHERE account_id = $1 AND group_id = $2",
        )
        .bind(account)
        .bind(record.group.0)
        .bind(state)
        .bind(now)
        .bind(mode)
        .bind(record.error)
        .execute(&mut *tx)
        .await?;
        if let Some(chat) = record.chat {
            store_peer(&mut tx, lease, record.group, &chat.peer).await?;
            store_facts(&mut tx, record.group, chat).await?;
        }
        match decision.group {
            Some(GroupStatus::Active) if decision.unsupported.is_some() => {
                let reason = decision.unsupported.map(CannotPost::as_str);
                mark_unsupported(&mut tx, account, record.group, reason).await?;
            }
            Some(GroupStatus::Active) => {
                sqlx::query(
                    "UPDATE groups
                        SET status = 'active', status_reason = NULL, updated_at = now()
                      WHERE id = $1 AND status IN ('new', 'active')",
                )
                .bind(record.group.0)
                .execute(&mut *tx)
                .await?;
            }
            Some(closed) => {
                close_group(
                    &mut tx,
                    account,
                    record.group,
                    closed.as_str(),
                    record.error,
                )
                .await?
            }
            None => {}
        }
        apply_account_effect(&mut tx, account, decision, record.error, now).await?;
        record_event(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn store_peer(
    conn: &mut PgConnection,
    lease: &Lease,
    group: GroupId,
    peer: &StoredPeer,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE memberships SET peer_id = $3, access_hash = $4, peer_kind = $5, updated_at = now()
          WHERE account_id = $1 AND group_id = $2",
    )
    .bind(lease.account_id.0)
    .bind(group.0)
    .bind(peer.id)
    .bind(peer.access_hash)
    .bind(&peer.kind)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores the group's facts (the status is left to the caller).
async fn store_facts(
    conn: &mut PgConnection,
    group: GroupId,
    chat: &ChatFacts,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE groups SET telegram_id = $2, title = $3, kind = $4, updated_at = now() WHERE id = $1",
    )
    .bind(group.0)
    .bind(chat.peer.id)
    .bind(&chat.title)
    .bind(&chat.kind)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a reachable group tgfleet does not post to (a basic group): `active` unless
/// closed already, `can_post` false with the reason, and the other accounts' pending
/// memberships of it failed with that reason, so no account joins it.
async fn mark_unsupported(
    conn: &mut PgConnection,
    account: i64,
    group: GroupId,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE groups
            SET status = CASE WHEN status = 'new' THEN 'active' ELSE status END,
                status_reason = CASE WHEN status IN ('new', 'active') THEN $2 ELSE status_reason END,
                can_post = false, updated_at = now()
          WHERE id = $1",
    )
    .bind(group.0)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    fail_other_pending(conn, account, group, reason.unwrap_or("group unsupported")).await
}

/// Fails the pending memberships of `group` held by accounts other than `account`.
async fn fail_other_pending(
    conn: &mut PgConnection,
    account: i64,
    group: GroupId,
    why: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE memberships
            SET state = 'failed', planned_seq = NULL, join_started_at = NULL,
                last_error = $3, updated_at = now()
          WHERE group_id = $1 AND account_id <> $2 AND state = 'pending'",
    )
    .bind(group.0)
    .bind(account)
    .bind(why)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a group `banned` or `inaccessible` (a ban is never downgraded) and fails
/// the other accounts' pending memberships of it (invariant 4).
async fn close_group(
    conn: &mut PgConnection,
    account: i64,
    group: GroupId,
    status: &str,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE groups
            SET status = CASE WHEN status = 'banned' THEN status ELSE $2 END,
                status_reason = CASE WHEN status = 'banned' THEN status_reason ELSE $3 END,
                can_post = false, updated_at = now()
          WHERE id = $1",
    )
    .bind(group.0)
    .bind(status)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    fail_other_pending(conn, account, group, &format!("group {status}")).await
}

async fn apply_account_effect(
    conn: &mut PgConnection,
    account: i64,
    decision: &JoinDecision,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (next_at, flood_until, rest_until, stopped) = match decision.account {
        AccountEffect::NextJoinAt(at) => (Some(at), None, None, None),
        AccountEffect::JoinFloodUntil(until) => (Some(until), Some(until), None, None),
        AccountEffect::RestUntil(until) => (Some(until), None, Some(until), None),
        AccountEffect::StopJoins => (None, None, None, Some(reason.unwrap_or("joins stopped"))),
        AccountEffect::Disable(_) | AccountEffect::EndSlot => (None, None, None, None),
    };
    sqlx::query(
        "UPDATE accounts
            SET join_next_at = COALESCE($2, join_next_at),
                join_flood_until = COALESCE($3, join_flood_until),
                joins_stopped_reason = COALESCE($4, joins_stopped_reason),
                last_activity = $5,
                updated_at = now()
          WHERE id = $1",
    )
    .bind(account)
    .bind(next_at)
    .bind(flood_until)
    .bind(stopped)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    // Status changes in their own statement: the status trigger wakes every service.
    let status = match decision.account {
        AccountEffect::RestUntil(_) => Some("resting"),
        AccountEffect::Disable(status) => Some(status.as_str()),
        _ => None,
    };
    if let Some(status) = status {
        sqlx::query(
            "UPDATE accounts SET status = $2, status_reason = $3, rest_until = $4, updated_at = now()
              WHERE id = $1",
        )
        .bind(account)
        .bind(status)
        .bind(reason)
        .bind(rest_until)
        .execute(&mut *conn)
        .await?;
    }
    if decision.ends_slot() {
        sqlx::query(
            "UPDATE memberships SET planned_seq = NULL, updated_at = now()
              WHERE account_id = $1 AND state = 'pending' AND planned_seq IS NOT NULL
                AND join_started_at IS NULL",
        )
        .bind(account)
        .execute(conn)
        .await?;
    }
    Ok(())
}
