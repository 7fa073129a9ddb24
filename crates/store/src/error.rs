//! Store errors. Messages never contain a password, a session or a key.

use tgfleet_domain::AccountId;

/// What went wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A query failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The server could not be reached or refused the connection.
    #[error("cannot reach {target}: {reason}")]
    Unreachable {
        /// `database NAME on HOST:PORT as USER` (never the password).
        target: String,
        /// Why, e.g. `connection refused` or `no answer within 5 s`.
        reason: String,
    },
    /// The server answered but the database does not exist.
    #[error("{target}: the database does not exist (create it, or fix database.url)")]
    DatabaseMissing {
        /// `database NAME on HOST:PORT as USER`.
        target: String,
    },
    /// The schema is behind the code.
    #[error(
        "the database schema is behind: {} migration(s) pending ({}); run `tgfleet migrate`",
        pending.len(),
        pending.join(", ")
    )]
    MigrationsPending {
        /// `VERSION description` of each pending migration, oldest first.
        pending: Vec<String>,
    },
    /// An applied migration differs from the file of the same version.
    #[error(
        "migration {version} ({description}) was changed after it was applied; restore the file and add a new migration instead"
    )]
    MigrationChanged {
        /// The migration's version.
        version: i64,
        /// The migration's description.
        description: String,
    },
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The caller's lease on the account expired or was taken over: it must stop
    /// writing on the account's behalf (invariant 1).
    #[error("the lease on account {account} was lost (expired or taken by another holder)")]
    LeaseLost {
        /// The account whose lease was lost.
        account: AccountId,
    },
    /// A row the caller named does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was looked up, e.g. `account "alpha"`.
        what: String,
    },
    /// The caller passed something the store refuses, or an operation does not apply.
    #[error("{what}: {reason}")]
    Invalid {
        /// What was rejected.
        what: String,
        /// Why.
        reason: String,
    },
    /// A sealed session could not be opened with the configured key.
    #[error(
        "the session of account {account} cannot be opened: the session encryption key does not match the key it was sealed with"
    )]
    SessionKeyMismatch {
        /// The account whose session was sealed with another key.
        account: AccountId,
    },
}

impl StoreError {
    pub(crate) fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            what: what.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }

    /// Whether the database itself is missing, unreachable or behind: the operator's
    /// environment is at fault rather than the request.
    pub fn is_environment(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. }
                | Self::DatabaseMissing { .. }
                | Self::MigrationsPending { .. }
                | Self::MigrationChanged { .. }
        )
    }
}

/// Decodes a status text read from the database into its domain enum.
pub(crate) fn decode_status<T>(column: &str, text: &str) -> Result<T, StoreError>
where
    T: std::str::FromStr<Err = tgfleet_domain::ParseStatusError>,
{
    text.parse()
        .map_err(|err: tgfleet_domain::ParseStatusError| {
            StoreError::invalid(column, err.to_string())
        })
}
