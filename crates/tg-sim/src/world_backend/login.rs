//! Sign-in against the world: `auth.sendCode`, `auth.signIn`, `account.getPassword`,
//! `auth.checkPassword` (SRP with the scenario's password), `auth.logOut`.
//!
//! The world decides codes, key bindings and bans; the SRP exchange happens here. Each
//! account's verifier is derived once (PBKDF2 is slow on purpose) and cached, outside the
//! world's lock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use grammers_tl_types as tl;
use tg_world::{Secret, UserId, names};

use super::{WorldBackend, key_of, objects};
use crate::backend::{CallContext, RpcCall, RpcError, RpcResponse};
use crate::crypto::AuthKeyId;
use crate::shapes;
use crate::srp::{PasswordVerifier, PendingChallenges, no_password};

/// SRP state: cached verifiers per account, the open challenge per key.
#[derive(Debug, Default)]
pub(super) struct Login {
    verifiers: Mutex<HashMap<UserId, Arc<OnceLock<PasswordVerifier>>>>,
    challenges: PendingChallenges<AuthKeyId>,
}

impl Login {
    /// Runs `use_verifier` with the account's verifier, derived on first use (without
    /// holding any lock but the account's own cell).
    fn with_verifier<T>(
        &self,
        user: UserId,
        password: &Secret,
        use_verifier: impl FnOnce(&PasswordVerifier) -> T,
    ) -> T {
        let cell = Arc::clone(
            self.verifiers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(user)
                .or_default(),
        );
        use_verifier(
            cell.get_or_init(|| PasswordVerifier::derive(password.expose().as_bytes(), None)),
        )
    }
}

/// Serves the sign-in methods.
pub(super) fn serve(
    backend: &WorldBackend,
    ctx: &CallContext,
    call: &RpcCall,
) -> Option<RpcResponse> {
    let key = ctx.auth_key_id;
    call.serve(|request| send_code(backend, key, request))
        .or_else(|| call.serve(|request| sign_in(backend, key, request)))
        .or_else(|| call.serve(|_: tl::functions::account::GetPassword| get_password(backend, key)))
        .or_else(|| call.serve(|request| check_password(backend, key, request)))
        .or_else(|| {
            call.serve(|_: tl::functions::auth::LogOut| {
                backend.lock().auth_log_out(key_of(key));
                Ok(shapes::logged_out())
            })
        })
}

fn send_code(
    backend: &WorldBackend,
    key: AuthKeyId,
    request: tl::functions::auth::SendCode,
) -> Result<tl::enums::auth::SentCode, RpcError> {
    let now = backend.now();
    let sent = backend
        .lock()
        .auth_send_code(now, key_of(key), &request.phone_number)?;
    let length = i32::try_from(sent.code_length).unwrap_or(i32::MAX);
    Ok(shapes::sent_code(sent.phone_code_hash, length))
}

fn sign_in(
    backend: &WorldBackend,
    key: AuthKeyId,
    request: tl::functions::auth::SignIn,
) -> Result<tl::enums::auth::Authorization, RpcError> {
    let code = request
        .phone_code
        .filter(|code| !code.is_empty())
        .ok_or_else(|| RpcError::new(400, "PHONE_CODE_EMPTY"))?;
    let now = backend.now();
    let me = backend.lock().auth_sign_in(
        now,
        key_of(key),
        &request.phone_number,
        &request.phone_code_hash,
        &code,
    )?;
    Ok(shapes::authorization(objects::user(&me, true)))
}

/// The password a key's login waits for, or else the signed-in account's own password.
fn password_of(
    backend: &WorldBackend,
    key: AuthKeyId,
) -> Result<Option<(UserId, Secret)>, RpcError> {
    let now = backend.now();
    let world = backend.lock();
    let user = match world.pending_login_user(key_of(key)) {
        Some(user) => user,
        None => world.authorize(now, key_of(key))?,
    };
    Ok(world
        .account_password(user)
        .map(|password| (user, password.clone())))
}

fn get_password(
    backend: &WorldBackend,
    key: AuthKeyId,
) -> Result<tl::enums::account::Password, RpcError> {
    let password = match password_of(backend, key)? {
        Some((user, password)) => backend.login.with_verifier(user, &password, |verifier| {
            backend.login.challenges.issue(key, verifier)
        }),
        None => no_password(),
    };
    Ok(tl::enums::account::Password::Password(password))
}

fn check_password(
    backend: &WorldBackend,
    key: AuthKeyId,
    request: tl::functions::auth::CheckPassword,
) -> Result<tl::enums::auth::Authorization, RpcError> {
    let pending = backend.lock().pending_login_user(key_of(key));
    let Some(user) = pending else {
        return Err(RpcError::new(400, names::AUTH_RESTART));
    };
    let password = backend
        .lock()
        .account_password(user)
        .cloned()
        .ok_or_else(|| RpcError::new(400, names::AUTH_RESTART))?;
    backend.login.with_verifier(user, &password, |verifier| {
        backend
            .login
            .challenges
            .check(&key, &request.password, verifier)
    })?;
    let now = backend.now();
    let me = backend.lock().auth_check_password(now, key_of(key))?;
    Ok(shapes::authorization(objects::user(&me, true)))
}
