//! Interactive sign-in of a user account: login code, then the 2FA password when the
//! account has one. The session is the account's stored one when it has one (an
//! imported or provisioned key, or an earlier partial login), otherwise a fresh one
//! whose key grammers generates against Telegram's data centres; either way it is
//! saved (sealed) as soon as its key is known. A 2FA password stored with an imported
//! session (JSON sidecar or `2fa.txt`) is tried before the operator is asked.

use crate::connector::check_proxy_url;
use crate::error::map_invocation_error;
use crate::pool::{PoolOptions, StartedPool};
use crate::session::PgSession;
use async_trait::async_trait;
use grammers_client::SignInError;
use grammers_client::client::{LoginToken, PasswordToken};
use grammers_mtsender::InvocationError;
use grammers_tl_types as tl;
use secrecy::{ExposeSecret, SecretString};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tgfleet_store::{Account, SessionCipher, Store, StoreError};
use tgfleet_telegram::TgError;

/// Attempts allowed for the code and for the password. When the prompts run out of
/// input after a refused attempt, the refusal is the error.
pub const MAX_ATTEMPTS: u32 = 3;

/// Where the login code and the 2FA password come from (a terminal without echo, or
/// lines of stdin). `None` means the operator gave nothing more (end of input).
#[async_trait]
pub trait LoginPrompts: Send + Sync {
    /// The login code Telegram sent to the account's devices.
    async fn code(&self) -> Result<Option<SecretString>, String>;
    /// The account's 2FA password (`hint` as Telegram gives it).
    async fn password(&self, hint: Option<&str>) -> Result<Option<SecretString>, String>;
    /// A line for the operator (never a secret).
    fn note(&self, line: &str);
}

/// What a login needs. `phone` and `api_hash` are secrets: never logged.
#[derive(Debug)]
pub struct LoginRequest<'a> {
    /// The store holding the account's session.
    pub store: &'a Store,
    /// Seals the session at rest.
    pub cipher: &'a SessionCipher,
    /// The account to sign in (created by the caller).
    pub account: &'a Account,
    /// The full phone number.
    pub phone: &'a SecretString,
    /// `telegram.api_id`.
    pub api_id: i32,
    /// `telegram.api_hash`.
    pub api_hash: &'a SecretString,
    /// Bound on each request (`telegram.request_timeout_secs`).
    pub request_timeout: Duration,
}

/// A successful login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedIn {
    /// Telegram's user id.
    pub user_id: i64,
    /// The stored session was already signed in; no code was asked for.
    pub already_authorized: bool,
}

