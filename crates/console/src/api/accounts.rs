//! `/api/v1/accounts`: the fleet with what each account may do now, and suspend /
//! resume (running services re-read the status; the status trigger notifies them).

use super::events::EventView;
use crate::auth::{Caller, Writer};
use crate::error::ApiError;
use crate::payload;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tgfleet_store::{Account, AccountToday, StatusChange};

/// An account as the console shows it. No session, no full phone number, no proxy
/// credentials.
#[derive(Clone, Debug, Serialize)]
pub struct AccountView {
    /// The label.
    pub label: String,
    /// `active`, `suspended`, `resting`, `unauthorized` or `deactivated`.
    pub status: String,
    /// Why the status was set.
    pub status_reason: Option<String>,
    /// What holds it back now: `resting`, `cool-down`, `join-flood-wait`,
    /// `post-flood-wait`, `flood-wait`, `joins-stopped` (empty: free to work).
    pub conditions: Vec<&'static str>,
    /// The masked phone number.
    pub phone: Option<String>,
    /// The proxy without credentials.
    pub proxy: Option<String>,
    /// End of a rest.
    pub rest_until: Option<DateTime<Utc>>,
    /// End of a join FloodWait.
    pub join_flood_until: Option<DateTime<Utc>>,
    /// End of a posting FloodWait.
    pub post_flood_until: Option<DateTime<Utc>>,
    /// End of another FloodWait.
    pub other_flood_until: Option<DateTime<Utc>>,
    /// End of a spam-block cool-down.
    pub post_cooldown_until: Option<DateTime<Utc>>,
    /// Last activity.
    pub last_activity: Option<DateTime<Utc>>,
    /// Groups joined today.
    pub joins_today: i64,
    /// Posts sent today.
    pub posts_today: i64,
    /// FloodWaits today.
    pub flood_waits_today: i64,
    /// The replica holding its lease, if any.
    pub leased_by: Option<String>,
}

/// `scheme://host:port` of a proxy URL, without user and password.
pub fn mask_proxy(proxy: &str) -> String {
    match proxy.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://{host}")
        }
        None => proxy
            .rsplit_once('@')
            .map_or(proxy, |(_, host)| host)
            .to_owned(),
    }
}

impl AccountView {
    /// The view of `account` at `now` with today's numbers.
    pub fn new(account: Account, today: Option<&AccountToday>, now: DateTime<Utc>) -> Self {
        let future = |at: Option<DateTime<Utc>>| at.is_some_and(|at| at > now);
        let mut conditions = Vec::new();
        for (until, word) in [
            (account.rest_until, "resting"),
            (account.post_cooldown_until, "cool-down"),
            (account.join_flood_until, "join-flood-wait"),
            (account.post_flood_until, "post-flood-wait"),
            (account.other_flood_until, "flood-wait"),
        ] {
            if future(until) {
                conditions.push(word);
            }
        }
        if account.joins_stopped_reason.is_some() {
            conditions.push("joins-stopped");
        }
        let today = today.cloned().unwrap_or_default();
        Self {
            label: account.label,
            status: account.status.to_string(),
            status_reason: account.status_reason,
            conditions,
            phone: account.phone_masked,
            proxy: account
                .proxy
                .as_ref()
                .map(|proxy| mask_proxy(proxy.expose_secret())),
            rest_until: account.rest_until,
            join_flood_until: account.join_flood_until,
            post_flood_until: account.post_flood_until,
            other_flood_until: account.other_flood_until,
            post_cooldown_until: account.post_cooldown_until,
            last_activity: account.last_activity,
            joins_today: today.joins_today,
            posts_today: today.posts_today,
            flood_waits_today: today.flood_waits_today,
            leased_by: today.leased_by,
        }
    }
}

/// Every account's view, by label.
pub async fn account_views(state: &AppState) -> Result<Vec<AccountView>, ApiError> {
    let now = Utc::now();
    let accounts = state.store.list_accounts().await?;
    let today: HashMap<i64, AccountToday> = state
        .store
        .accounts_today(now)
        .await?
        .into_iter()
        .map(|row| (row.account_id, row))
        .collect();
    Ok(accounts
        .into_iter()
        .map(|account| {
            let numbers = today.get(&account.id.0);
            AccountView::new(account, numbers, now)
        })
        .collect())
}

/// One account with its latest events.
#[derive(Debug, Serialize)]
pub struct AccountDetail {
    /// The account.
    pub account: AccountView,
    /// Its latest 50 events, newest first.
    pub events: Vec<EventView>,
}

