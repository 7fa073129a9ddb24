//! Bringing accounts into the fleet and checking them: session import, login, whoami.

use crate::accounts::{check_label, check_masked};
use crate::devices::write_extras;
use crate::error::decode_status;
use crate::leases::check_lease;
use crate::sessions::{key_fingerprint, upsert_session};
use crate::{DeviceParams, Lease, SessionCipher, Store, StoreError, StoredSession};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgConnection;
use tgfleet_domain::{AccountId, AccountStatus};

/// One session to import under an account label.
#[derive(Debug)]
pub struct SessionImport {
    /// The account label (created when missing).
    pub label: String,
    /// The session to store.
    pub session: StoredSession,
    /// The masked phone, when the file recorded it.
    pub phone_masked: Option<String>,
    /// Telegram's user id, when the file recorded it.
    pub telegram_user_id: Option<i64>,
    /// The device the session was used from (a JSON sidecar, tdata), if known.
    pub device: Option<DeviceParams>,
    /// The account's 2FA password, if the import brought one (stored sealed).
    pub password: Option<SecretString>,
}

/// What importing one session did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    /// A new account with this session.
    Created(AccountId),
    /// An existing account without a session got this one.
    Attached(AccountId),
    /// The account already had exactly this session: nothing changed.
    Unchanged(AccountId),
    /// The account's different session was replaced (only when asked to).
    Replaced(AccountId),
    /// Not imported, and why.
    Refused(String),
}

/// The account's state after [`Store::record_login`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginRecorded {
    /// The status now (`active`, unless the operator suspended it or it rests).
    pub status: AccountStatus,
}

/// What `whoami` found for a leased account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WhoamiOutcome {
    /// Signed in as this user.
    SignedIn {
        /// Telegram's user id.
        user_id: i64,
    },
    /// The session is not (or no longer) authorized.
    Unauthorized(String),
    /// Telegram deactivated the account.
    Deactivated(String),
}

/// Statuses a successful login turns into `active`.
const LOGIN_ACTIVATES: [&str; 3] = ["active", "unauthorized", "deactivated"];

