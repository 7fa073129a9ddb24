//! Authorization: the auth key registry and the login flow.
//!
//! Every account has a pre-shared key ([`World::preshared_auth_key`]) bound to
//! it from the start, so a harness can write it into a stored session and skip
//! the login. Keys made by a DH exchange are registered unbound and get bound by
//! `auth.signIn` (and, with 2FA, by a password check that tg-sim performs with SRP).

use super::{KeyState, World, find_by_phone};
use crate::derive::{self, Tag};
use crate::error::{RpcError, names};
use crate::secret::{AuthKey, Secret};
use crate::types::{SentCode, UserId, UserInfo};
use chrono::{DateTime, Utc};

impl World {
    /// Registers a key created by a DH exchange (idempotent; a bound key stays bound).
    pub fn register_auth_key(&mut self, key_id: i64) {
        self.keys.entry(key_id).or_insert(KeyState::Unbound);
    }

    /// Whether the key was ever registered (or is a pre-shared key).
    pub fn is_auth_key_known(&self, key_id: i64) -> bool {
        self.keys.contains_key(&key_id)
    }

    /// The user a key is logged in as, checked on every request:
    /// AUTH_KEY_UNREGISTERED for unknown, unbound or revoked keys,
    /// USER_DEACTIVATED_BAN for deactivated accounts.
    pub fn authorize(&self, now: DateTime<Utc>, key_id: i64) -> Result<UserId, RpcError> {
        let unregistered = || RpcError::unauthorized(names::AUTH_KEY_UNREGISTERED);
        let Some(KeyState::Bound {
            account,
            revoked_at,
        }) = self.keys.get(&key_id)
        else {
            return Err(unregistered());
        };
        if revoked_at.is_some_and(|at| at <= now) {
            return Err(unregistered());
        }
        let account = &self.accounts[*account];
        if account.is_deactivated(now) {
            return Err(RpcError::unauthorized(names::USER_DEACTIVATED_BAN));
        }
        Ok(UserId(account.user_id))
    }

    /// `auth.sendCode`: registers the key if needed and "sends" the account's
    /// scenario code. PHONE_NUMBER_INVALID for unknown numbers,
    /// PHONE_NUMBER_BANNED for deactivated accounts.
    pub fn auth_send_code(
        &mut self,
        now: DateTime<Utc>,
        key_id: i64,
        phone: &str,
    ) -> Result<SentCode, RpcError> {
        let account = find_by_phone(&self.by_phone, phone)
            .ok_or_else(|| RpcError::bad_request(names::PHONE_NUMBER_INVALID))?;
        let acting = &mut self.accounts[account];
        if acting.is_deactivated(now) {
            return Err(RpcError::bad_request(names::PHONE_NUMBER_BANNED));
        }
        acting.codes_sent += 1;
        let parts = [
            key_id.cast_unsigned(),
            acting.user_id.cast_unsigned(),
            acting.codes_sent,
        ];
        let phone_code_hash = derive::base64url(self.seed, Tag::PhoneCodeHash, &parts, 18);
        let code_length = acting.code.expose().len() as u32;
        self.keys.insert(
            key_id,
            KeyState::CodeSent {
                account,
                phone_code_hash: phone_code_hash.clone(),
            },
        );
        Ok(SentCode {
            phone_code_hash,
            code_length,
        })
    }

    /// `auth.signIn`: binds the key to the account when the code is right, or
    /// answers SESSION_PASSWORD_NEEDED when the account has 2FA.
    /// PHONE_CODE_EXPIRED when no code was sent to this key for this number
    /// with this hash, PHONE_CODE_INVALID for a wrong code.
    pub fn auth_sign_in(
        &mut self,
        now: DateTime<Utc>,
        key_id: i64,
        phone: &str,
        phone_code_hash: &str,
        code: &str,
    ) -> Result<UserInfo, RpcError> {
        let expected = find_by_phone(&self.by_phone, phone);
        let account = match self.keys.get(&key_id) {
            Some(KeyState::CodeSent {
                account,
                phone_code_hash: sent,
            }) if Some(*account) == expected && sent == phone_code_hash => *account,
            _ => return Err(RpcError::bad_request(names::PHONE_CODE_EXPIRED)),
        };
        let acting = &self.accounts[account];
        if acting.is_deactivated(now) {
            return Err(RpcError::bad_request(names::PHONE_NUMBER_BANNED));
        }
        if acting.code.expose() != code {
            return Err(RpcError::bad_request(names::PHONE_CODE_INVALID));
        }
        if acting.password.is_some() {
            self.keys
                .insert(key_id, KeyState::PasswordNeeded { account });
            return Err(RpcError::unauthorized(names::SESSION_PASSWORD_NEEDED));
        }
        Ok(self.bind(key_id, account))
    }