/// The detail of the account labelled `label`.
pub async fn account_detail(state: &AppState, label: &str) -> Result<AccountDetail, ApiError> {
    let account = state
        .store
        .account_by_label(label)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("account {label:?}")))?;
    let id = account.id;
    let today = state.store.accounts_today(Utc::now()).await?;
    let numbers = today.iter().find(|row| row.account_id == id.0);
    let events = state.store.recent_events_of(Some(id), None, 50).await?;
    Ok(AccountDetail {
        account: AccountView::new(account, numbers, Utc::now()),
        events: events.into_iter().map(EventView::from).collect(),
    })
}

/// `GET /api/v1/accounts`
pub async fn list(
    _: Caller,
    State(state): State<AppState>,
) -> Result<Json<Vec<AccountView>>, ApiError> {
    account_views(&state).await.map(Json)
}

/// `GET /api/v1/accounts/{label}`
pub async fn detail(
    _: Caller,
    State(state): State<AppState>,
    Path(label): Path<String>,
) -> Result<Json<AccountDetail>, ApiError> {
    account_detail(&state, &label).await.map(Json)
}

/// `POST /api/v1/accounts/{label}/suspend` body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuspendRequest {
    /// Why (kept as the status reason).
    pub reason: Option<String>,
}

/// A status change.
#[derive(Debug, Serialize)]
pub struct StatusChangeView {
    /// The account.
    pub label: String,
    /// Before.
    pub from: String,
    /// After.
    pub to: String,
}

impl From<StatusChange> for StatusChangeView {
    fn from(change: StatusChange) -> Self {
        Self {
            label: change.label,
            from: change.from.to_string(),
            to: change.to.to_string(),
        }
    }
}

/// Suspends `label` for `writer` (audited).
pub async fn suspend_account(
    state: &AppState,
    writer: &Writer,
    label: &str,
    reason: Option<String>,
) -> Result<StatusChangeView, ApiError> {
    let reason = reason
        .map(|reason| reason.trim().to_owned())
        .filter(|r| !r.is_empty());
    if reason
        .as_ref()
        .is_some_and(|reason| reason.chars().count() > 200)
    {
        return Err(ApiError::field("reason", "at most 200 characters"));
    }
    let reason = reason.unwrap_or_else(|| format!("by {}", writer.0.actor()));
    let change = state.store.suspend_account(label, Some(&reason)).await?;
    state
        .store
        .record_audit(
            &writer
                .0
                .audit("account.suspend", Some(label.to_owned()), Some(reason)),
        )
        .await?;
    Ok(change.into())
}

/// Resumes `label` for `writer` (audited).
pub async fn resume_account(
    state: &AppState,
    writer: &Writer,
    label: &str,
) -> Result<StatusChangeView, ApiError> {
    let change = state.store.resume_account(label).await?;
    state
        .store
        .record_audit(
            &writer
                .0
                .audit("account.resume", Some(label.to_owned()), None),
        )
        .await?;
    Ok(change.into())
}

/// `POST /api/v1/accounts/{label}/suspend`
pub async fn suspend(
    writer: Writer,
    State(state): State<AppState>,
    Path(label): Path<String>,
    body: Bytes,
) -> Result<Json<StatusChangeView>, ApiError> {
    let request: SuspendRequest = if body.is_empty() {
        SuspendRequest::default()
    } else {
        payload::parse(&body)?
    };
    let reason = request.reason;
    suspend_account(&state, &writer, &label, reason)
        .await
        .map(Json)
}

/// `POST /api/v1/accounts/{label}/resume`
pub async fn resume(
    writer: Writer,
    State(state): State<AppState>,
    Path(label): Path<String>,
) -> Result<Json<StatusChangeView>, ApiError> {
    resume_account(&state, &writer, &label).await.map(Json)
}

#[cfg(test)]
mod tests {
    use super::mask_proxy;

    #[test]
    fn proxy_credentials_are_dropped() {
        assert_eq!(
            mask_proxy("socks5://bob:hunter2@10.0.0.1:1080"),
            "socks5://10.0.0.1:1080"
        );
        assert_eq!(
            mask_proxy("socks5://10.0.0.1:1080"),
            "socks5://10.0.0.1:1080"
        );
        assert_eq!(mask_proxy("bob:pw@host:1"), "host:1");
    }
}