impl Store {
    /// Imports sessions in one transaction: for each, the account is created if its
    /// label is new (status `active`), an account without a session gets it, an
    /// identical session changes nothing, and a different one is replaced only when
    /// `replace` is set (otherwise refused). One auth key and one Telegram user live
    /// under one label fleet-wide: a session whose key or user another label has is
    /// refused naming that label, whatever `replace` says, and so is a session of
    /// another Telegram user than the label's. A refused session writes nothing; any
    /// database error rolls the whole import back. A stored session sealed with
    /// another key is refused, never overwritten silently.
    ///
    /// Locks: every `account_sessions` row still without a key fingerprint
    /// `FOR UPDATE` (filled in first); each account row `FOR UPDATE` (found by
    /// `UNIQUE (label)`, or inserted) and its `account_sessions` row (primary key
    /// `account_id`), until the commit. Relies on the unique indexes on
    /// `account_sessions.key_fingerprint` and `accounts.telegram_user_id`: a
    /// concurrent import of the same key or user fails with a database error
    /// instead of writing it twice.
    pub async fn import_sessions(
        &self,
        imports: &[SessionImport],
        cipher: &SessionCipher,
        replace: bool,
    ) -> Result<Vec<ImportOutcome>, StoreError> {
        let mut tx = self.pool.begin().await?;
        fill_key_fingerprints(&mut tx, cipher).await?;
        let mut outcomes = Vec::with_capacity(imports.len());
        for import in imports {
            let outcome = match check_import(import) {
                Ok(()) => import_one(&mut tx, import, cipher, replace).await?,
                Err(StoreError::Invalid { what, reason }) => {
                    ImportOutcome::Refused(format!("{what}: {reason}"))
                }
                Err(other) => return Err(other),
            };
            outcomes.push(outcome);
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    /// The account to sign in: created if its label is new, in status `unauthorized`
    /// ("login pending") so no service uses it before the login succeeds. An existing
    /// account whose masked phone differs is refused; one without a phone gets it.
    ///
    /// Locks: the account row `FOR UPDATE` (found by `UNIQUE (label)`, or inserted
    /// with `ON CONFLICT (label) DO NOTHING`).
    pub async fn prepare_login(
        &self,
        label: &str,
        phone_masked: &str,
    ) -> Result<crate::Account, StoreError> {
        check_label(label)?;
        check_masked(phone_masked)?;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO accounts (label, phone_masked, status, status_reason)
             VALUES ($1, $2, 'unauthorized', 'login pending')
             ON CONFLICT (label) DO NOTHING",
        )
        .bind(label)
        .bind(phone_masked)
        .execute(&mut *tx)
        .await?;
        let (id, existing): (i64, Option<String>) =
            sqlx::query_as("SELECT id, phone_masked FROM accounts WHERE label = $1 FOR UPDATE")
                .bind(label)
                .fetch_one(&mut *tx)
                .await?;
        match existing.as_deref() {
            Some(stored) if stored != phone_masked => {
                return Err(StoreError::invalid(
                    format!("account {label:?}"),
                    format!("belongs to {stored}, not {phone_masked}"),
                ));
            }
            Some(_) => {}
            None => {
                sqlx::query(
                    "UPDATE accounts SET phone_masked = $2, updated_at = now() WHERE id = $1",
                )
                .bind(id)
                .bind(phone_masked)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        self.account_by_id(AccountId(id))
            .await?
            .ok_or_else(|| StoreError::not_found(format!("account {label:?}")))
    }

    /// Records a successful login: Telegram's user id, `last_activity = now`, and
    /// status `active` (reason cleared) unless the operator suspended the account or
    /// it is resting — those keep their status. A user another label already has is
    /// refused naming that label (`UNIQUE (telegram_user_id)`).
    ///
    /// Locks: a single-row `UPDATE` by primary key.
    pub async fn record_login(
        &self,
        account: AccountId,
        telegram_user_id: i64,
        now: DateTime<Utc>,
    ) -> Result<LoginRecorded, StoreError> {
        let status: Result<Option<String>, sqlx::Error> = sqlx::query_scalar(
            "UPDATE accounts
                SET telegram_user_id = $2,
                    last_activity = $3,
                    status = CASE WHEN status = ANY($4) THEN 'active' ELSE status END,
                    status_reason = CASE WHEN status = ANY($4) THEN NULL ELSE status_reason END,
                    updated_at = now()
              WHERE id = $1
             RETURNING status",
        )
        .bind(account.0)
        .bind(telegram_user_id)
        .bind(now)
        .bind(&LOGIN_ACTIVATES[..])
        .fetch_optional(&self.pool)
        .await;
        let status = match status {
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                let holder: Option<String> =
                    sqlx::query_scalar("SELECT label FROM accounts WHERE telegram_user_id = $1")
                        .bind(telegram_user_id)
                        .fetch_optional(&self.pool)
                        .await?;
                return Err(StoreError::invalid(
                    format!("account {account}"),
                    format!(
                        "Telegram user {telegram_user_id} is already account {}; one user lives under one label",
                        holder.unwrap_or_default()
                    ),
                ));
            }
            other => other?,
        };
        let status = status.ok_or_else(|| StoreError::not_found(format!("account {account}")))?;
        Ok(LoginRecorded {
            status: decode_status("accounts.status", &status)?,
        })
    }

    /// Records what `whoami` found for an account whose lease the caller holds:
    /// signed in → `telegram_user_id` and `last_activity = now`; unauthorized or
    /// deactivated → that status with the reason. Fails with
    /// [`StoreError::LeaseLost`] if the lease moved on.
    ///
    /// Locks: the lease row `FOR SHARE` ([`check_lease`]) and the account row (a
    /// single-row `UPDATE`), in one transaction.
    pub async fn record_whoami(
        &self,
        lease: &Lease,
        outcome: &WhoamiOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        check_lease(&mut tx, lease, now).await?;
        let account = lease.account_id.0;
        match outcome {
            WhoamiOutcome::SignedIn { user_id } => {
                sqlx::query(
                    "UPDATE accounts SET telegram_user_id = $2, last_activity = $3, updated_at = now()
                      WHERE id = $1",
                )
                .bind(account)
                .bind(user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            WhoamiOutcome::Unauthorized(reason) | WhoamiOutcome::Deactivated(reason) => {
                let status = match outcome {
                    WhoamiOutcome::Deactivated(_) => AccountStatus::Deactivated,
                    _ => AccountStatus::Unauthorized,
                };
                sqlx::query(
                    "UPDATE accounts SET status = $2, status_reason = $3, updated_at = now()
                      WHERE id = $1",
                )
                .bind(account)
                .bind(status.as_str())
                .bind(reason)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

fn check_import(import: &SessionImport) -> Result<(), StoreError> {
    check_label(&import.label)?;
    if let Some(phone) = &import.phone_masked {
        check_masked(phone)?;
    }
    Ok(())
}

/// Fills in the key fingerprint of sessions written before the column existed
/// (those sealed with another key stay without one).
async fn fill_key_fingerprints(
    conn: &mut PgConnection,
    cipher: &SessionCipher,
) -> Result<(), StoreError> {
    let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT account_id, auth_key_sealed FROM account_sessions
          WHERE key_fingerprint IS NULL FOR UPDATE",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (account, sealed) in rows {
        let Ok(key) = cipher.open(AccountId(account), &sealed) else {
            continue;
        };
        sqlx::query("UPDATE account_sessions SET key_fingerprint = $2 WHERE account_id = $1")
            .bind(account)
            .bind(&key_fingerprint(key.expose_secret())[..])
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The label that already holds this key or this Telegram user, other than `label`.
async fn other_holder(
    conn: &mut PgConnection,
    import: &SessionImport,
) -> Result<Option<String>, StoreError> {
    let fingerprint = key_fingerprint(import.session.auth_key.expose_secret());
    let by_key: Option<String> = sqlx::query_scalar(
        "SELECT a.label FROM account_sessions s JOIN accounts a ON a.id = s.account_id
          WHERE s.key_fingerprint = $1 AND a.label <> $2",
    )
    .bind(&fingerprint[..])
    .bind(&import.label)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(holder) = by_key {
        return Ok(Some(format!(
            "this auth key is already the session of account {holder}; one key lives under one label (--replace does not move it)"
        )));
    }
    let Some(user) = import.telegram_user_id else {
        return Ok(None);
    };
    let by_user: Option<String> = sqlx::query_scalar(
        "SELECT label FROM accounts WHERE telegram_user_id = $1 AND label <> $2",
    )
    .bind(user)
    .bind(&import.label)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(by_user.map(|holder| {
        format!(
            "Telegram user {user} is already account {holder}; one user lives under one label (--replace does not move it)"
        )
    }))
}

async fn import_one(
    conn: &mut PgConnection,
    import: &SessionImport,
    cipher: &SessionCipher,
    replace: bool,
) -> Result<ImportOutcome, StoreError> {
    if let Some(reason) = other_holder(conn, import).await? {
        return Ok(ImportOutcome::Refused(reason));
    }
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO accounts (label, phone_masked, telegram_user_id)
         VALUES ($1, $2, $3)
         ON CONFLICT (label) DO NOTHING
         RETURNING id",
    )
    .bind(&import.label)
    .bind(&import.phone_masked)
    .bind(import.telegram_user_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = inserted {
        let id = AccountId(id);
        upsert_session(&mut *conn, id, &import.session, cipher).await?;
        write_extras(
            conn,
            id,
            import.device.as_ref(),
            import.password.as_ref(),
            cipher,
        )
        .await?;
        return Ok(ImportOutcome::Created(id));
    }
    let (id, status, stored_user): (i64, String, Option<i64>) = sqlx::query_as(
        "SELECT id, status, telegram_user_id FROM accounts WHERE label = $1 FOR UPDATE",
    )
    .bind(&import.label)
    .fetch_one(&mut *conn)
    .await?;
    let id = AccountId(id);
    if let (Some(stored), Some(new)) = (stored_user, import.telegram_user_id)
        && stored != new
    {
        return Ok(ImportOutcome::Refused(format!(
            "account {} is Telegram user {stored}, this session is user {new}; import it under another label",
            import.label
        )));
    }
    let sealed: Option<(i32, String, Vec<u8>)> = sqlx::query_as(
        "SELECT dc_id, server_address, auth_key_sealed FROM account_sessions
          WHERE account_id = $1 FOR UPDATE",
    )
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?;
    let outcome = match sealed {
        None => ImportOutcome::Attached(id),
        Some((dc_id, address, sealed)) => {
            let Ok(stored_key) = cipher.open(id, &sealed) else {
                return Ok(ImportOutcome::Refused(
                    "the account's stored session is sealed with another encryption key".to_owned(),
                ));
            };
            let same = dc_id == import.session.dc_id
                && address == import.session.server_address
                && stored_key.expose_secret() == import.session.auth_key.expose_secret();
            if same {
                return Ok(ImportOutcome::Unchanged(id));
            }
            if !replace {
                return Ok(ImportOutcome::Refused(
                    "the account already has a different session (import with --replace to overwrite it)"
                        .to_owned(),
                ));
            }
            ImportOutcome::Replaced(id)
        }
    };
    upsert_session(&mut *conn, id, &import.session, cipher).await?;
    write_extras(
        conn,
        id,
        import.device.as_ref(),
        import.password.as_ref(),
        cipher,
    )
    .await?;
    sqlx::query(
        "UPDATE accounts
            SET phone_masked = COALESCE(phone_masked, $2),
                telegram_user_id = COALESCE($3, telegram_user_id),
                status = CASE WHEN $4 = 'unauthorized' THEN 'active' ELSE status END,
                status_reason = CASE WHEN $4 = 'unauthorized' THEN NULL ELSE status_reason END,
                updated_at = now()
          WHERE id = $1",
    )
    .bind(id.0)
    .bind(&import.phone_masked)
    .bind(import.telegram_user_id)
    .bind(&status)
    .execute(&mut *conn)
    .await?;
    Ok(outcome)
}
