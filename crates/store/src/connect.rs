//! Connecting, and keeping the schema in step with `migrations/`.

use crate::{Store, StoreError};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection};
use std::collections::BTreeMap;
use std::str::FromStr;
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
