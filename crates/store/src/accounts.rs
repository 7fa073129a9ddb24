//! Fleet accounts: creation, lookup, and the operator's suspend / resume.

use crate::error::decode_status;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret as _, SecretString};
use tgfleet_domain::{AccountId, AccountStatus};

/// An account to create. Sessions are stored separately ([`Store::save_session`]).
#[derive(Clone, Debug, Default)]
pub struct NewAccount {
    /// The session name operators know: 1-64 characters of `A-Z a-z 0-9 _ . -`; unique.
    pub label: String,
    /// The phone number masked with [`tgfleet_domain::mask_phone`]; a full number is refused.
    pub phone_masked: Option<String>,
    /// A proxy URL (`socks5://user:pass@host:port`); may hold a password, hence secret.
    pub proxy: Option<SecretString>,
    /// The account's own IANA time zone, when it differs from `schedule.time_zone`.
    pub time_zone: Option<String>,
}

/// A row of `accounts`.
#[derive(Clone, Debug)]
pub struct Account {
    /// Primary key.
    pub id: AccountId,
    /// The session name operators know.
    pub label: String,
    /// Masked phone number.
    pub phone_masked: Option<String>,
    /// Telegram's user id, once known.
    pub telegram_user_id: Option<i64>,
    /// Lifecycle status.
    pub status: AccountStatus,
    /// Why the status was last set.
    pub status_reason: Option<String>,
    /// End of a rest (status `resting`).
    pub rest_until: Option<DateTime<Utc>>,
    /// Joins wait until then (a long join FloodWait).
    pub join_flood_until: Option<DateTime<Utc>>,
    /// Posts wait until then.
    pub post_flood_until: Option<DateTime<Utc>>,
    /// Other requests wait until then.
    pub other_flood_until: Option<DateTime<Utc>>,
    /// Posting cool-down after a spam block.
    pub post_cooldown_until: Option<DateTime<Utc>>,
    /// Consecutive PeerFlood / long FloodWait answers to posts.
    pub post_strikes: i32,
    /// Set when joins must stop (e.g. CHANNELS_TOO_MUCH).
    pub joins_stopped_reason: Option<String>,
    /// Next planned join.
    pub join_next_at: Option<DateTime<Utc>>,
    /// Next planned activity cycle.
    pub activity_next_at: Option<DateTime<Utc>>,
    /// Proxy URL, secret.
    pub proxy: Option<SecretString>,
    /// The account's own time zone.
    pub time_zone: Option<String>,
    /// Last time the account did anything on Telegram.
    pub last_activity: Option<DateTime<Utc>>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
}

/// A status change made by [`Store::suspend_account`] or [`Store::resume_account`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    /// The account.
    pub id: AccountId,
    /// Its label.
    pub label: String,
    /// The status before.
    pub from: AccountStatus,
    /// The status after (equal to `from` when nothing changed).
    pub to: AccountStatus,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    label: String,
    phone_masked: Option<String>,
    telegram_user_id: Option<i64>,
    status: String,
    status_reason: Option<String>,
    rest_until: Option<DateTime<Utc>>,
    join_flood_until: Option<DateTime<Utc>>,
    post_flood_until: Option<DateTime<Utc>>,
    other_flood_until: Option<DateTime<Utc>>,
    post_cooldown_until: Option<DateTime<Utc>>,
    post_strikes: i32,
    joins_stopped_reason: Option<String>,
    join_next_at: Option<DateTime<Utc>>,
    activity_next_at: Option<DateTime<Utc>>,
    proxy: Option<String>,
    time_zone: Option<String>,
    last_activity: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;

    fn try_from(row: AccountRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: AccountId(row.id),
            status: decode_status("accounts.status", &row.status)?,
            label: row.label,
            phone_masked: row.phone_masked,
            telegram_user_id: row.telegram_user_id,
            status_reason: row.status_reason,
            rest_until: row.rest_until,
            join_flood_until: row.join_flood_until,
            post_flood_until: row.post_flood_until,
            other_flood_until: row.other_flood_until,
            post_cooldown_until: row.post_cooldown_until,
            post_strikes: row.post_strikes,
            joins_stopped_reason: row.joins_stopped_reason,
            join_next_at: row.join_next_at,
            activity_next_at: row.activity_next_at,
            proxy: row.proxy.map(SecretString::from),
            time_zone: row.time_zone,
            last_activity: row.last_activity,
            created_at: row.created_at,
        })
    }
}

macro_rules! account_columns {
    () => {
        "id, label, phone_masked, telegram_user_id, status, status_reason, rest_until,
         join_flood_until, post_flood_until, other_flood_until, post_cooldown_until,
         post_strikes, joins_stopped_reason, join_next_at, activity_next_at, proxy,
         time_zone, last_activity, created_at"
    };
}

macro_rules! select_accounts {
    ($tail:literal) => {
        concat!("SELECT ", account_columns!(), " FROM accounts ", $tail)
    };
}

/// Statuses an operator may resume from.
const RESUMABLE: [AccountStatus; 2] = [AccountStatus::Suspended, AccountStatus::Resting];

pub(crate) fn check_label(label: &str) -> Result<(), StoreError> {
    let valid = (1..=64).contains(&label.len())
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if valid {
        Ok(())
    } else {
        Err(StoreError::invalid(
            format!("account label {label:?}"),
            "use 1-64 characters of A-Z, a-z, 0-9, _, . and -",
        ))
    }
}

