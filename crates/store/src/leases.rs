//! Account leases (invariant 1): one holder per account, fleet-wide, with a fencing
//! token that grows with every new holder. `account_leases` rows are never deleted,
//! so a token is never reused.

use crate::{Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgConnection;
use std::time::Duration;
use tgfleet_domain::AccountId;

/// A held lease on one account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The leased account.
    pub account_id: AccountId,
    /// Who holds it, e.g. `marketer@host:pid`.
    pub holder: String,
    /// The fencing token: larger than every earlier holder's.
    pub token: i64,
    /// The lease is void from this instant unless renewed.
    pub expires_at: DateTime<Utc>,
}

fn ttl_delta(ttl: Duration) -> Result<TimeDelta, StoreError> {
    TimeDelta::from_std(ttl)
        .map_err(|_| StoreError::invalid("lease ttl", format!("{ttl:?} is too long")))
}

impl Store {
    /// Takes the lease on `account` for `holder` until `now + ttl`, if nobody holds it
    /// at `now` (no row yet, released, or expired). Returns `None` when another
    /// holder's lease is still live.
    ///
    /// Locks: one `INSERT .. ON CONFLICT (account_id) DO UPDATE .. WHERE expires_at <= now`
    /// statement. The primary key on `account_id` serialises concurrent claimants: the
    /// second waits for the first's row lock, re-checks the condition against the new
    /// row and gets nothing, so exactly one claimant wins. The token is the old token + 1.
    pub async fn try_acquire_lease(
        &self,
        account: AccountId,
        holder: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Option<Lease>, StoreError> {
        let expires_at = now + ttl_delta(ttl)?;
        let row: Option<(i64, DateTime<Utc>)> = sqlx::query_as(
            "INSERT INTO account_leases (account_id, holder, fencing_token, acquired_at, expires_at)
             VALUES ($1, $2, 1, $3, $4)
             ON CONFLICT (account_id) DO UPDATE
                SET holder = EXCLUDED.holder,
                    fencing_token = account_leases.fencing_token + 1,
                    acquired_at = EXCLUDED.acquired_at,
                    expires_at = EXCLUDED.expires_at
              WHERE account_leases.expires_at <= EXCLUDED.acquired_at
             RETURNING fencing_token, expires_at",
        )
        .bind(account.0)
        .bind(holder)
        .bind(now)
        .bind(expires_at)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(token, expires_at)| Lease {
            account_id: account,
            holder: holder.to_owned(),
            token,
            expires_at,
        }))
    }

    /// Extends a live lease to `now + ttl`. Fails with [`StoreError::LeaseLost`] if
    /// the lease expired at `now` or another holder took it (the token moved on).
    ///
    /// Locks: a single-row `UPDATE` guarded by `fencing_token = lease.token AND
    /// expires_at > now`; the row lock orders it against a concurrent acquire.
    pub async fn renew_lease(
        &self,
        lease: &Lease,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Lease, StoreError> {
        let expires_at = now + ttl_delta(ttl)?;
        let renewed: Option<DateTime<Utc>> = sqlx::query_scalar(
            "UPDATE account_leases SET expires_at = $3
              WHERE account_id = $1 AND fencing_token = $2 AND expires_at > $4
             RETURNING expires_at",
        )
        .bind(lease.account_id.0)
        .bind(lease.token)
        .bind(expires_at)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        match renewed {
            Some(expires_at) => Ok(Lease {
                expires_at,
                ..lease.clone()
            }),
            None => Err(StoreError::LeaseLost {
                account: lease.account_id,
            }),
        }
    }

    /// Gives the lease up so another holder can take it at once. Releasing a lease
    /// that was already lost does nothing (it is no longer ours to release).
    ///
    /// Locks: a single-row `UPDATE` guarded by the fencing token; the row stays (the
    /// token must keep growing) with `expires_at` moved back to when it was acquired.
    pub async fn release_lease(&self, lease: &Lease, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE account_leases SET expires_at = LEAST(acquired_at, $3)
              WHERE account_id = $1 AND fencing_token = $2",
        )
        .bind(lease.account_id.0)
        .bind(lease.token)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The current lease row of an account, live or not (for diagnostics and tests).
    /// Reads without locking.
    pub async fn lease_of(&self, account: AccountId) -> Result<Option<Lease>, StoreError> {
        let row: Option<(String, i64, DateTime<Utc>)> = sqlx::query_as(
            "SELECT holder, fencing_token, expires_at FROM account_leases WHERE account_id = $1",
        )
        .bind(account.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(holder, token, expires_at)| Lease {
            account_id: account,
            holder,
            token,
            expires_at,
        }))
    }
}

/// The fence for writes made on behalf of a lease, inside the caller's transaction:
/// fails with [`StoreError::LeaseLost`] unless the account's lease row still carries
/// `lease.token` and has not expired at `now`.
///
/// Locks: `SELECT .. FOR SHARE` on the lease row, held until the caller's transaction
/// ends, so no other holder can take the lease (its `UPDATE` waits) before the fenced
/// writes commit.
pub async fn check_lease(
    conn: &mut PgConnection,
    lease: &Lease,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row: Option<(i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT fencing_token, expires_at FROM account_leases WHERE account_id = $1 FOR SHARE",
    )
    .bind(lease.account_id.0)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some((token, expires_at)) if token == lease.token && expires_at > now => Ok(()),
        _ => Err(StoreError::LeaseLost {
            account: lease.account_id,
        }),
    }
}
