//! A small built-in backend: a fixed set of accounts with their login codes and optional 2FA
//! passwords, serving sign-in (`auth.sendCode`, `auth.signIn`, `account.getPassword`,
//! `auth.checkPassword`, `auth.logOut`), `users.getUsers` and `updates.getState`.
//!
//! It keeps which user each auth key is signed in as, the way a real backend must: the wire
//! hands it the key id of every call in [`CallContext::auth_key_id`].

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use grammers_tl_types as tl;
use sha2::{Digest, Sha256};

use crate::backend::{Backend, CallContext, RpcCall, RpcError, RpcResponse};
use crate::crypto::{AuthKeyId, random_i64};
use crate::shapes::{self, UserFields};
use crate::srp::{PasswordVerifier, PendingChallenges, no_password};

/// Length of the login codes the demo accounts accept.
const LOGIN_CODE_LEN: i32 = 5;

/// One account of the demo backend.
pub struct DemoAccount {
    /// Telegram user id.
    pub user_id: i64,
    /// Access hash other users would need to address it.
    pub access_hash: i64,
    /// Display name.
    pub first_name: String,
    /// Public username, without `@`.
    pub username: Option<String>,
    /// Phone number in international format (`+15550000001`).
    pub phone: String,
    /// The login code `auth.signIn` accepts.
    pub login_code: String,
    /// The 2FA password, if the account has one.
    pub two_factor: Option<TwoFactor>,
}

impl fmt::Debug for DemoAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoAccount")
            .field("user_id", &self.user_id)
            .field("username", &self.username)
            .field("phone", &mask_phone(&self.phone))
            .field("two_factor", &self.two_factor.is_some())
            .finish_non_exhaustive()
    }
}

/// A 2FA password; its SRP verifier is derived (slowly) on first use.
pub struct TwoFactor {
    password: String,
    hint: Option<String>,
    verifier: OnceLock<PasswordVerifier>,
}

impl TwoFactor {
    /// A 2FA password with an optional hint.
    pub fn new(password: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            password: password.into(),
            hint,
            verifier: OnceLock::new(),
        }
    }

    fn verifier(&self) -> &PasswordVerifier {
        self.verifier
            .get_or_init(|| PasswordVerifier::derive(self.password.as_bytes(), self.hint.clone()))
    }
}

impl fmt::Debug for TwoFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwoFactor")
            .field("hint", &self.hint)
            .finish_non_exhaustive()
    }
}

/// The built-in backend. See the module docs.
#[derive(Debug)]
pub struct DemoBackend {
    accounts: Vec<DemoAccount>,
    sign_ins: Mutex<SignIns>,
    challenges: PendingChallenges<AuthKeyId>,
}

#[derive(Debug, Default)]
struct SignIns {
    /// Which user each key is signed in as.
    signed_in: HashMap<AuthKeyId, i64>,
    /// Keys that passed the login code of a 2FA account and now owe the password.
    awaiting_password: HashMap<AuthKeyId, i64>,
    /// Outstanding `phone_code_hash` values and the user they were sent for.
    sent_codes: HashMap<String, i64>,
}

impl DemoBackend {
    /// A backend serving `accounts`, none signed in.
    pub fn new(accounts: Vec<DemoAccount>) -> Self {
        Self {
            accounts,
            sign_ins: Mutex::new(SignIns::default()),
            challenges: PendingChallenges::default(),
        }
    }

    /// `count` generated accounts: see [`demo_account`].
    pub fn with_generated_accounts(count: u32) -> Self {
        Self::new((0..count).map(demo_account).collect())
    }

    /// The accounts served.
    pub fn accounts(&self) -> &[DemoAccount] {
        &self.accounts
    }

    /// Signs `key` in as `user_id` without a login (a pre-authorized session).
    pub fn sign_in(&self, key: AuthKeyId, user_id: i64) {
        self.lock().signed_in.insert(key, user_id);
    }

