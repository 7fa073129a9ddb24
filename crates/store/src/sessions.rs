//! MTProto sessions at rest: the 256-byte auth key sealed with ChaCha20-Poly1305.
//!
//! `account_sessions.auth_key_sealed` = 12-byte random nonce ‖ ciphertext ‖ 16-byte
//! tag. The associated data is the account id (8 bytes, big-endian), so a sealed key
//! copied onto another account's row does not open. The 2FA password of an import
//! (`password_sealed`) is sealed the same way with the account id and `2fa` as
//! associated data, so it never opens as a key nor a key as it.
//! `key_fingerprint` is the SHA-256 of the auth key: one key lives under one label.

use crate::{Store, StoreError};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::{Digest, Sha256};
use std::fmt;
use tgfleet_domain::AccountId;

/// Bytes in an MTProto auth key.
pub const AUTH_KEY_BYTES: usize = 256;
const NONCE_BYTES: usize = 12;
const KEY_BYTES: usize = 32;

/// The AEAD that seals auth keys, built from `sessions.encryption_key`.
/// `Debug` shows nothing of the key.
#[derive(Clone)]
pub struct SessionCipher {
    aead: ChaCha20Poly1305,
}

impl fmt::Debug for SessionCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionCipher { .. }")
    }
}

impl SessionCipher {
    /// Reads a key of 32 bytes in standard base64. The error never quotes the key.
    pub fn from_base64(key: &SecretString) -> Result<Self, StoreError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key.expose_secret().trim())
            .map_err(|_| StoreError::invalid("session encryption key", "is not valid base64"))?;
        let bytes: SecretBox<[u8; KEY_BYTES]> =
            SecretBox::try_init_with(|| <[u8; KEY_BYTES]>::try_from(bytes.as_slice())).map_err(
                |_| {
                    StoreError::invalid(
                        "session encryption key",
                        format!("must decode to {KEY_BYTES} bytes, got {}", bytes.len()),
                    )
                },
            )?;
        Ok(Self {
            aead: ChaCha20Poly1305::new(Key::from_slice(bytes.expose_secret())),
        })
    }

    /// Seals an auth key for `account` under a fresh random nonce.
    pub fn seal(&self, account: AccountId, auth_key: &[u8; AUTH_KEY_BYTES]) -> Vec<u8> {
        self.seal_with(&account.0.to_be_bytes(), auth_key)
    }

    /// Seals a 2FA password for `account` (associated data: the account id and `2fa`).
    pub fn seal_password(&self, account: AccountId, password: &SecretString) -> Vec<u8> {
        self.seal_with(&password_aad(account), password.expose_secret().as_bytes())
    }

    /// Opens what [`SessionCipher::seal_password`] produced for the same account.
    pub fn open_password(
        &self,
        account: AccountId,
        sealed: &[u8],
    ) -> Result<SecretString, StoreError> {
        let clear = self.open_with(account, &password_aad(account), sealed)?;
        let text = String::from_utf8(clear.expose_secret().to_vec()).map_err(|_| {
            StoreError::invalid(format!("2FA password of account {account}"), "is not UTF-8")
        })?;
        Ok(SecretString::from(text))
    }

    fn seal_with(&self, aad: &[u8], msg: &[u8]) -> Vec<u8> {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self
            .aead
            .encrypt(&nonce, Payload { msg, aad })
            .expect("ChaCha20-Poly1305 encryption of a short message cannot fail");
        let mut sealed = Vec::with_capacity(NONCE_BYTES + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    fn open_with(
        &self,
        account: AccountId,
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<SecretBox<[u8]>, StoreError> {
        if sealed.len() <= NONCE_BYTES {
            return Err(StoreError::invalid(
                format!("session of account {account}"),
                "the stored session is truncated",
            ));
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        let clear = self
            .aead
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| StoreError::SessionKeyMismatch { account })?;
        Ok(SecretBox::new(Box::<[u8]>::from(clear)))
    }

    /// Opens what [`SessionCipher::seal`] produced for the same account. A wrong key
    /// (or another account's blob) gives [`StoreError::SessionKeyMismatch`].
    pub fn open(
        &self,
        account: AccountId,
        sealed: &[u8],
    ) -> Result<SecretBox<[u8; AUTH_KEY_BYTES]>, StoreError> {
        let clear = self.open_with(account, &account.0.to_be_bytes(), sealed)?;
        SecretBox::try_init_with(|| <[u8; AUTH_KEY_BYTES]>::try_from(clear.expose_secret()))
            .map_err(|_| {
                StoreError::invalid(
                    format!("session of account {account}"),
                    format!("the auth key is not {AUTH_KEY_BYTES} bytes"),
                )
            })
    }
}

fn password_aad(account: AccountId) -> [u8; 11] {
    let mut aad = [0; 11];
    aad[..8].copy_from_slice(&account.0.to_be_bytes());
    aad[8..].copy_from_slice(b"2fa");
    aad
}

/// The SHA-256 of an auth key (`account_sessions.key_fingerprint`): finds one key
/// under two labels without opening sealed keys. Not secret: it reveals nothing of the key.
pub fn key_fingerprint(auth_key: &[u8; AUTH_KEY_BYTES]) -> [u8; 32] {
    Sha256::digest(auth_key).into()
}

/// An account's MTProto session. `Debug` never shows the auth key.
pub struct StoredSession {
    /// The home data centre.
    pub dc_id: i32,
    /// `ip:port` of the home DC (Telegram's, or tg-sim's on loopback).
    pub server_address: String,
    /// The 256-byte auth key.
    pub auth_key: SecretBox<[u8; AUTH_KEY_BYTES]>,
    /// Where it came from: `login`, `telethon-file`, `pyrogram-string`, `tg-sim`, …
    pub source: String,
}

impl fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSession")
            .field("dc_id", &self.dc_id)
            .field("server_address", &self.server_address)
            .field("auth_key", &"[REDACTED]")
            .field("source", &self.source)
            .finish()
    }
}

