//! What an imported session brought besides its key: the device it was used from
//! (sent in `initConnection`), the sealed 2FA password, and the per-account session
//! facts `accounts list` shows.

use crate::{SessionCipher, Store, StoreError};
use secrecy::SecretString;
use tgfleet_domain::{AccountId, DeviceProfile};

/// `device_source` of a device set tgfleet picked for an account whose import brought
/// none ([`Store::ensure_device`]).
pub const GENERATED_DEVICE_SOURCE: &str = "generated";

/// The device an account's session was used from: sent in `initConnection` instead
/// of tgfleet's defaults. A field left `None` keeps tgfleet's default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceParams {
    /// The application id the session was created with (`api_id`).
    pub api_id: Option<i32>,
    /// `device_model`.
    pub device_model: Option<String>,
    /// `system_version`.
    pub system_version: Option<String>,
    /// `app_version`.
    pub app_version: Option<String>,
    /// `system_lang_code`.
    pub system_lang_code: Option<String>,
    /// `lang_code`.
    pub lang_code: Option<String>,
    /// Where the parameters came from, e.g. `json sidecar alice.json` or `tdata`.
    pub source: String,
}

impl DeviceParams {
    /// A picked device, to be stored with [`Store::ensure_device`] (`api_id` stays the
    /// configured one).
    pub fn generated(profile: DeviceProfile) -> Self {
        Self {
            api_id: None,
            device_model: Some(profile.device_model.to_owned()),
            system_version: Some(profile.system_version.to_owned()),
            app_version: Some(profile.app_version.to_owned()),
            system_lang_code: Some(profile.system_lang_code.to_owned()),
            lang_code: Some(profile.lang_code.to_owned()),
            source: GENERATED_DEVICE_SOURCE.to_owned(),
        }
    }

    /// Whether every field `initConnection` sends is set (`api_id` may stay the
    /// configured one).
    pub fn is_complete(&self) -> bool {
        self.device_model.is_some()
            && self.system_version.is_some()
            && self.app_version.is_some()
            && self.system_lang_code.is_some()
            && self.lang_code.is_some()
    }
}

/// The session facts of one account, for listings (nothing secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSummary {
    /// The account.
    pub account_id: AccountId,
    /// Where the session came from (`account_sessions.source`).
    pub source: String,
    /// The home data centre.
    pub dc_id: i32,
    /// Where the device parameters came from (`generated`: picked by tgfleet);
    /// `None`: none yet, the first connection picks and stores them.
    pub device_source: Option<String>,
    /// Whether a 2FA password is stored (sealed).
    pub has_password: bool,
}

/// `account_sessions`' device columns, `device_source` NULL meaning none.
#[derive(sqlx::FromRow)]
struct DeviceRow {
    device_api_id: Option<i32>,
    device_model: Option<String>,
    device_system_version: Option<String>,
    device_app_version: Option<String>,
    device_system_lang_code: Option<String>,
    device_lang_code: Option<String>,
    device_source: Option<String>,
}

