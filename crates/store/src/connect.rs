//! Connecting, and keeping the schema in step with `migrations/`.

use crate::{Store, StoreError};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The migrations in `migrations/` at the repository root, embedded at compile time.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// How long [`Store::connect`] waits for the server before calling it unreachable.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Which migrations the database has, and which it lacks (`VERSION description`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Applied successfully, oldest first.
    pub applied: Vec<String>,
    /// Not applied yet, oldest first.
    pub pending: Vec<String>,
}

impl Store {
    /// Connects to `url` with a pool of at most `max_connections`, after one probe
    /// connection that turns failures into clear errors: [`StoreError::Unreachable`]
    /// (naming host, port, database and user, never the password) or
    /// [`StoreError::DatabaseMissing`]. Waits at most [`DEFAULT_CONNECT_TIMEOUT`].
    /// Runs no query and takes no lock.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        Self::connect_with_timeout(url, max_connections, DEFAULT_CONNECT_TIMEOUT).await
    }

    /// [`Store::connect`] with an explicit bound on connecting (`database.connect_timeout_secs`).
    pub async fn connect_with_timeout(
        url: &str,
        max_connections: u32,
        timeout: Duration,
    ) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|err| StoreError::invalid("database.url", err.to_string()))?;
        let target = describe_target(&options);
        match tokio::time::timeout(timeout, PgConnection::connect_with(&options)).await {
            Err(_) => {
                return Err(StoreError::Unreachable {
                    target,
                    reason: format!("no answer within {} s", timeout.as_secs_f32()),
                });
            }
            Ok(Err(err)) => return Err(classify_connect_error(err, target)),
            Ok(Ok(probe)) => {
                if let Err(err) = probe.close().await {
                    tracing::debug!(%err, "closing the probe connection failed");
                }
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(timeout)
            .connect_lazy_with(options);
        Ok(Self::from_pool(pool))
    }

    /// A store over a pool of its own of at most `max_connections` to the same
    /// database, opened lazily: work that must answer quickly whatever the main
    /// pool is doing (`/health`). Runs no query and takes no lock.
    pub fn dedicated(&self, max_connections: u32) -> Self {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(DEFAULT_CONNECT_TIMEOUT)
            .connect_lazy_with((*self.pool.connect_options()).clone());
        Self::from_pool(pool)
    }

    /// [`Store::connect`], then fails with [`StoreError::MigrationsPending`] (listing
    /// them) unless the schema is up to date. Services start with this; only
    /// `tgfleet migrate` changes the schema. Reads `_sqlx_migrations` without locking.
    pub async fn connect_migrated(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let store = Self::connect(url, max_connections).await?;
        store.ensure_migrated().await?;
        Ok(store)
    }

    /// Fails with [`StoreError::MigrationsPending`] unless every migration is applied,
    /// or [`StoreError::MigrationChanged`] if an applied one was edited. Reads
    /// `_sqlx_migrations` without locking.
    pub async fn ensure_migrated(&self) -> Result<(), StoreError> {
        let status = self.migration_status().await?;
        if status.pending.is_empty() {
            Ok(())
        } else {
            Err(StoreError::MigrationsPending {
                pending: status.pending,
            })
        }
    }

    /// Compares `_sqlx_migrations` with [`MIGRATOR`]. Reads only (creates nothing), no locks.
    pub async fn migration_status(&self) -> Result<MigrationStatus, StoreError> {
        let table_exists: bool =
            sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                .fetch_one(&self.pool)
                .await?;
        let applied: BTreeMap<i64, Vec<u8>> = if table_exists {
            sqlx::query_as(
                "SELECT version, checksum FROM _sqlx_migrations WHERE success ORDER BY version",
            )
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .collect()
        } else {
            BTreeMap::new()
        };
        let mut status = MigrationStatus {
            applied: Vec::new(),
            pending: Vec::new(),
        };
        for migration in MIGRATOR
            .iter()
            .filter(|migration| !migration.migration_type.is_down_migration())
        {
            let name = format!("{} {}", migration.version, migration.description);
            match applied.get(&migration.version) {
                Some(checksum) if **checksum == *migration.checksum => status.applied.push(name),
                Some(_) => {
                    return Err(StoreError::MigrationChanged {
                        version: migration.version,
                        description: migration.description.to_string(),
                    });
                }
                None => status.pending.push(name),
            }
        }
        Ok(status)
    }

    /// Applies the pending migrations and returns the ones this call applied
    /// (`VERSION description`); empty when the schema was already up to date.
    /// sqlx takes a Postgres advisory lock while migrating, so concurrent callers
    /// apply each migration once.
    pub async fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let before = self.migration_status().await?;
        MIGRATOR.run(&self.pool).await?;
        let after = self.migration_status().await?;
        Ok(after
            .applied
            .into_iter()
            .filter(|name| !before.applied.contains(name))
            .collect())
    }
}

/// `database NAME on HOST:PORT as USER`: enough to find the problem, no password.
fn describe_target(options: &PgConnectOptions) -> String {
    let database = options.get_database().unwrap_or(options.get_username());
    let place = match options.get_socket() {
        Some(socket) => socket.display().to_string(),
        None => format!("{}:{}", options.get_host(), options.get_port()),
    };
    format!(
        "database {database:?} on {place} as {:?}",
        options.get_username()
    )
}

fn classify_connect_error(err: sqlx::Error, target: String) -> StoreError {
    match &err {
        sqlx::Error::Io(io) => StoreError::Unreachable {
            target,
            reason: io.to_string(),
        },
        sqlx::Error::Tls(tls) => StoreError::Unreachable {
            target,
            reason: format!("TLS failed: {tls}"),
        },
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("3D000") => StoreError::DatabaseMissing { target },
            Some("28P01" | "28000" | "57P03" | "53300") => StoreError::Unreachable {
                target,
                reason: db.message().to_owned(),
            },
            _ => StoreError::Database(err),
        },
        _ => StoreError::Database(err),
    }
}

impl Store {
    /// A store for tests that pause tokio's clock, over the database of `pool`
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
    pub async fn for_paused_time(pool: sqlx::PgPool) -> Result<Self, StoreError> {
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
