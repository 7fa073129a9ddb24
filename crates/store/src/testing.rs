//! Test-only access to the store (feature `testing`, which the crates' dev-dependencies
//! enable): a pool for paused tokio time, the raw pool, and a few probes tests use to
//! look at or disturb rows. Production code cannot call any of it.

use crate::{Store, StoreError};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection as _, PgPool};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tgfleet_domain::{AccountId, GroupId, MembershipState};

impl Store {
    /// For tests: the underlying pool, for transactions around [`crate::check_lease`]
    /// and [`crate::record_event`] in the store's own tests.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// For tests: closes the pool, as a process that dies does.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// For tests: an account's sealed session row as stored, byte for byte (DC,
    /// address, sealed key, source, last update), to prove a row was left untouched.
    /// Shares no lock.
    pub async fn raw_session_row(&self, account: AccountId) -> Result<Vec<u8>, StoreError> {
        let (dc, address, sealed, source, updated): (i32, String, Vec<u8>, String, String) =
            sqlx::query_as(
                "SELECT dc_id, server_address, auth_key_sealed, source, updated_at::text
                   FROM account_sessions WHERE account_id = $1",
            )
            .bind(account.0)
            .fetch_one(&self.pool)
            .await?;
        Ok([
            dc.to_le_bytes().to_vec(),
            address.into_bytes(),
            sealed,
            source.into_bytes(),
            updated.into_bytes(),
        ]
        .concat())
    }

    /// For tests: the states of every membership of `group`, by account.
    pub async fn membership_states(
        &self,
        group: GroupId,
    ) -> Result<Vec<MembershipState>, StoreError> {
        let states: Vec<String> = sqlx::query_scalar(
            "SELECT state FROM memberships WHERE group_id = $1 ORDER BY account_id",
        )
        .bind(group.0)
        .fetch_all(&self.pool)
        .await?;
        states
            .iter()
            .map(|state| crate::error::decode_status("memberships.state", state))
            .collect()
    }

    /// For tests: how many memberships are in `state`. Reads without locking.
    pub async fn count_memberships(&self, state: MembershipState) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT count(*) FROM memberships WHERE state = $1")
                .bind(state.as_str())
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// For tests: how many sessions are stored. Reads without locking.
    pub async fn count_sessions(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM account_sessions")
            .fetch_one(&self.pool)
            .await?)
    }

    /// For tests: `holder` takes `account`'s lease over (the fencing token moves on),
    /// as another replica does after an expiry. Updates the lease row.
    pub async fn take_over_lease(
        &self,
        account: AccountId,
        holder: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE account_leases SET holder = $2, fencing_token = fencing_token + 1 WHERE account_id = $1",
        )
        .bind(account.0)
        .bind(holder)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

impl Store {
    /// For tests: a store for tests that pause tokio's clock, over the database of `pool`
    /// (which is closed: a `#[sqlx::test]` pool reaps idle connections every second,
    /// a timer that paused time would keep jumping to).
    ///
    /// Under a paused clock tokio jumps to the next timer whenever every task waits,
    /// including on a database round trip, so queries would take arbitrary virtual
    /// time and leases would expire in the middle of them. This pool has no timers of
    /// its own (no idle reaping, no lifetime limit, no ping, a year-long acquire
    /// timeout, all eight connections opened up front), and while any connection is
    /// checked out it holds a blocking task, which stops tokio's auto-advance: a query
    /// takes no virtual time. The hold lasts until a released connection is idle again
    /// (sqlx pings it on the way back), so virtual time cannot race ahead while
    /// connections are returning and leave waiters with an exhausted pool. Create it
    /// before pausing the clock.
    pub async fn for_paused_time(pool: PgPool) -> Result<Self, StoreError> {
        const CONNECTIONS: u32 = 8;
        let options = (*pool.connect_options()).clone();
        pool.close().await;
        let holds = Arc::new(VirtualTimeHolds::default());
        let on_acquire = Arc::clone(&holds);
        let on_release = Arc::clone(&holds);
        let pool = PgPoolOptions::new()
            .max_connections(CONNECTIONS)
            .acquire_timeout(Duration::from_secs(365 * 24 * 3600))
            .idle_timeout(None)
            .max_lifetime(None)
            .test_before_acquire(false)
            .before_acquire(move |_, _| {
                on_acquire.hold();
                Box::pin(async { Ok(true) })
            })
            .after_release(move |conn, _| {
                let holds = Arc::clone(&on_release);
                Box::pin(async move {
                    // sqlx pings a released connection before it is idle again; the
                    // hold must outlast that round trip, or virtual time races ahead
                    // while connections are still on their way back (and the pool
                    // looks exhausted). Finish any leftover work here, under the hold,
                    // then keep it a moment longer for sqlx's own ping.
                    let _ = conn.ping().await;
                    holds.release_soon();
                    Ok(true)
                })
            })
            .connect_with(options)
            .await?;
        // Open every connection now, so none is opened (I/O under a timer) later,
        // and wait until all are idle again, so no late release meets a real hold.
        let mut warm = Vec::new();
        for _ in 0..CONNECTIONS {
            warm.push(pool.acquire().await?);
        }
        drop(warm);
        while pool.num_idle() < CONNECTIONS as usize {
            tokio::task::yield_now().await;
        }
        holds.armed.store(true, Ordering::Release);
        Ok(Self::from_pool(pool))
    }
}

/// Blocking tasks that keep tokio's paused clock from auto-advancing, one per
/// checked-out (or returning) connection. Counting starts once the pool is warm: the
/// warm-up's new connections are never "acquired from idle", so their releases
/// must not count.
#[derive(Debug, Default)]
struct VirtualTimeHolds {
    holds: Mutex<Vec<std::sync::mpsc::Sender<()>>>,
    armed: AtomicBool,
}

impl VirtualTimeHolds {
    fn hold(&self) {
        if !self.armed.load(Ordering::Acquire) {
            return;
        }
        let (hold, wait) = std::sync::mpsc::channel::<()>();
        tokio::task::spawn_blocking(move || {
            let _ = wait.recv();
        });
        self.holds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(hold);
    }

    /// Releases one hold a couple of milliseconds from now (a blocking task keeps
    /// the clock still meanwhile), long enough for a released connection's last
    /// round trip on loopback.
    fn release_soon(self: Arc<Self>) {
        if !self.armed.load(Ordering::Acquire) {
            return;
        }
        tokio::task::spawn_blocking(move || {
            std::thread::sleep(RETURN_GRACE);
            self.holds
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
        });
    }
}

/// How long a released connection keeps the paused clock still: a ping's round trip
/// on a local server, with room to spare.
const RETURN_GRACE: Duration = Duration::from_millis(2);
