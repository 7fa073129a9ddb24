//! The console's people and credentials: operators (argon2 password hashes), their
//! browser sessions, API tokens, and the audit trail of every write made through the
//! console, the API or `tgfleet console`.
//!
//! Only digests and hashes are stored: a session cookie or an API token is a random
//! 256-bit value the caller hashes ([`Store`] never sees it in clear).

use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::fmt;
use std::str::FromStr;

/// An operator of the console.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Operator {
    /// Primary key.
    pub id: i64,
    /// The login name.
    pub name: String,
}

/// What an API token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TokenScope {
    /// Read every endpoint, change nothing.
    Read,
    /// Read and write.
    Write,
}

impl TokenScope {
    /// The word stored in `api_tokens.scope`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenScope {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            other => Err(StoreError::invalid(
                format!("scope {other:?}"),
                "expected read or write",
            )),
        }
    }
}

/// An API token's record (never the token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    /// Primary key.
    pub id: i64,
    /// What the operator called it.
    pub name: String,
    /// Read or write.
    pub scope: TokenScope,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Its last use.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A live browser session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorSession {
    /// Whose.
    pub operator: Operator,
    /// The token every form and write request of this session must carry.
    pub csrf_token: String,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
}

/// A session to open.
#[derive(Clone, Debug)]
pub struct NewSession<'a> {
    /// SHA-256 (hex) of the cookie value.
    pub id_digest: &'a str,
    /// Whose.
    pub operator_id: i64,
    /// Its CSRF token.
    pub csrf_token: &'a str,
    /// The client's address.
    pub source_addr: &'a str,
    /// Now.
    pub created_at: DateTime<Utc>,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
}

/// One write to record in the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAudit {
    /// When.
    pub at: DateTime<Utc>,
    /// Who: `operator:NAME`, `token:NAME` or `cli`.
    pub actor: String,
    /// What, e.g. `account.suspend`.
    pub action: String,
    /// On what, e.g. the account's label.
    pub target: Option<String>,
    /// From where: the client's address, or `local` for the CLI.
    pub source_addr: String,
    /// Anything else worth keeping; never a secret.
    pub detail: Option<String>,
}

/// A row of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    /// Primary key.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub target: Option<String>,
    /// From where.
    pub source_addr: String,
    /// Details.
    pub detail: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    scope: String,
    created_by: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = StoreError;

    fn try_from(row: TokenRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            name: row.name,
            scope: row.scope.parse()?,
            created_by: row.created_by,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
            last_used_at: row.last_used_at,
        })
    }
}

macro_rules! token_columns {
    () => {
        "id, name, scope, created_by, created_at, revoked_at, last_used_at"
    };
}

/// Checks an operator name: 1-64 letters, digits, `_`, `.` or `-`.
pub fn check_operator_name(name: &str) -> Result<(), StoreError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"_.-".contains(&byte));
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid(
            format!("operator name {name:?}"),
            "expected 1-64 letters, digits, '_', '.' or '-'",
        ))
    }
}

impl Store {
    /// Creates an operator, or sets a new password hash when `replace` and the name
    /// exists. Without `replace` an existing name is refused with
    /// [`StoreError::Invalid`]. Relies on `UNIQUE (name)`; takes no other lock.
    pub async fn save_operator(
        &self,
        name: &str,
        password_hash: &str,
        replace: bool,
    ) -> Result<Operator, StoreError> {
        check_operator_name(name)?;
        let saved: Option<Operator> = sqlx::query_as(
            "INSERT INTO operators (name, password_hash) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET password_hash = EXCLUDED.password_hash, updated_at = now()
                WHERE $3
             RETURNING id, name",
        )
        .bind(name)
        .bind(password_hash)
        .bind(replace)
        .fetch_optional(&self.pool)
        .await?;
        saved.ok_or_else(|| {
            StoreError::invalid(
                format!("operator {name:?}"),
                "already exists (use --replace to set a new password)",
            )
        })
    }