impl Clone for StoredSession {
    fn clone(&self) -> Self {
        Self {
            dc_id: self.dc_id,
            server_address: self.server_address.clone(),
            auth_key: SecretBox::new(Box::new(*self.auth_key.expose_secret())),
            source: self.source.clone(),
        }
    }
}

impl Store {
    /// Stores (or replaces) the session of `account`, sealed with `cipher`.
    ///
    /// Relies on the primary key `account_sessions (account_id)`: `INSERT .. ON
    /// CONFLICT (account_id) DO UPDATE`, one row per account. Locks that row.
    pub async fn save_session(
        &self,
        account: AccountId,
        session: &StoredSession,
        cipher: &SessionCipher,
    ) -> Result<(), StoreError> {
        let result = upsert_session(&self.pool, account, session, cipher).await;
        match result {
            Ok(_) => Ok(()),
            Err(StoreError::Database(sqlx::Error::Database(db)))
                if db.is_foreign_key_violation() =>
            {
                Err(StoreError::not_found(format!("account {account}")))
            }
            Err(StoreError::Database(sqlx::Error::Database(db))) if db.is_unique_violation() => {
                Err(StoreError::invalid(
                    format!("session of account {account}"),
                    "this auth key is already the session of another account (one key, one label)",
                ))
            }
            Err(err) => Err(err),
        }
    }

    /// The session of `account`, opened with `cipher`; `None` when it has none.
    /// A different key gives [`StoreError::SessionKeyMismatch`]. Reads without locking.
    pub async fn load_session(
        &self,
        account: AccountId,
        cipher: &SessionCipher,
    ) -> Result<Option<StoredSession>, StoreError> {
        let row: Option<(i32, String, Vec<u8>, String)> = sqlx::query_as(
            "SELECT dc_id, server_address, auth_key_sealed, source
               FROM account_sessions WHERE account_id = $1",
        )
        .bind(account.0)
        .fetch_optional(&self.pool)
        .await?;
        let Some((dc_id, server_address, sealed, source)) = row else {
            return Ok(None);
        };
        Ok(Some(StoredSession {
            dc_id,
            server_address,
            auth_key: cipher.open(account, &sealed)?,
            source,
        }))
    }
}

/// `INSERT .. ON CONFLICT (account_id) DO UPDATE` of a sealed session and its key
/// fingerprint (`UNIQUE`: another account's key fails with a unique violation), on any executor
/// (the pool, or a transaction of a larger operation).
pub(crate) async fn upsert_session<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    account: AccountId,
    session: &StoredSession,
    cipher: &SessionCipher,
) -> Result<(), StoreError> {
    let sealed = cipher.seal(account, session.auth_key.expose_secret());
    sqlx::query(
        "INSERT INTO account_sessions
                (account_id, dc_id, server_address, auth_key_sealed, source, key_fingerprint)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (account_id) DO UPDATE
            SET dc_id = EXCLUDED.dc_id,
                server_address = EXCLUDED.server_address,
                auth_key_sealed = EXCLUDED.auth_key_sealed,
                source = EXCLUDED.source,
                key_fingerprint = EXCLUDED.key_fingerprint,
                updated_at = now()",
    )
    .bind(account.0)
    .bind(session.dc_id)
    .bind(&session.server_address)
    .bind(&sealed)
    .bind(&session.source)
    .bind(&key_fingerprint(session.auth_key.expose_secret())[..])
    .execute(executor)
    .await?;
    Ok(())
}