impl Store {
    /// The session facts of every account that has a session. Reads without locking.
    pub async fn session_summaries(&self) -> Result<Vec<SessionSummary>, StoreError> {
        let rows: Vec<(i64, String, i32, Option<String>, bool)> = sqlx::query_as(
            "SELECT account_id, source, dc_id, device_source, password_sealed IS NOT NULL
               FROM account_sessions ORDER BY account_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(account_id, source, dc_id, device_source, has_password)| SessionSummary {
                    account_id: AccountId(account_id),
                    source,
                    dc_id,
                    device_source,
                    has_password,
                },
            )
            .collect())
    }

    /// The device parameters stored with `account`'s session; `None` when it has no
    /// session or the session came without them. Reads without locking.
    pub async fn load_device(
        &self,
        account: AccountId,
    ) -> Result<Option<DeviceParams>, StoreError> {
        let row: Option<DeviceRow> = sqlx::query_as(
            "SELECT device_api_id, device_model, device_system_version, device_app_version,
                    device_system_lang_code, device_lang_code, device_source
               FROM account_sessions WHERE account_id = $1",
        )
        .bind(account.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|row| {
            row.device_source.map(|source| DeviceParams {
                api_id: row.device_api_id,
                device_model: row.device_model,
                system_version: row.device_system_version,
                app_version: row.device_app_version,
                system_lang_code: row.device_system_lang_code,
                lang_code: row.device_lang_code,
                source,
            })
        }))
    }

    /// The device parameters of `account`, complete: the stored set when it has every
    /// field; otherwise `candidate` fills what is missing, and is stored now: a whole
    /// set where none was stored, the missing fields of a partial one (an import that
    /// brought only some, e.g. `tdata`; its source then reads `<source> + generated`).
    /// A stored field is never replaced. The first writer wins: the `UPDATE` only
    /// touches a row that still misses something (a concurrent writer waits for the
    /// row lock and then finds it complete), and the set read back is the one every
    /// later connection sends, whoever wrote it. `None` when the account has no
    /// session row yet (nothing to store on).
    ///
    /// Locks: `account_sessions` row of `account` (`FOR UPDATE`, through the `UPDATE`),
    /// only while its device is incomplete. Relies on the primary key `(account_id)`.
    pub async fn ensure_device(
        &self,
        account: AccountId,
        candidate: &DeviceParams,
    ) -> Result<Option<DeviceParams>, StoreError> {
        if let Some(stored) = self.load_device(account).await?
            && stored.is_complete()
        {
            return Ok(Some(stored));
        }
        sqlx::query(
            "UPDATE account_sessions
                SET device_api_id = CASE WHEN device_source IS NULL THEN $2
                                         ELSE device_api_id END,
                    device_model = COALESCE(device_model, $3),
                    device_system_version = COALESCE(device_system_version, $4),
                    device_app_version = COALESCE(device_app_version, $5),
                    device_system_lang_code = COALESCE(device_system_lang_code, $6),
                    device_lang_code = COALESCE(device_lang_code, $7),
                    device_source = CASE WHEN device_source IS NULL THEN $8
                                         ELSE device_source || ' + ' || $8 END
              WHERE account_id = $1
                AND (device_source IS NULL OR device_model IS NULL
                     OR device_system_version IS NULL OR device_app_version IS NULL
                     OR device_system_lang_code IS NULL OR device_lang_code IS NULL)",
        )
        .bind(account.0)
        .bind(candidate.api_id)
        .bind(candidate.device_model.as_deref())
        .bind(candidate.system_version.as_deref())
        .bind(candidate.app_version.as_deref())
        .bind(candidate.system_lang_code.as_deref())
        .bind(candidate.lang_code.as_deref())
        .bind(&candidate.source)
        .execute(&self.pool)
        .await?;
        self.load_device(account).await
    }

    /// The 2FA password stored with `account`'s session, opened with `cipher`.
    /// Reads without locking.
    pub async fn load_password(
        &self,
        account: AccountId,
        cipher: &SessionCipher,
    ) -> Result<Option<SecretString>, StoreError> {
        let sealed: Option<Option<Vec<u8>>> = sqlx::query_scalar(
            "SELECT password_sealed FROM account_sessions WHERE account_id = $1",
        )
        .bind(account.0)
        .fetch_optional(&self.pool)
        .await?;
        sealed
            .flatten()
            .map(|sealed| cipher.open_password(account, &sealed))
            .transpose()
    }
}

/// Writes the device parameters and sealed password of an import onto the account's
/// session row (written just before, in the same transaction); `None` clears them.
pub(crate) async fn write_extras(
    conn: &mut sqlx::PgConnection,
    account: AccountId,
    device: Option<&DeviceParams>,
    password: Option<&SecretString>,
    cipher: &SessionCipher,
) -> Result<(), StoreError> {
    let sealed = password.map(|password| cipher.seal_password(account, password));
    sqlx::query(
        "UPDATE account_sessions
            SET device_api_id = $2, device_model = $3, device_system_version = $4,
                device_app_version = $5, device_system_lang_code = $6, device_lang_code = $7,
                device_source = $8, password_sealed = $9
          WHERE account_id = $1",
    )
    .bind(account.0)
    .bind(device.and_then(|d| d.api_id))
    .bind(device.and_then(|d| d.device_model.as_deref()))
    .bind(device.and_then(|d| d.system_version.as_deref()))
    .bind(device.and_then(|d| d.app_version.as_deref()))
    .bind(device.and_then(|d| d.system_lang_code.as_deref()))
    .bind(device.and_then(|d| d.lang_code.as_deref()))
    .bind(device.map(|d| d.source.as_str()))
    .bind(sealed)
    .execute(conn)
    .await?;
    Ok(())
}