    /// The user `key` is signed in as.
    pub fn signed_in_user(&self, key: AuthKeyId) -> Option<i64> {
        self.lock().signed_in.get(&key).copied()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SignIns> {
        self.sign_ins
            .lock()
            .expect("sign-in lock is never poisoned")
    }

    fn account(&self, user_id: i64) -> Option<&DemoAccount> {
        self.accounts.iter().find(|a| a.user_id == user_id)
    }

    fn send_code(
        &self,
        request: tl::functions::auth::SendCode,
    ) -> Result<tl::enums::auth::SentCode, RpcError> {
        let phone = normalize_phone(&request.phone_number);
        let account = self
            .accounts
            .iter()
            .find(|a| normalize_phone(&a.phone) == phone)
            .ok_or_else(|| RpcError::new(400, "PHONE_NUMBER_INVALID"))?;
        let phone_code_hash = format!("{:016x}", random_i64());
        self.lock()
            .sent_codes
            .insert(phone_code_hash.clone(), account.user_id);
        Ok(shapes::sent_code(phone_code_hash, LOGIN_CODE_LEN))
    }

    fn sign_in_with_code(
        &self,
        key: AuthKeyId,
        request: tl::functions::auth::SignIn,
    ) -> Result<tl::enums::auth::Authorization, RpcError> {
        let mut sign_ins = self.lock();
        let user_id = *sign_ins
            .sent_codes
            .get(&request.phone_code_hash)
            .ok_or_else(|| RpcError::new(400, "PHONE_CODE_EXPIRED"))?;
        let account = self
            .account(user_id)
            .expect("codes are sent to known accounts");
        if normalize_phone(&account.phone) != normalize_phone(&request.phone_number) {
            return Err(RpcError::new(400, "PHONE_CODE_EXPIRED"));
        }
        match request.phone_code.as_deref() {
            None | Some("") => return Err(RpcError::new(400, "PHONE_CODE_EMPTY")),
            Some(code) if code != account.login_code => {
                return Err(RpcError::new(400, "PHONE_CODE_INVALID"));
            }
            Some(_) => {}
        }
        sign_ins.sent_codes.remove(&request.phone_code_hash);
        if account.two_factor.is_some() {
            sign_ins.awaiting_password.insert(key, user_id);
            return Err(RpcError::new(401, "SESSION_PASSWORD_NEEDED"));
        }
        sign_ins.signed_in.insert(key, user_id);
        Ok(authorization(account))
    }

    fn get_password(&self, key: AuthKeyId) -> Result<tl::enums::account::Password, RpcError> {
        let user_id = {
            let sign_ins = self.lock();
            sign_ins
                .awaiting_password
                .get(&key)
                .or_else(|| sign_ins.signed_in.get(&key))
                .copied()
                .ok_or_else(RpcError::auth_key_unregistered)?
        };
        let account = self.account(user_id).expect("sign-ins name known accounts");
        let password = match &account.two_factor {
            Some(two_factor) => self.challenges.issue(key, two_factor.verifier()),
            None => no_password(),
        };
        Ok(tl::enums::account::Password::Password(password))
    }

    fn check_password(
        &self,
        key: AuthKeyId,
        request: tl::functions::auth::CheckPassword,
    ) -> Result<tl::enums::auth::Authorization, RpcError> {
        let user_id = self
            .lock()
            .awaiting_password
            .get(&key)
            .copied()
            .ok_or_else(RpcError::auth_key_unregistered)?;
        let account = self.account(user_id).expect("sign-ins name known accounts");
        let two_factor = account
            .two_factor
            .as_ref()
            .expect("only 2FA accounts await a password");
        self.challenges
            .check(&key, &request.password, two_factor.verifier())?;
        let mut sign_ins = self.lock();
        sign_ins.awaiting_password.remove(&key);
        sign_ins.signed_in.insert(key, user_id);
        Ok(authorization(account))
    }

    fn get_users(
        &self,
        me: &DemoAccount,
        request: tl::functions::users::GetUsers,
    ) -> Vec<tl::enums::User> {
        request
            .id
            .iter()
            .filter_map(|input| match input {
                tl::enums::InputUser::UserSelf => Some(user_object(me, true)),
                tl::enums::InputUser::User(user) => self
                    .account(user.user_id)
                    .filter(|account| account.access_hash == user.access_hash)
                    .map(|account| user_object(account, account.user_id == me.user_id)),
                _ => None,
            })
            .collect()
    }

    fn handle_signed_in(&self, me: &DemoAccount, call: &RpcCall) -> RpcResponse {
        if let Some(response) =
            call.serve(|request: tl::functions::users::GetUsers| Ok(self.get_users(me, request)))
        {
            return response;
        }
        if let Some(response) =
            call.serve(|_: tl::functions::updates::GetState| Ok(updates_state()))
        {
            return response;
        }
        Err(RpcError::method_invalid(call))
    }
}

impl Backend for DemoBackend {
    fn handle(&self, ctx: &CallContext, call: &RpcCall) -> RpcResponse {
        let key = ctx.auth_key_id;
        if let Some(response) = call.serve(|request| self.send_code(request)) {
            return response;
        }
        if let Some(response) = call.serve(|request| self.sign_in_with_code(key, request)) {
            return response;
        }
        if let Some(response) =
            call.serve(|_: tl::functions::account::GetPassword| self.get_password(key))
        {
            return response;
        }
        if let Some(response) = call.serve(|request| self.check_password(key, request)) {
            return response;
        }
        if let Some(response) = call.serve(|_: tl::functions::auth::LogOut| {
            self.lock().signed_in.remove(&key);
            Ok(shapes::logged_out())
        }) {
            return response;
        }
        let Some(me) = self.signed_in_user(key).and_then(|id| self.account(id)) else {
            return Err(RpcError::auth_key_unregistered());
        };
        self.handle_signed_in(me, call)
    }
}

/// The deterministic demo account number `index`: user id `1_000_000 + index`, phone
/// `+1555` followed by the index in 7 digits, username `demo_<index>`, login code `12345`,
/// and for odd indexes the 2FA password `demo-password-<index>`.
pub fn demo_account(index: u32) -> DemoAccount {
    DemoAccount {
        user_id: 1_000_000 + i64::from(index),
        access_hash: i64::from(index).wrapping_mul(0x5851_f42d_4c95_7f2d) | 1,
        first_name: format!("Demo {index}"),
        username: Some(format!("demo_{index}")),
        phone: format!("+1555{index:07}"),
        login_code: "12345".to_owned(),
        two_factor: (index % 2 == 1)
            .then(|| TwoFactor::new(format!("demo-password-{index}"), Some("demo".to_owned()))),
    }
}

/// The deterministic (and therefore not secret) auth key of demo account `index`, for demos
/// and benchmarks only.
pub fn demo_auth_key(index: u32) -> [u8; 256] {
    let mut key = [0u8; 256];
    for (block, chunk) in key.chunks_mut(32).enumerate() {
        let digest = Sha256::new()
            .chain_update(b"tg-sim demo auth key")
            .chain_update(index.to_le_bytes())
            .chain_update((block as u32).to_le_bytes())
            .finalize();
        chunk.copy_from_slice(&digest);
    }
    key
}

/// Masks a phone number for logs: `+62******12`.
pub fn mask_phone(phone: &str) -> String {
    tg_world::Phone::new(phone).masked()
}

fn normalize_phone(phone: &str) -> String {
    shapes::phone_digits(phone)
}

fn authorization(account: &DemoAccount) -> tl::enums::auth::Authorization {
    shapes::authorization(user_object(account, true))
}

fn updates_state() -> tl::enums::updates::State {
    shapes::updates_state(1, unix_now(), 1)
}

/// The `user` object of an account, as its owner (`is_self`) or another user sees it.
pub fn user_object(account: &DemoAccount, is_self: bool) -> tl::enums::User {
    let phone = normalize_phone(&account.phone);
    shapes::user(UserFields {
        id: account.user_id,
        access_hash: account.access_hash,
        first_name: &account.first_name,
        last_name: None,
        username: account.username.as_deref(),
        phone_digits: Some(&phone),
        is_self,
    })
}

fn unix_now() -> i32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i32::try_from(d.as_secs()).unwrap_or(i32::MAX))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tl::{Deserializable, Serializable};

    use super::*;
    use crate::crypto::AuthKey;

    fn ctx(key: AuthKeyId) -> CallContext {
        CallContext {
            auth_key_id: key,
            session_id: 1,
            msg_id: 4,
            connection_id: 1,
            client: None,
        }
    }

    fn call<F: Serializable>(backend: &DemoBackend, key: AuthKeyId, function: &F) -> RpcResponse {
        backend.handle(&ctx(key), &RpcCall::of(function))
    }

    fn send_code(backend: &DemoBackend, key: AuthKeyId, phone: &str) -> String {
        let sent = call(
            backend,
            key,
            &tl::functions::auth::SendCode {
                phone_number: phone.to_owned(),
                api_id: 1,
                api_hash: "x".into(),
                settings: tl::enums::CodeSettings::Settings(tl::types::CodeSettings {
                    allow_flashcall: false,
                    current_number: false,
                    allow_app_hash: false,
                    allow_missed_call: false,
                    allow_firebase: false,
                    unknown_number: false,
                    logout_tokens: None,
                    token: None,
                    app_sandbox: None,
                }),
            },
        )
        .unwrap();
        let tl::enums::auth::SentCode::Code(sent) =
            tl::enums::auth::SentCode::from_bytes(&sent).unwrap()
        else {
            panic!("unexpected sent code");
        };
        sent.phone_code_hash
    }

    fn sign_in(
        backend: &DemoBackend,
        key: AuthKeyId,
        phone: &str,
        hash: &str,
        code: &str,
    ) -> RpcResponse {
        call(
            backend,
            key,
            &tl::functions::auth::SignIn {
                phone_number: phone.to_owned(),
                phone_code_hash: hash.to_owned(),
                phone_code: Some(code.to_owned()),
                email_verification: None,
            },
        )
    }

    #[test]
    fn code_login_binds_the_key_to_the_user() {
        let backend = DemoBackend::with_generated_accounts(2);
        let key = AuthKey::from_bytes(demo_auth_key(0)).id();
        let get_state = tl::functions::updates::GetState {};
        assert_eq!(
            call(&backend, key, &get_state),
            Err(RpcError::auth_key_unregistered())
        );
        let hash = send_code(&backend, key, "+1 555 0000000");
        assert_eq!(
            sign_in(&backend, key, "+15550000000", &hash, "54321"),
            Err(RpcError::new(400, "PHONE_CODE_INVALID"))
        );
        let authorization = sign_in(&backend, key, "+15550000000", &hash, "12345").unwrap();
        let tl::enums::auth::Authorization::Authorization(authorization) =
            tl::enums::auth::Authorization::from_bytes(&authorization).unwrap()
        else {
            panic!("sign-up required");
        };
        assert_eq!(authorization.user.id(), 1_000_000);
        assert_eq!(backend.signed_in_user(key), Some(1_000_000));
        assert!(call(&backend, key, &get_state).is_ok());
        assert_eq!(
            sign_in(&backend, key, "+15550000000", &hash, "12345"),
            Err(RpcError::new(400, "PHONE_CODE_EXPIRED")),
            "a code is used once"
        );
    }

    #[test]
    fn two_factor_accounts_need_the_password() {
        let backend = Arc::new(DemoBackend::with_generated_accounts(2));
        let key = AuthKey::from_bytes(demo_auth_key(1)).id();
        let hash = send_code(&backend, key, "+15550000001");
        assert_eq!(
            sign_in(&backend, key, "+15550000001", &hash, "12345"),
            Err(RpcError::new(401, "SESSION_PASSWORD_NEEDED"))
        );
        assert_eq!(backend.signed_in_user(key), None);
        let password = call(&backend, key, &tl::functions::account::GetPassword {}).unwrap();
        let tl::enums::account::Password::Password(password) =
            tl::enums::account::Password::from_bytes(&password).unwrap();
        assert!(password.has_password);
        assert_eq!(password.hint.as_deref(), Some("demo"));
    }

    #[test]
    fn get_users_answers_self_and_known_users_only() {
        let backend = DemoBackend::with_generated_accounts(3);
        let key = AuthKeyId(77);
        backend.sign_in(key, 1_000_000);
        let other = &backend.accounts()[2];
        let users = call(
            &backend,
            key,
            &tl::functions::users::GetUsers {
                id: vec![
                    tl::enums::InputUser::UserSelf,
                    tl::enums::InputUser::User(tl::types::InputUser {
                        user_id: other.user_id,
                        access_hash: other.access_hash,
                    }),
                    tl::enums::InputUser::User(tl::types::InputUser {
                        user_id: other.user_id,
                        access_hash: 1,
                    }),
                ],
            },
        )
        .unwrap();
        let users = Vec::<tl::enums::User>::from_bytes(&users).unwrap();
        let ids: Vec<i64> = users.iter().map(tl::enums::User::id).collect();
        assert_eq!(ids, [1_000_000, other.user_id]);
    }

    #[test]
    fn unserved_methods_are_input_method_invalid() {
        let backend = DemoBackend::with_generated_accounts(1);
        backend.sign_in(AuthKeyId(1), 1_000_000);
        let request = tl::functions::help::GetNearestDc {};
        assert_eq!(
            call(&backend, AuthKeyId(1), &request),
            Err(RpcError::method_invalid(&RpcCall::of(&request)))
        );
    }

    #[test]
    fn phones_are_masked() {
        assert_eq!(mask_phone("+6281234567812"), "+62*********12");
        assert_eq!(mask_phone("+123"), "****");
        let printed = format!("{:?}", demo_account(3));
        assert!(!printed.contains("5550000003") && !printed.contains("demo-password"));
    }
}