pub(crate) fn check_masked(phone_masked: &str) -> Result<(), StoreError> {
    let digits = phone_masked.chars().filter(char::is_ascii_digit).count();
    if digits <= 4 {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "phone number",
            "only masked numbers are stored (tgfleet_domain::mask_phone)",
        ))
    }
}

impl Store {
    /// Creates an account in status `active`.
    ///
    /// Relies on `UNIQUE (label)`: a second account with the same label is refused
    /// with [`StoreError::Invalid`]. Takes no other lock.
    pub async fn create_account(&self, account: &NewAccount) -> Result<Account, StoreError> {
        check_label(&account.label)?;
        if let Some(phone) = &account.phone_masked {
            check_masked(phone)?;
        }
        let inserted = sqlx::query_as::<_, AccountRow>(concat!(
            "INSERT INTO accounts (label, phone_masked, proxy, time_zone)
             VALUES ($1, $2, $3, $4)
             RETURNING ",
            account_columns!()
        ))
        .bind(&account.label)
        .bind(&account.phone_masked)
        .bind(
            account
                .proxy
                .as_ref()
                .map(|proxy| proxy.expose_secret().to_owned()),
        )
        .bind(&account.time_zone)
        .fetch_one(&self.pool)
        .await;
        match inserted {
            Ok(row) => row.try_into(),
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(StoreError::invalid(
                format!("account label {:?}", account.label),
                "already exists",
            )),
            Err(err) => Err(err.into()),
        }
    }

    /// The account with this label, if any. Reads without locking.
    pub async fn account_by_label(&self, label: &str) -> Result<Option<Account>, StoreError> {
        sqlx::query_as::<_, AccountRow>(select_accounts!("WHERE label = $1"))
            .bind(label)
            .fetch_optional(&self.pool)
            .await?
            .map(Account::try_from)
            .transpose()
    }

    /// The account with this id, if any. Reads without locking.
    pub async fn account_by_id(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        sqlx::query_as::<_, AccountRow>(select_accounts!("WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .map(Account::try_from)
            .transpose()
    }

    /// Every account, ordered by label. Reads without locking.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        sqlx::query_as::<_, AccountRow>(select_accounts!("ORDER BY label"))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(Account::try_from)
            .collect()
    }

    /// Sets an account's status and its reason (services use this for `unauthorized`,
    /// `deactivated`, `resting`). Fails with [`StoreError::NotFound`] for an unknown id.
    ///
    /// Locks: a single-row `UPDATE` by primary key; the status trigger notifies
    /// `tgfleet_changes`.
    pub async fn set_account_status(
        &self,
        id: AccountId,
        status: AccountStatus,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let result = sqlx::query(
            "UPDATE accounts SET status = $2, status_reason = $3, updated_at = now() WHERE id = $1",
        )
        .bind(id.0)
        .bind(status.as_str())
        .bind(reason)
        .execute(&self.pool)
        .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::not_found(format!("account {id}")));
        }
        Ok(())
    }

    /// The operator takes an account out of service: status `suspended`, whatever
    /// the services were doing with it (they re-read the status before each unit of
    /// work). Suspending a suspended account changes nothing; a deactivated account
    /// cannot be suspended.
    ///
    /// Locks: the account row `FOR UPDATE` for the check-then-update transaction.
    pub async fn suspend_account(
        &self,
        label: &str,
        reason: Option<&str>,
    ) -> Result<StatusChange, StoreError> {
        self.change_status(label, AccountStatus::Suspended, reason, |from| match from {
            AccountStatus::Deactivated => {
                Err("was deactivated by Telegram; there is nothing to suspend")
            }
            _ => Ok(()),
        })
        .await
    }

    /// The operator puts a suspended or resting account back to work: status
    /// `active`, rest and reason cleared. Any other status is refused with
    /// [`StoreError::Invalid`] naming it.
    ///
    /// Locks: the account row `FOR UPDATE` for the check-then-update transaction.
    pub async fn resume_account(&self, label: &str) -> Result<StatusChange, StoreError> {
        self.change_status(label, AccountStatus::Active, None, |from| {
            if RESUMABLE.contains(&from) {
                Ok(())
            } else {
                Err("only suspended or resting accounts can be resumed")
            }
        })
        .await
    }

    async fn change_status(
        &self,
        label: &str,
        to: AccountStatus,
        reason: Option<&str>,
        allowed: impl FnOnce(AccountStatus) -> Result<(), &'static str>,
    ) -> Result<StatusChange, StoreError> {
        let mut tx = self.pool.begin().await?;
        let current: Option<(i64, String)> =
            sqlx::query_as("SELECT id, status FROM accounts WHERE label = $1 FOR UPDATE")
                .bind(label)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((id, from)) = current else {
            return Err(StoreError::not_found(format!("account {label:?}")));
        };
        let from: AccountStatus = decode_status("accounts.status", &from)?;
        let change = StatusChange {
            id: AccountId(id),
            label: label.to_owned(),
            from,
            to,
        };
        allowed(from).map_err(|reason| {
            StoreError::invalid(format!("account {label:?} is {from}"), reason)
        })?;
        if from == to {
            return Ok(change);
        }
        sqlx::query(
            "UPDATE accounts
                SET status = $2,
                    status_reason = $3,
                    rest_until = CASE WHEN $2 = 'active' THEN NULL ELSE rest_until END,
                    updated_at = now()
              WHERE id = $1",
        )
        .bind(id)
        .bind(to.as_str())
        .bind(reason)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(change)
    }
}
