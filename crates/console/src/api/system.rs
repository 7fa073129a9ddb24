//! `/api/v1/heartbeats`, `/api/v1/audit` and `/api/v1/openapi.json`.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// The OpenAPI description of `/api/v1` (checked against [`super::ROUTES`] by a test).
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// A replica missing beats for longer than this is shown as down.
pub const STALE_AFTER: TimeDelta = TimeDelta::seconds(90);

/// A replica and its last 24 hours.
#[derive(Clone, Debug, Serialize)]
pub struct ReplicaView {
    /// The service.
    pub service: String,
    /// The replica's holder name.
    pub holder: String,
    /// The binary's version.
    pub version: String,
    /// The machine.
    pub host: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Its last beat.
    pub last_seen: DateTime<Utc>,
    /// `up`, `stopped` or `down` (no beat for 90 s).
    pub state: &'static str,
    /// Minutes with a beat in each of the last 24 hours, oldest first (0-60).
    pub hours: Vec<i64>,
}

/// Every replica seen in the last 24 hours.
pub async fn replica_views(state: &AppState) -> Result<Vec<ReplicaView>, ApiError> {
    let now = Utc::now();
    let this_hour = now.duration_trunc(TimeDelta::hours(1)).unwrap_or(now);
    let first_hour = this_hour - TimeDelta::hours(23);
    let beats = state.store.beat_hours(first_hour).await?;
    let mut hours: HashMap<&str, Vec<i64>> = HashMap::new();
    for beat in &beats {
        let slot = (beat.hour - first_hour).num_hours();
        if let Ok(slot) = usize::try_from(slot)
            && slot < 24
        {
            hours
                .entry(beat.holder.as_str())
                .or_insert_with(|| vec![0; 24])[slot] = beat.minutes;
        }
    }
    Ok(state
        .store
        .heartbeats(now - TimeDelta::hours(24))
        .await?
        .into_iter()
        .map(|beat| ReplicaView {
            state: if beat.stopped_at.is_some() {
                "stopped"
            } else if now - beat.last_seen > STALE_AFTER {
                "down"
            } else {
                "up"
            },
            hours: hours
                .get(beat.holder.as_str())
                .cloned()
                .unwrap_or_else(|| vec![0; 24]),
            service: beat.service,
            holder: beat.holder,
            version: beat.version,
            host: beat.host,
            started_at: beat.started_at,
            last_seen: beat.last_seen,
        })
        .collect())
}

/// `GET /api/v1/heartbeats`
pub async fn heartbeats(
    _: Caller,
    State(state): State<AppState>,
) -> Result<Json<Vec<ReplicaView>>, ApiError> {
    replica_views(&state).await.map(Json)
}

/// An audit row.
#[derive(Clone, Debug, Serialize)]
pub struct AuditView {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub target: Option<String>,
    /// From where.
    pub source: String,
    /// Details.
    pub detail: Option<String>,
}

/// The latest 200 audit rows.
pub async fn audit_views(state: &AppState) -> Result<Vec<AuditView>, ApiError> {
    Ok(state
        .store
        .recent_audit(200)
        .await?
        .into_iter()
        .map(|entry| AuditView {
            at: entry.at,
            actor: entry.actor,
            action: entry.action,
            target: entry.target,
            source: entry.source_addr,
            detail: entry.detail,
        })
        .collect())
}

/// `GET /api/v1/audit`
pub async fn audit(
    _: Caller,
    State(state): State<AppState>,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    audit_views(&state).await.map(Json)
}

/// `GET /api/v1/openapi.json`
pub async fn openapi(_: Caller) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}