    /// The 2FA password the key's pending login waits for, so that tg-sim can
    /// run the SRP exchange (`account.getPassword`, `auth.checkPassword`).
    /// `None` unless `auth.signIn` answered SESSION_PASSWORD_NEEDED for this key.
    pub fn pending_login_password(&self, key_id: i64) -> Option<&Secret> {
        match self.keys.get(&key_id)? {
            KeyState::PasswordNeeded { account } => self.accounts[*account].password.as_ref(),
            _ => None,
        }
    }

    /// The account whose login waits for its 2FA password on this key (after
    /// `auth.signIn` answered SESSION_PASSWORD_NEEDED), so that tg-sim can cache
    /// the account's SRP verifier.
    pub fn pending_login_user(&self, key_id: i64) -> Option<UserId> {
        match self.keys.get(&key_id)? {
            KeyState::PasswordNeeded { account } => Some(UserId(self.accounts[*account].user_id)),
            _ => None,
        }
    }

    /// The 2FA password of an account, if it has one.
    pub fn account_password(&self, user: UserId) -> Option<&Secret> {
        let account = *self.by_user.get(&user.0)?;
        self.accounts[account].password.as_ref()
    }

    /// Completes a 2FA login after tg-sim verified the SRP proof of
    /// `auth.checkPassword`: binds the key. AUTH_RESTART when the key is not
    /// waiting for a password.
    pub fn auth_check_password(
        &mut self,
        now: DateTime<Utc>,
        key_id: i64,
    ) -> Result<UserInfo, RpcError> {
        let Some(KeyState::PasswordNeeded { account }) = self.keys.get(&key_id) else {
            return Err(RpcError::new(500, names::AUTH_RESTART));
        };
        let account = *account;
        if self.accounts[account].is_deactivated(now) {
            return Err(RpcError::unauthorized(names::USER_DEACTIVATED_BAN));
        }
        Ok(self.bind(key_id, account))
    }

    /// `auth.logOut`: the key is no longer logged in. Answers whether it was.
    pub fn auth_log_out(&mut self, key_id: i64) -> bool {
        let was_bound = matches!(self.keys.get(&key_id), Some(KeyState::Bound { .. }));
        if self.keys.contains_key(&key_id) {
            self.keys.insert(key_id, KeyState::Unbound);
        }
        was_bound
    }

    /// Revokes a key's session from `at` on (as when the user terminates it
    /// from another device): its calls answer AUTH_KEY_UNREGISTERED.
    pub fn revoke_auth_key(&mut self, key_id: i64, at: DateTime<Utc>) {
        if let Some(KeyState::Bound { revoked_at, .. }) = self.keys.get_mut(&key_id) {
            *revoked_at = Some(at);
        }
    }

    /// Deactivates (bans) an account from `at` on.
    pub fn deactivate_account(&mut self, user: UserId, at: DateTime<Utc>) {
        if let Some(&account) = self.by_user.get(&user.0) {
            self.accounts[account].deactivated_at = Some(at);
        }
    }

    /// Limits an account for spam from `at` on (see
    /// [`crate::AccountSpec::spam_limited_from`]).
    pub fn limit_for_spam(&mut self, user: UserId, at: DateTime<Utc>) {
        if let Some(&account) = self.by_user.get(&user.0) {
            self.accounts[account].spam_limited_from = Some(at);
        }
    }

    /// The group's admins restrict the account (a member) from sending until `until`
    /// (`None`: until lifted), as `channels.editBanned` with `until_date` does.
    pub fn restrict_member(
        &mut self,
        user: UserId,
        channel_id: i64,
        until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) {
        let (Some(&account), Some(&group)) =
            (self.by_user.get(&user.0), self.by_channel.get(&channel_id))
        else {
            return;
        };
        let relation = self.relation_mut(account, group, now);
        relation.restricted = true;
        relation.restricted_until = until;
    }

    /// Freezes an account from `at` on (see [`crate::AccountSpec::frozen_from`]).
    pub fn freeze_account(&mut self, user: UserId, at: DateTime<Utc>) {
        if let Some(&account) = self.by_user.get(&user.0) {
            self.accounts[account].frozen_from = Some(at);
        }
    }

    /// The pre-shared auth key of the account labelled `label` (the same as
    /// [`crate::Scenario::preshared_auth_key`]).
    pub fn preshared_auth_key(&self, label: &str) -> Option<&AuthKey> {
        let account = *self.by_label.get(label)?;
        Some(&self.accounts[account].preshared_key)
    }

    /// The pre-shared key with this id, so that a server can decrypt messages
    /// sent with a key it never exchanged (the harness wrote it into a session).
    pub fn preshared_auth_key_by_id(&self, key_id: i64) -> Option<&AuthKey> {
        let account = *self.preshared_by_id.get(&key_id)?;
        Some(&self.accounts[account].preshared_key)
    }

    fn bind(&mut self, key_id: i64, account: usize) -> UserInfo {
        self.keys.insert(
            key_id,
            KeyState::Bound {
                account,
                revoked_at: None,
            },
        );
        self.user_info(account)
    }
}
