//! `/api/v1/accounts/{label}/check`: one account's connectivity, checked by the
//! account's owner. The console never connects: it records a request, a running
//! marketer takes the account's lease (waiting while another service holds it, so
//! never a second connection on the key), calls `whoami` and writes the answer.
//! A check that cannot be done safely is refused with the reason.

use crate::auth::{Caller, Writer};
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use tgfleet_domain::AccountStatus;
use tgfleet_store::AccountCheck;

/// How recent a marketer's heartbeat must be for a check to be taken up.
const MARKETER_SEEN_WITHIN: TimeDelta = TimeDelta::minutes(2);

/// A connectivity check.
#[derive(Clone, Debug, Serialize)]
pub struct CheckView {
    /// Its id.
    pub id: i64,
    /// The account.
    pub account: String,
    /// `waiting`, `ok` or `failed`.
    pub state: String,
    /// Who the account is (`ok`), or why it failed; never a secret or a phone number.
    pub detail: Option<String>,
    /// Who asked.
    pub requested_by: String,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// The replica that answered.
    pub answered_by: Option<String>,
    /// When.
    pub answered_at: Option<DateTime<Utc>>,
}

impl From<AccountCheck> for CheckView {
    fn from(check: AccountCheck) -> Self {
        Self {
            id: check.id.0,
            account: check.account_label,
            state: check.outcome.unwrap_or_else(|| "waiting".to_owned()),
            detail: check.detail,
            requested_by: check.requested_by,
            requested_at: check.requested_at,
            answered_by: check.answered_by,
            answered_at: check.answered_at,
        }
    }
}

/// Asks for a check of `label` for `writer` (audited), or refuses with the reason:
/// an account that is not active or resting is never connected, and without a
/// running marketer nobody would take the request.
pub async fn request_check(
    state: &AppState,
    writer: &Writer,
    label: &str,
) -> Result<CheckView, ApiError> {
    let account = state
        .store
        .account_by_label(label)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("account {label:?}")))?;
    if !matches!(
        account.status,
        AccountStatus::Active | AccountStatus::Resting
    ) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "not checked: {label} is {}, and only an active or resting account is connected (resume it first)",
                account.status
            ),
        ));
    }
    let now = Utc::now();
    let marketers = state
        .store
        .heartbeats(now - MARKETER_SEEN_WITHIN)
        .await?
        .into_iter()
        .filter(|beat| beat.service == "marketer" && beat.stopped_at.is_none())
        .count();
    if marketers == 0 {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not checked: no marketer is running, and only the service that takes the account's lease may connect it",
        ));
    }
    let check = state
        .store
        .request_account_check(account.id, &writer.0.actor(), now)
        .await?;
    state
        .store
        .record_audit(&writer.0.audit(
            "account.check",
            Some(label.to_owned()),
            Some(format!("check {}", check.id)),
        ))
        .await?;
    Ok(check.into())
}

/// The latest ten checks of `label`, newest first.
pub async fn checks_of(state: &AppState, label: &str) -> Result<Vec<CheckView>, ApiError> {
    let account = state
        .store
        .account_by_label(label)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("account {label:?}")))?;
    Ok(state
        .store
        .account_checks(Some(account.id), 10)
        .await?
        .into_iter()
        .map(CheckView::from)
        .collect())
}

/// `POST /api/v1/accounts/{label}/check`: 202, a marketer answers it.
pub async fn request(
    writer: Writer,
    State(state): State<AppState>,
    Path(label): Path<String>,
) -> Result<(StatusCode, Json<CheckView>), ApiError> {
    let view = request_check(&state, &writer, &label).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// `GET /api/v1/accounts/{label}/checks`
pub async fn list(
    _: Caller,
    State(state): State<AppState>,
    Path(label): Path<String>,
) -> Result<Json<Vec<CheckView>>, ApiError> {
    checks_of(&state, &label).await.map(Json)
}
