//! The activity service's queries: the cycle plan (`accounts.activity_next_at`),
//! the chats an account can act in, reaction counts, and the account-wide marks
//! (last activity, FloodWait on "other" requests) that the reviewer shares.

use crate::StoredPeer;
use crate::{Account, Store, StoreError};
use chrono::{DateTime, Utc};
use tgfleet_domain::{AccountId, GroupHandle, GroupId};

/// Account times that only ever move forward.
#[derive(Clone, Copy, Debug)]
enum ForwardMark {
    LastActivity,
    OtherFloodUntil,
}

impl Account {
    /// `None` when the account may work at `now`, otherwise why not
    /// ([`tgfleet_domain::unavailable_because`] of its status, reason and rest).
    pub fn unavailable_because(&self, now: DateTime<Utc>) -> Option<String> {
        tgfleet_domain::unavailable_because(
            self.status,
            self.status_reason.as_deref(),
            self.rest_until,
            now,
        )
    }
}

/// A joined group or channel an account can read, view stories of and react in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityPeer {
    /// The group.
    pub group_id: GroupId,
    /// Its handle, for logs.
    pub handle: GroupHandle,
    /// The peer stored for this account.
    pub peer: StoredPeer,
}

impl Store {
    /// Moves an account's next activity cycle from `seen` (the value the caller
    /// read, `None` for never planned) to `next`. Returns `false`, changing
    /// nothing, when another replica moved it first: whoever moves it runs the cycle.
    ///
    /// Locks: a single-row compare-and-set `UPDATE` by primary key
    /// (`activity_next_at IS NOT DISTINCT FROM seen`); concurrent callers serialise
    /// on the row lock and only the first sees its expected value.
    pub async fn plan_activity(
        &self,
        account: AccountId,
        seen: Option<DateTime<Utc>>,
        next: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let moved = sqlx::query(
            "UPDATE accounts SET activity_next_at = $3, updated_at = now()
              WHERE id = $1 AND activity_next_at IS NOT DISTINCT FROM $2",
        )
        .bind(account.0)
        .bind(seen)
        .bind(next)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(moved == 1)
    }

    /// The groups an account has joined, with a stored peer, that are neither
    /// banned nor inaccessible, ordered by group id. Reads without locking.
    pub async fn activity_peers(
        &self,
        account: AccountId,
    ) -> Result<Vec<ActivityPeer>, StoreError> {
        let rows: Vec<(i64, String, i64, i64, Option<String>)> = sqlx::query_as(
            "SELECT g.id, g.handle, m.peer_id, m.access_hash, m.peer_kind
               FROM memberships m
               JOIN groups g ON g.id = m.group_id
              WHERE m.account_id = $1
                AND m.state = 'joined'
                AND m.peer_id IS NOT NULL
                AND g.status NOT IN ('banned', 'inaccessible')
              ORDER BY g.id",
        )
        .bind(account.0)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(group, handle, id, access_hash, kind)| {
                Ok(ActivityPeer {
                    group_id: GroupId(group),
                    handle: GroupHandle::parse(&handle)
                        .map_err(|err| StoreError::invalid("groups.handle", err.to_string()))?,
                    peer: StoredPeer {
                        id,
                        access_hash,
                        kind: kind.unwrap_or_else(|| "channel".to_owned()),
                    },
                })
            })
            .collect()
    }

    /// How many events of `account` with this `action` and `outcome` happened at
    /// or after `since` (e.g. successful reactions today). Reads without locking;
    /// uses `events_account_at_idx`.
    pub async fn count_account_events(
        &self,
        account: AccountId,
        action: &str,
        outcome: &str,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM events
              WHERE account_id = $1 AND at >= $2 AND action = $3 AND outcome = $4",
        )
        .bind(account.0)
        .bind(since)
        .bind(action)
        .bind(outcome)
        .fetch_one(&self.pool)
        .await?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    /// Records that the account did something on Telegram at `at`
    /// (`last_activity` only moves forward).
    ///
    /// Locks: a single-row `UPDATE` by primary key.
    pub async fn note_activity(
        &self,
        account: AccountId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.move_forward(account, ForwardMark::LastActivity, at)
            .await
    }

    /// Records a FloodWait on requests other than joins and posts: the account
    /// makes no such request before `until` (`other_flood_until` only moves forward).
    ///
    /// Locks: a single-row `UPDATE` by primary key.
    pub async fn note_other_flood(
        &self,
        account: AccountId,
        until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.move_forward(account, ForwardMark::OtherFloodUntil, until)
            .await
    }

    async fn move_forward(
        &self,
        account: AccountId,
        mark: ForwardMark,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let statement = match mark {
            ForwardMark::LastActivity => {
                "UPDATE accounts SET last_activity = GREATEST(last_activity, $2), updated_at = now()
                  WHERE id = $1"
            }
            ForwardMark::OtherFloodUntil => {
                "UPDATE accounts SET other_flood_until = GREATEST(other_flood_until, $2), updated_at = now()
                  WHERE id = $1"
            }
        };
        sqlx::query(statement)
            .bind(account.0)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Sets (or clears) an account's own time zone, which its activity windows
    /// are read in; `None` falls back to `schedule.time_zone`. The caller checks
    /// the IANA name (chrono-tz). Fails with [`StoreError::NotFound`] for an unknown id.
    ///
    /// Locks: a single-row `UPDATE` by primary key.
    pub async fn set_account_time_zone(
        &self,
        account: AccountId,
        zone: Option<&str>,
    ) -> Result<(), StoreError> {
        let updated =
            sqlx::query("UPDATE accounts SET time_zone = $2, updated_at = now() WHERE id = $1")
                .bind(account.0)
                .bind(zone)
                .execute(&self.pool)
                .await?
                .rows_affected();
        if updated == 0 {
            return Err(StoreError::not_found(format!("account {account}")));
        }
        Ok(())
    }
}