    /// The operator named `name` and its password hash, for a login check. Reads
    /// without locking.
    pub async fn operator_credentials(
        &self,
        name: &str,
    ) -> Result<Option<(Operator, String)>, StoreError> {
        let row: Option<(i64, String, String)> =
            sqlx::query_as("SELECT id, name, password_hash FROM operators WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(id, name, hash)| (Operator { id, name }, hash)))
    }

    /// Opens a browser session. Relies on the primary key (a digest collision is
    /// refused by the database); deletes the sessions that expired before
    /// `created_at` in the same statement batch. Takes no other lock.
    pub async fn open_session(&self, session: &NewSession<'_>) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM operator_sessions WHERE expires_at <= $1")
            .bind(session.created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO operator_sessions (id_digest, operator_id, csrf_token, source_addr, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(session.id_digest)
        .bind(session.operator_id)
        .bind(session.csrf_token)
        .bind(session.source_addr)
        .bind(session.created_at)
        .bind(session.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live session whose cookie hashes to `id_digest` at `now`. Reads without
    /// locking.
    pub async fn session_by_digest(
        &self,
        id_digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OperatorSession>, StoreError> {
        let row: Option<(i64, String, String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT o.id, o.name, s.csrf_token, s.expires_at
               FROM operator_sessions s JOIN operators o ON o.id = s.operator_id
              WHERE s.id_digest = $1 AND s.expires_at > $2",
        )
        .bind(id_digest)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(
            row.map(|(id, name, csrf_token, expires_at)| OperatorSession {
                operator: Operator { id, name },
                csrf_token,
                expires_at,
            }),
        )
    }

    /// Ends a session (log-out). A single-row `DELETE` by primary key.
    pub async fn close_session(&self, id_digest: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM operator_sessions WHERE id_digest = $1")
            .bind(id_digest)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores a new API token's digest. Relies on `UNIQUE (digest)`; takes no other lock.
    pub async fn create_api_token(
        &self,
        name: &str,
        digest: &str,
        scope: TokenScope,
        created_by: &str,
    ) -> Result<ApiToken, StoreError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(StoreError::invalid(
                "token name",
                "expected 1-100 characters",
            ));
        }
        sqlx::query_as::<_, TokenRow>(concat!(
            "INSERT INTO api_tokens (name, digest, scope, created_by) VALUES ($1, $2, $3, $4)
             RETURNING ",
            token_columns!()
        ))
        .bind(name)
        .bind(digest)
        .bind(scope.as_str())
        .bind(created_by)
        .fetch_one(&self.pool)
        .await?
        .try_into()
    }

    /// The unrevoked token whose digest is `digest`, marking it used at `now`. A
    /// single-row `UPDATE .. RETURNING` by the unique digest.
    pub async fn use_api_token(
        &self,
        digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ApiToken>, StoreError> {
        sqlx::query_as::<_, TokenRow>(concat!(
            "UPDATE api_tokens SET last_used_at = $2 WHERE digest = $1 AND revoked_at IS NULL
             RETURNING ",
            token_columns!()
        ))
        .bind(digest)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?
        .map(ApiToken::try_from)
        .transpose()
    }

    /// Every token, newest first. Reads without locking.
    pub async fn list_api_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        sqlx::query_as::<_, TokenRow>(concat!(
            "SELECT ",
            token_columns!(),
            " FROM api_tokens ORDER BY id DESC"
        ))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(ApiToken::try_from)
        .collect()
    }

    /// Revokes a token (idempotent). A single-row `UPDATE` by primary key;
    /// [`StoreError::NotFound`] for an unknown id.
    pub async fn revoke_api_token(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(format!("API token {id}")));
        }
        Ok(())
    }

    /// Appends to the audit trail. Takes no lock; `audit_log` is append-only.
    pub async fn record_audit(&self, entry: &NewAudit) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        record_audit(&mut conn, entry).await
    }

    /// The latest `limit` audit rows, newest first. Reads without locking.
    pub async fn recent_audit(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, at, actor, action, target, source_addr, detail
               FROM audit_log ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Appends to the audit trail on the caller's connection, so the entry commits with
/// the write it describes. Takes no lock.
pub async fn record_audit(conn: &mut PgConnection, entry: &NewAudit) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, target, source_addr, detail)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(entry.at)
    .bind(&entry.actor)
    .bind(&entry.action)
    .bind(&entry.target)
    .bind(&entry.source_addr)
    .bind(&entry.detail)
    .execute(conn)
    .await?;
    Ok(())
}
