//! `/api/v1/events`: the event log filtered by service, kind (action), outcome,
//! account, group and time, and a live stream as Server-Sent Events fed by
//! LISTEN/NOTIFY on `tgfleet_events`.

use super::query::Params;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use serde::Serialize;
use std::convert::Infallible;
use std::time::Duration;
use tgfleet_store::{EventQuery, EventRow};
use tokio::sync::broadcast::error::RecvError;

/// The largest page of the feed.
pub const MAX_EVENTS: u32 = 1000;
/// How often a stream re-reads even without a notification.
const STREAM_POLL: Duration = Duration::from_secs(5);

/// An event as shown.
#[derive(Clone, Debug, Serialize)]
pub struct EventView {
    /// Primary key (increasing; the stream's `id:`).
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Which service.
    pub service: String,
    /// The account.
    pub account: Option<String>,
    /// The group.
    pub group: Option<String>,
    /// What was attempted (the kind).
    pub action: String,
    /// How it ended.
    pub outcome: String,
    /// FloodWait seconds.
    pub flood_wait_secs: Option<i32>,
    /// RPC error or other detail.
    pub detail: Option<String>,
}

impl From<EventRow> for EventView {
    fn from(row: EventRow) -> Self {
        Self {
            id: row.id,
            at: row.at,
            service: row.service,
            account: row.account,
            group: row.group_handle,
            action: row.action,
            outcome: row.outcome,
            flood_wait_secs: row.flood_wait_secs,
            detail: row.detail,
        }
    }
}

/// Reads `service`, `kind`, `outcome`, `account`, `group`, `since` and `limit`
/// (1-1000, default 100).
pub fn query_of(params: &Params) -> Result<EventQuery, ApiError> {
    Ok(EventQuery {
        service: params.text("service"),
        action: params.text("kind"),
        outcome: params.text("outcome"),
        account: params.text("account"),
        group: params
            .text("group")
            .map(|group| group.trim_start_matches('@').to_lowercase()),
        since: params.instant("since")?,
        after_id: params.parsed::<i64>("after")?,
        limit: params.bounded("limit", 100, MAX_EVENTS)?,
    })
}

/// The events matching `query`, newest first.
pub async fn event_views(state: &AppState, query: &EventQuery) -> Result<Vec<EventView>, ApiError> {
    Ok(state
        .store
        .event_feed(query)
        .await?
        .into_iter()
        .map(EventView::from)
        .collect())
}

/// `GET /api/v1/events`
pub async fn list(
    _: Caller,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Vec<EventView>>, ApiError> {
    event_views(&state, &query_of(&params)?).await.map(Json)
}

/// `GET /api/v1/events/stream`: Server-Sent Events (`event: tgfleet`, `id:` the event
/// id, `data:` the event as JSON), with the filters of the feed. Starts after
/// `Last-Event-ID` when the browser reconnects, else after the newest event.
pub async fn stream(
    _: Caller,
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let mut query = query_of(&params)?;
    let resume = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<i64>().ok());
    let cursor = match resume {
        Some(id) => id,
        None => {
            let newest = EventQuery {
                limit: 1,
                ..EventQuery::default()
            };
            state
                .store
                .event_feed(&newest)
                .await?
                .first()
                .map_or(0, |row| row.id)
        }
    };
    query.after_id = Some(cursor);
    query.since = None;
    let signal = state.live.subscribe();
    let stream = futures_util::stream::unfold(
        (state, query, signal, Vec::<EventView>::new()),
        |(state, mut query, mut signal, mut pending)| async move {
            loop {
                if let Some(view) = pending.pop() {
                    let event = Event::default()
                        .event("tgfleet")
                        .id(view.id.to_string())
                        .json_data(&view)
                        .unwrap_or_default();
                    return Some((Ok(event), (state, query, signal, pending)));
                }
                tokio::select! {
                    received = signal.recv() => {
                        if matches!(received, Err(RecvError::Closed)) {
                            return None;
                        }
                    }
                    () = tokio::time::sleep(STREAM_POLL) => {}
                }
                match state.store.event_feed(&query).await {
                    Ok(rows) => {
                        if let Some(newest) = rows.first() {
                            query.after_id = Some(newest.id);
                        }
                        // newest first: popping from the end sends them oldest first
                        pending = rows.into_iter().map(EventView::from).collect();
                    }
                    Err(error) => tracing::warn!(%error, "console: live feed read failed"),
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
