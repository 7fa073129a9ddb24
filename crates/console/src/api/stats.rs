//! `/api/v1/stats`: today's overview and N days of joins, posts by outcome and
//! FloodWaits, read from the psql views (`overview`, `joins_per_day`,
//! `posts_per_day`, `flood_waits_per_day`): the console shows the same numbers.

use super::query::Params;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::Serialize;
use tgfleet_store::{DayNumbers, Overview};

/// The most days one request may ask for.
pub const MAX_DAYS: u32 = 366;

/// The `overview` view.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct OverviewView {
    /// Active groups that can post.
    pub active_groups: i64,
    /// Active accounts.
    pub active_accounts: i64,
    /// Posts sent today.
    pub posts_today_success: i64,
    /// Posts failed today.
    pub posts_today_failed: i64,
}

impl From<Overview> for OverviewView {
    fn from(view: Overview) -> Self {
        Self {
            active_groups: view.active_groups,
            active_accounts: view.active_accounts,
            posts_today_success: view.posts_today_success,
            posts_today_failed: view.posts_today_failed,
        }
    }
}

/// One day.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct DayView {
    /// The day (the database's zone, as in psql).
    pub date: NaiveDate,
    /// Groups joined.
    pub joins: i64,
    /// Posts sent.
    pub posts_sent: i64,
    /// Posts failed.
    pub posts_failed: i64,
    /// Posts skipped by the pre-check.
    pub posts_skipped: i64,
    /// Posts pending or unknown.
    pub posts_unresolved: i64,
    /// FloodWaits.
    pub flood_waits: i64,
}

impl From<DayNumbers> for DayView {
    fn from(day: DayNumbers) -> Self {
        Self {
            date: day.date,
            joins: day.joins,
            posts_sent: day.posts_sent,
            posts_failed: day.posts_failed,
            posts_skipped: day.posts_skipped,
            posts_unresolved: day.posts_unresolved,
            flood_waits: day.flood_waits,
        }
    }
}

/// The numbers.
#[derive(Debug, Serialize)]
pub struct StatsView {
    /// Today.
    pub overview: OverviewView,
    /// The last days, oldest first.
    pub days: Vec<DayView>,
}

/// Today's overview and `days` days.
pub async fn stats_view(state: &AppState, days: u32) -> Result<StatsView, ApiError> {
    // Two independent reads, side by side on the pool.
    let (overview, numbers) =
        tokio::try_join!(state.store.overview(), state.store.daily_numbers(days))?;
    Ok(StatsView {
        overview: overview.into(),
        days: numbers.into_iter().map(DayView::from).collect(),
    })
}

/// `GET /api/v1/stats?days=14`
pub async fn show(
    _: Caller,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<StatsView>, ApiError> {
    let days = params.bounded("days", 14, MAX_DAYS)?;
    stats_view(&state, days).await.map(Json)
}
