//! Logging in and out. The login form is protected by a double-submit CSRF cookie;
//! attempts are rate-limited per client address (governor) and every refusal is
//! logged with the name and the address, never the password.

use super::PageError;
use crate::auth::{Caller, ClientAddr, LOGIN_COOKIE, SESSION_COOKIE, cookie, set_cookie};
use crate::error::ApiError;
use crate::secrets::{digest, hash_password, random_token, same, verify_password};
use crate::state::AppState;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, Html, IntoResponse, Redirect, Response};
use chrono::{TimeDelta, Utc};
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;
use tgfleet_store::NewSession;

/// A hash verified when the name is unknown, so that both refusals take as long.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}

fn login_page(state: &AppState, csrf: &str, message: Option<&str>) -> Result<String, ApiError> {
    state.templates.render(
        "login.html",
        minijinja::context! { csrf => csrf, message => message },
    )
}

fn with_login_cookie(state: &AppState, status: StatusCode, html: String, token: &str) -> Response {
    let cookie = set_cookie(LOGIN_COOKIE, token, 3600, state.console().secure_cookies);
    (status, [(header::SET_COOKIE, cookie)], Html(html)).into_response()
}

/// `GET /login`
pub async fn form(
    State(state): State<AppState>,
    caller: Option<Caller>,
) -> Result<Response, PageError> {
    if caller.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let token = random_token();
    let html = login_page(&state, &token, None)?;
    Ok(with_login_cookie(&state, StatusCode::OK, html, &token))
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// `POST /login`
pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    headers: HeaderMap,
    Form(login): Form<LoginForm>,
) -> Result<Response, PageError> {
    let ip = source.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |addr| addr.ip());
    let source_text = source.map_or_else(|| "unknown".to_owned(), |addr| addr.to_string());
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    let retry = random_token();
    if expected.is_empty() || !same(expected, &login.csrf) {
        tracing::warn!(operator = %login.name, source = %source_text, "console: login refused: missing or wrong CSRF token");
        let html = login_page(
            &state,
            &retry,
            Some("The form expired or was not sent by this site. Try again."),
        )?;
        return Ok(with_login_cookie(
            &state,
            StatusCode::FORBIDDEN,
            html,
            &retry,
        ));
    }
    if state.logins.check_key(&ip).is_err() {
        tracing::warn!(operator = %login.name, source = %source_text, "console: login refused: too many attempts");
        let html = login_page(
            &state,
            &retry,
            Some("Too many attempts from this address. Wait a minute."),
        )?;
        return Ok(with_login_cookie(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            html,
            &retry,
        ));
    }
    let credentials = state
        .store
        .operator_credentials(login.name.trim())
        .await
        .map_err(ApiError::from)?;
    let operator = match credentials {
        Some((operator, hash)) if verify_password(&login.password, &hash) => operator,
        refused => {
            if refused.is_none() {
                verify_password(&login.password, dummy_hash());
            }
            tracing::warn!(operator = %login.name, source = %source_text, "console: login refused: wrong name or password");
            let html = login_page(&state, &retry, Some("Wrong name or password."))?;
            return Ok(with_login_cookie(
                &state,
                StatusCode::UNAUTHORIZED,
                html,
                &retry,
            ));
        }
    };
    let session_id = random_token();
    let now = Utc::now();
    let hours = i64::from(state.console().session_hours);
    state
        .store
        .open_session(&NewSession {
            id_digest: &digest(&session_id),
            operator_id: operator.id,
            csrf_token: &random_token(),
            source_addr: &source_text,
            created_at: now,
            expires_at: now + TimeDelta::hours(hours),
        })
        .await
        .map_err(ApiError::from)?;
    tracing::info!(operator = %operator.name, source = %source_text, "console: operator logged in");
    let secure = state.console().secure_cookies;
    let session = set_cookie(SESSION_COOKIE, &session_id, hours * 3600, secure);
    let clear = set_cookie(LOGIN_COOKIE, "", 0, secure);
    Ok((
        StatusCode::SEE_OTHER,
        [(header::LOCATION, "/")],
        AppendHeaders([(header::SET_COOKIE, session), (header::SET_COOKIE, clear)]),
    )
        .into_response())
}

/// `POST /logout` (needs the session's CSRF token, like every form).
pub async fn logout(
    State(state): State<AppState>,
    writer: crate::auth::Writer,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        state
            .store
            .close_session(&digest(id))
            .await
            .map_err(ApiError::from)?;
    }
    tracing::info!(actor = %writer.0.actor(), "console: logged out");
    let clear = set_cookie(SESSION_COOKIE, "", 0, state.console().secure_cookies);
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/login".to_owned()),
            (header::SET_COOKIE, clear),
        ],
    )
        .into_response())
}