/// Why a login failed. Messages never contain the phone, code, password or api_hash.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Every code attempt was refused (wrong or expired).
    #[error("the login code was not accepted (wrong or expired)")]
    InvalidCode,
    /// Every password attempt was refused.
    #[error("the 2FA password was not accepted")]
    InvalidPassword,
    /// The phone number has no Telegram account.
    #[error("this phone number has no Telegram account; sign up with an official app first")]
    SignUpRequired,
    /// The operator gave no code or password.
    #[error("no {0} was given")]
    NoInput(&'static str),
    /// Reading the code or password failed.
    #[error("cannot read the {what}: {reason}")]
    Prompt {
        /// `login code` or `2FA password`.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The account's proxy URL is unusable.
    #[error("account {label}: {reason}")]
    Proxy {
        /// The account.
        label: String,
        /// Why (the URL is not quoted).
        reason: String,
    },
    /// Telegram (or the connection) refused a step.
    #[error("{step} failed: {error}")]
    Telegram {
        /// The step, e.g. `requesting the login code`.
        step: &'static str,
        /// The port's classification.
        error: TgError,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Signs `request.account` in, asking `prompts` for the code and password.
/// The caller records the outcome (status, user id) in the store.
pub async fn log_in(
    request: &LoginRequest<'_>,
    prompts: &dyn LoginPrompts,
) -> Result<LoggedIn, LoginError> {
    let account = request.account;
    let session = match PgSession::load(request.store, request.cipher, account.id).await? {
        Some(session) => session,
        None => PgSession::fresh(
            request.store.clone(),
            request.cipher.clone(),
            account.id,
            "login",
        ),
    };
    if let Some(proxy) = &account.proxy {
        check_proxy_url(proxy).map_err(|reason| LoginError::Proxy {
            label: account.label.clone(),
            reason,
        })?;
    }
    // The device the account will present from now on: its stored set, or one picked
    // now. A fresh session has no row to store it on yet: the pick is stored once the
    // login saved the session, unless another writer stored a set first.
    let stored = crate::device::account_device(request.store, account.id, None).await?;
    let device = stored
        .clone()
        .unwrap_or_else(|| crate::device::candidate(None, account.id, None));
    let options = PoolOptions {
        proxy_url: account.proxy.as_ref().map(|p| p.expose_secret().to_owned()),
        use_ipv6: session.uses_ipv6(),
        device: Some(device.clone()),
    };
    let pool = StartedPool::start(Arc::new(session), request.api_id, options, &account.label);
    let outcome = Login {
        request,
        pool: &pool,
        prompts,
    }
    .run()
    .await;
    pool.quit().await;
    if stored.is_none() && outcome.is_ok() {
        request.store.ensure_device(account.id, &device).await?;
    }
    outcome
}

struct Login<'a> {
    request: &'a LoginRequest<'a>,
    pool: &'a StartedPool,
    prompts: &'a dyn LoginPrompts,
}

impl Login<'_> {
    async fn run(&self) -> Result<LoggedIn, LoginError> {
        if let Some(user_id) = self.signed_in_user().await? {
            return Ok(LoggedIn {
                user_id,
                already_authorized: true,
            });
        }
        let token = self.request_code().await?;
        let user = match self.submit_code(&token).await? {
            SignedIn::User(user_id) => user_id,
            SignedIn::PasswordNeeded(password) => self.submit_password(password).await?,
        };
        Ok(LoggedIn {
            user_id: user,
            already_authorized: false,
        })
    }

    async fn bounded<T, E>(
        &self,
        step: &'static str,
        call: impl Future<Output = Result<T, E>>,
    ) -> Result<Result<T, E>, LoginError> {
        tokio::time::timeout(self.request.request_timeout, call)
            .await
            .map_err(|_| LoginError::Telegram {
                step,
                error: TgError::transient(format!(
                    "no answer within {}s",
                    self.request.request_timeout.as_secs_f32()
                )),
            })
    }

    fn telegram(&self, step: &'static str, error: &InvocationError) -> LoginError {
        let error = match self.pool.health.panic() {
            Some(panic) => TgError::transient(format!("the connection runner panicked: {panic}")),
            None => map_invocation_error(error),
        };
        LoginError::Telegram { step, error }
    }

    /// The user behind the session, or `None` when it is not signed in.
    async fn signed_in_user(&self) -> Result<Option<i64>, LoginError> {
        const STEP: &str = "connecting and checking the session";
        let request = tl::functions::users::GetUsers {
            id: vec![tl::enums::InputUser::UserSelf],
        };
        match self
            .bounded(STEP, self.pool.client.invoke(&request))
            .await?
        {
            Ok(users) => Ok(users.first().map(tl::enums::User::id)),
            Err(InvocationError::Rpc(rpc)) if rpc.code == 401 => Ok(None),
            Err(error) => Err(self.telegram(STEP, &error)),
        }
    }

    async fn request_code(&self) -> Result<LoginToken, LoginError> {
        const STEP: &str = "requesting the login code";
        let call = self.pool.client.request_login_code(
            self.request.phone.expose_secret(),
            self.request.api_hash.expose_secret(),
        );
        let token = self
            .bounded(STEP, call)
            .await?
            .map_err(|error| self.telegram(STEP, &error))?;
        self.prompts
            .note("Telegram sent a login code to the account's devices.");
        Ok(token)
    }

    async fn submit_code(&self, token: &LoginToken) -> Result<SignedIn, LoginError> {
        const STEP: &str = "signing in";
        for attempt in 1..=MAX_ATTEMPTS {
            let asked = self.prompts.code().await;
            let code = answer("login code", attempt, LoginError::InvalidCode, asked)?;
            let call = self.pool.client.sign_in(token, code.expose_secret().trim());
            match self.bounded(STEP, call).await? {
                Ok(user) => return Ok(SignedIn::User(user.raw.id())),
                Err(SignInError::PasswordRequired(password)) => {
                    return Ok(SignedIn::PasswordNeeded(password));
                }
                Err(SignInError::InvalidCode) if attempt < MAX_ATTEMPTS => {
                    self.prompts.note("That code was not accepted; try again.");
                }
                Err(SignInError::InvalidCode) => return Err(LoginError::InvalidCode),
                Err(SignInError::SignUpRequired) => return Err(LoginError::SignUpRequired),
                Err(SignInError::InvalidPassword(_)) => return Err(LoginError::InvalidPassword),
                Err(SignInError::Other(error)) => return Err(self.telegram(STEP, &error)),
            }
        }
        Err(LoginError::InvalidCode)
    }

    async fn submit_password(&self, mut token: PasswordToken) -> Result<i64, LoginError> {
        const STEP: &str = "checking the 2FA password";
        let account = self.request.account.id;
        if let Some(stored) = self
            .request
            .store
            .load_password(account, self.request.cipher)
            .await?
        {
            let call = self
                .pool
                .client
                .check_password(token, stored.expose_secret().as_bytes());
            match self.bounded(STEP, call).await? {
                Ok(user) => {
                    self.prompts
                        .note("Used the 2FA password stored with the imported session.");
                    return Ok(user.raw.id());
                }
                Err(SignInError::InvalidPassword(again)) => {
                    self.prompts.note(
                        "The 2FA password stored with the imported session was not accepted.",
                    );
                    token = again;
                }
                Err(SignInError::Other(error)) => return Err(self.telegram(STEP, &error)),
                Err(_) => return Err(LoginError::InvalidPassword),
            }
        }
        for attempt in 1..=MAX_ATTEMPTS {
            let hint = token.hint().map(str::to_owned);
            let asked = self.prompts.password(hint.as_deref()).await;
            let password = answer("2FA password", attempt, LoginError::InvalidPassword, asked)?;
            let call = self
                .pool
                .client
                .check_password(token, password.expose_secret().as_bytes());
            match self.bounded(STEP, call).await? {
                Ok(user) => return Ok(user.raw.id()),
                Err(SignInError::InvalidPassword(again)) if attempt < MAX_ATTEMPTS => {
                    self.prompts
                        .note("That password was not accepted; try again.");
                    token = again;
                }
                Err(SignInError::InvalidPassword(_)) => return Err(LoginError::InvalidPassword),
                Err(SignInError::Other(error)) => return Err(self.telegram(STEP, &error)),
                Err(_) => return Err(LoginError::InvalidPassword),
            }
        }
        Err(LoginError::InvalidPassword)
    }
}

/// What the operator answered on `attempt`: the input, or the reason to stop (no
/// input at all, or `refused` when the input ran out after a refused attempt).
fn answer(
    what: &'static str,
    attempt: u32,
    refused: LoginError,
    asked: Result<Option<SecretString>, String>,
) -> Result<SecretString, LoginError> {
    match asked {
        Ok(Some(input)) => Ok(input),
        Ok(None) if attempt == 1 => Err(LoginError::NoInput(what)),
        Ok(None) => Err(refused),
        Err(reason) => Err(LoginError::Prompt { what, reason }),
    }
}

enum SignedIn {
    User(i64),
    PasswordNeeded(PasswordToken),
}
