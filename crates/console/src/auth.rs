//! Who is calling: an operator's browser session (cookie) or an API token (bearer),
//! and whether the call may write. Writes by a session must carry the session's CSRF
//! token (form field `csrf`, header `X-CSRF-Token`); tokens are not ambient
//! credentials and need none. Every extractor here fails closed.

use crate::error::ApiError;
use crate::secrets::{digest, same};
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use chrono::Utc;
use std::net::SocketAddr;
use tgfleet_store::{NewAudit, TokenScope};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "tgfleet_session";
/// The pre-login CSRF cookie's name (double submit on the login form).
pub const LOGIN_COOKIE: &str = "tgfleet_login";
/// The CSRF header of scripted writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Caller {
    /// Who.
    pub who: Principal,
    /// The client's address (`ip:port`), for the audit trail.
    pub source: String,
}

/// The credential a caller presented.
#[derive(Clone, Debug)]
pub enum Principal {
    /// A browser session.
    Operator {
        /// The operator's name.
        name: String,
        /// The session's CSRF token (rendered into forms).
        csrf: String,
    },
    /// An API token.
    Token {
        /// The token's name.
        name: String,
        /// Its scope.
        scope: TokenScope,
    },
}

impl Caller {
    /// `operator:NAME` or `token:NAME`.
    pub fn actor(&self) -> String {
        match &self.who {
            Principal::Operator { name, .. } => format!("operator:{name}"),
            Principal::Token { name, .. } => format!("token:{name}"),
        }
    }

    /// The CSRF token to embed in forms (sessions only).
    pub fn csrf(&self) -> &str {
        match &self.who {
            Principal::Operator { csrf, .. } => csrf,
            Principal::Token { .. } => "",
        }
    }

    /// An audit entry for a write by this caller, now.
    pub fn audit(&self, action: &str, target: Option<String>, detail: Option<String>) -> NewAudit {
        NewAudit {
            at: Utc::now(),
            actor: self.actor(),
            action: action.to_owned(),
            target,
            source_addr: self.source.clone(),
            detail,
        }
    }
}

/// The client's address as the connection saw it.
pub fn source_of(parts: &Parts) -> String {
    ClientAddr::of(parts)
        .0
        .map_or_else(|| "unknown".to_owned(), |addr| addr.to_string())
}

/// The client's address, when the server was started with connect info.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub Option<SocketAddr>);

impl ClientAddr {
    fn of(parts: &Parts) -> Self {
        Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts))
    }
}

/// The value of cookie `name`, if sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/, Secure when configured.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_secs}{secure}")
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<Caller>, ApiError> {
    let source = source_of(parts);
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(ApiError::unauthorized)?;
        let Some(token) = state
            .store
            .use_api_token(&digest(token.trim()), Utc::now())
            .await?
        else {
            tracing::warn!(source = %source, "console: unknown or revoked API token refused");
            return Ok(None);
        };
        return Ok(Some(Caller {
            who: Principal::Token {
                name: token.name,
                scope: token.scope,
            },
            source,
        }));
    }
    let Some(id) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let session = state
        .store
        .session_by_digest(&digest(id), Utc::now())
        .await?;
    Ok(session.map(|session| Caller {
        who: Principal::Operator {
            name: session.operator.name,
            csrf: session.csrf_token,
        },
        source,
    }))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let caller = authenticate(parts, state)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

impl OptionalFromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        authenticate(parts, state).await
    }
}

/// A caller allowed to write: a write-scoped token, or a session whose request
/// carries its CSRF token (checked by [`crate::csrf`] before the handler runs).
#[derive(Clone, Debug)]
pub struct Writer(pub Caller);

impl FromRequestParts<AppState> for Writer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller =
            <Caller as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        match &caller.who {
            Principal::Token { scope, .. } if scope < &TokenScope::Write => Err(
                ApiError::forbidden("this API token has read scope; writes need a write token"),
            ),
            Principal::Token { .. } => Ok(Self(caller)),
            Principal::Operator { csrf, .. } => {
                let checked = parts
                    .extensions
                    .get::<CsrfChecked>()
                    .is_some_and(|checked| same(&checked.0, csrf));
                if checked {
                    Ok(Self(caller))
                } else {
                    Err(ApiError::forbidden("missing or wrong CSRF token"))
                }
            }
        }
    }
}

/// Set by [`crate::csrf::check`] when a request carried a CSRF token: the token, to
/// compare with the session's.
#[derive(Clone, Debug)]
pub struct CsrfChecked(pub String);
