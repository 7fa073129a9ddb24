//! `/api/v1/reviews`: the group-reviewer's run summaries and "review now" requests
//! (a request row; its insert notifies `tgfleet_changes`, and a running reviewer
//! takes it).

use crate::auth::{Caller, Writer};
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tgfleet_store::{ReviewRequest, ReviewRun};

/// A run's summary.
#[derive(Clone, Debug, Serialize)]
pub struct RunView {
    /// The run.
    pub id: i64,
    /// The replica.
    pub holder: String,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End (`null`: running or interrupted).
    pub finished_at: Option<DateTime<Utc>>,
    /// Groups checked.
    pub checked: Option<u32>,
    /// Groups where the account is a member.
    pub members: Option<u32>,
    /// Groups that can be posted to.
    pub can_post: Option<u32>,
    /// Groups newly banned.
    pub marked_banned: Option<u32>,
    /// Groups newly inaccessible.
    pub marked_inaccessible: Option<u32>,
    /// Failed checks.
    pub errors: Option<u32>,
    /// Left for the next run.
    pub deferred: Option<u32>,
}

impl From<ReviewRun> for RunView {
    fn from(run: ReviewRun) -> Self {
        let totals = run.totals;
        Self {
            id: run.id.0,
            holder: run.holder,
            started_at: run.started_at,
            finished_at: run.finished_at,
            checked: totals.map(|t| t.checked),
            members: totals.map(|t| t.members),
            can_post: totals.map(|t| t.can_post),
            marked_banned: totals.map(|t| t.marked_banned),
            marked_inaccessible: totals.map(|t| t.marked_inaccessible),
            errors: totals.map(|t| t.errors),
            deferred: totals.map(|t| t.deferred),
        }
    }
}

/// A "review now" request.
#[derive(Clone, Debug, Serialize)]
pub struct RequestView {
    /// Its id.
    pub id: i64,
    /// Who asked.
    pub requested_by: String,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// The reviewer replica that took it (`null`: waiting).
    pub picked_by: Option<String>,
    /// When.
    pub picked_at: Option<DateTime<Utc>>,
    /// The run that answered it.
    pub run_id: Option<i64>,
}

impl From<ReviewRequest> for RequestView {
    fn from(request: ReviewRequest) -> Self {
        Self {
            id: request.id,
            requested_by: request.requested_by,
            requested_at: request.requested_at,
            picked_by: request.picked_by,
            picked_at: request.picked_at,
            run_id: request.run_id,
        }
    }
}

/// Runs and requests.
#[derive(Debug, Serialize)]
pub struct ReviewsView {
    /// The latest 30 runs, newest first.
    pub runs: Vec<RunView>,
    /// The latest 30 requests, newest first.
    pub requests: Vec<RequestView>,
}

/// The latest runs and requests.
pub async fn reviews_view(state: &AppState) -> Result<ReviewsView, ApiError> {
    Ok(ReviewsView {
        runs: state
            .store
            .review_runs(30)
            .await?
            .into_iter()
            .map(RunView::from)
            .collect(),
        requests: state
            .store
            .review_requests(30)
            .await?
            .into_iter()
            .map(RequestView::from)
            .collect(),
    })
}

/// `GET /api/v1/reviews`
pub async fn list(_: Caller, State(state): State<AppState>) -> Result<Json<ReviewsView>, ApiError> {
    reviews_view(&state).await.map(Json)
}

/// Asks for a review run now, for `writer` (audited).
pub async fn request_review(state: &AppState, writer: &Writer) -> Result<RequestView, ApiError> {
    let request = state
        .store
        .request_review(&writer.0.actor(), Utc::now())
        .await?;
    state
        .store
        .record_audit(&writer.0.audit(
            "review.request",
            Some(format!("request {}", request.id)),
            None,
        ))
        .await?;
    Ok(request.into())
}

/// `POST /api/v1/reviews`: 202, the reviewer takes it.
pub async fn request(
    writer: Writer,
    State(state): State<AppState>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    let view = request_review(&state, &writer).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}
