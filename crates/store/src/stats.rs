//! The operator's numbers, read from the same views psql users query.

use crate::{Store, StoreError};
use chrono::NaiveDate;

/// A row of the `posts_per_day` view (the operators' psql query).
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PostsPerDay {
    /// The day, in the database session's time zone.
    pub date: NaiveDate,
    /// Sent + failed.
    pub total: i64,
    /// Sent.
    pub successful: i64,
    /// Failed.
    pub failed: i64,
    /// Not sent because the pre-check said no.
    pub skipped: i64,
    /// Pending or unknown.
    pub unresolved: i64,
}

/// The `overview` view (the operators' overview query).
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Overview {
    /// Groups with status `active` that can post.
    pub active_groups: i64,
    /// Accounts with status `active`.
    pub active_accounts: i64,
    /// Posts sent today.
    pub posts_today_success: i64,
    /// Posts failed today.
    pub posts_today_failed: i64,
}

impl Store {
    /// The latest `limit` days of the `posts_per_day` view, newest first. Reads
    /// without locking; "today" is the database session's date, as in psql.
    pub async fn posts_per_day(&self, limit: u32) -> Result<Vec<PostsPerDay>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT date, total, successful, failed, skipped, unresolved
               FROM posts_per_day ORDER BY date DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The database session's current date: what the views call "today". Reads
    /// without locking.
    pub async fn database_date(&self) -> Result<NaiveDate, StoreError> {
        Ok(sqlx::query_scalar("SELECT CURRENT_DATE")
            .fetch_one(&self.pool)
            .await?)
    }

    /// The `overview` view. Reads without locking.
    pub async fn overview(&self) -> Result<Overview, StoreError> {
        Ok(sqlx::query_as(
            "SELECT active_groups, active_accounts, posts_today_success, posts_today_failed FROM overview",
        )
        .fetch_one(&self.pool)
        .await?)
    }
}
