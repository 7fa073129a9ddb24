//! The console's read models: the fleet board (accounts with today's numbers), the
//! catalogue search, campaign progress per group, the event feed, daily numbers from
//! the psql views, review runs and "review now" requests. Everything here reads
//! without locking except where a function says otherwise.

use crate::groups::GroupRow;
use crate::review::RunRow;
use crate::{Group, ReviewRun, ReviewRunId, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use tgfleet_domain::{AccountId, CampaignId, GroupId, GroupStatus};

/// Today's work of one account and who holds it now.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountToday {
    /// The account.
    pub account_id: i64,
    /// Groups joined today (the database's date, as in the views).
    pub joins_today: i64,
    /// Posts sent today.
    pub posts_today: i64,
    /// FloodWaits today.
    pub flood_waits_today: i64,
    /// The replica holding its lease now, if any.
    pub leased_by: Option<String>,
}

/// Which groups [`Store::search_groups`] returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupSearch {
    /// Only this status.
    pub status: Option<GroupStatus>,
    /// Only groups carrying this tag.
    pub tag: Option<String>,
    /// A piece of the handle or the title (case-insensitive).
    pub text: Option<String>,
    /// Only groups that can (or cannot) be posted to.
    pub can_post: Option<bool>,
    /// At most this many rows.
    pub limit: u32,
    /// Skip this many rows.
    pub offset: u32,
}

/// One (campaign, group): the latest round's post.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TargetProgress {
    /// The group.
    pub group_id: i64,
    /// Its handle.
    pub handle: String,
    /// The round.
    pub round: i64,
    /// `pending`, `sent`, `failed`, `skipped` or `unknown`.
    pub state: String,
    /// Why it was not sent.
    pub error_code: Option<String>,
    /// Claims of this round.
    pub attempts: i32,
    /// When it may be tried again.
    pub retry_at: Option<DateTime<Utc>>,
    /// The account of the last attempt.
    pub account: String,
    /// When the last attempt ended.
    pub completed_at: Option<DateTime<Utc>>,
}

/// Which events [`Store::event_feed`] returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// Only this service.
    pub service: Option<String>,
    /// Only this action (kind), e.g. `join`.
    pub action: Option<String>,
    /// Only this outcome, e.g. `flood_wait`.
    pub outcome: Option<String>,
    /// Only this account (label).
    pub account: Option<String>,
    /// Only this group (handle key).
    pub group: Option<String>,
    /// Only events at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only events with a larger id (the live stream's cursor).
    pub after_id: Option<i64>,
    /// At most this many, newest first.
    pub limit: u32,
}

/// An event with names instead of ids.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRow {
    /// Primary key (increasing).
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Which service.
    pub service: String,
    /// The account's label.
    pub account: Option<String>,
    /// The group's handle.
    pub group_handle: Option<String>,
    /// What was attempted.
    pub action: String,
    /// How it ended.
    pub outcome: String,
    /// FloodWait seconds.
    pub flood_wait_secs: Option<i32>,
    /// RPC error name or other detail.
    pub detail: Option<String>,
}

/// One day of the charts: the `joins_per_day`, `posts_per_day` and
/// `flood_waits_per_day` views side by side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct DayNumbers {
    /// The day (the database session's zone, as in psql).
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

/// A "review now" request.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ReviewRequest {
    /// Primary key.
    pub id: i64,
    /// Who asked.
    pub requested_by: String,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// The reviewer replica that took it.
    pub picked_by: Option<String>,
    /// When it was taken.
    pub picked_at: Option<DateTime<Utc>>,
    /// The run it started.
    pub run_id: Option<i64>,
}

macro_rules! group_search_where {
    () => {
        " WHERE ($1::text IS NULL OR g.status = $1)
                AND ($2::text IS NULL OR $2 = ANY(g.tags))
                AND ($3::text IS NULL OR g.handle ILIKE '%' || $3 || '%' OR g.title ILIKE '%' || $3 || '%')
                AND ($4::boolean IS NULL OR g.can_post = $4) "
    };
}

impl Store {
    /// How many campaigns are active and how many paused (the overview's card: no
    /// post is counted). One `SELECT` over `campaigns`.
    pub async fn campaign_status_counts(&self) -> Result<(i64, i64), StoreError> {
        Ok(sqlx::query_as(
            "SELECT count(*) FILTER (WHERE status = 'active'), count(*) FILTER (WHERE status = 'paused')
               FROM campaigns",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Per account: today's joins, posts and FloodWaits, and its live lease holder.
    pub async fn accounts_today(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<AccountToday>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT a.id AS account_id,
                    coalesce(j.n, 0) AS joins_today,
                    coalesce(p.n, 0) AS posts_today,
                    coalesce(f.n, 0) AS flood_waits_today,
                    l.holder AS leased_by
               FROM accounts a
               LEFT JOIN (SELECT account_id, count(*) AS n FROM memberships
                           WHERE joined_at >= CURRENT_DATE GROUP BY 1) j ON j.account_id = a.id
               LEFT JOIN (SELECT account_id, count(*) AS n FROM posts
                           WHERE state = 'sent' AND sent_at >= CURRENT_DATE GROUP BY 1) p ON p.account_id = a.id
               LEFT JOIN (SELECT account_id, count(*) AS n FROM events
                           WHERE outcome = 'flood_wait' AND at >= CURRENT_DATE GROUP BY 1) f ON f.account_id = a.id
               LEFT JOIN account_leases l ON l.account_id = a.id AND l.expires_at > $1
              ORDER BY a.label",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A page of the catalogue matching `search`, by handle, and how many match.
    pub async fn search_groups(
        &self,
        search: &GroupSearch,
    ) -> Result<(Vec<Group>, i64), StoreError> {
        let text = search
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let rows = sqlx::query_as::<_, GroupRow>(concat!(
            "SELECT g.id, g.handle, g.kind, g.title, g.tags, g.status, g.status_reason, g.can_post,
                    a.label AS responsible_account, g.last_reviewed_at, g.created_at
               FROM groups g LEFT JOIN accounts a ON a.id = g.responsible_account_id",
            group_search_where!(),
            "ORDER BY g.handle LIMIT $5 OFFSET $6"
        ))
        .bind(search.status.map(GroupStatus::as_str))
        .bind(&search.tag)
        .bind(text)
        .bind(search.can_post)
        .bind(i64::from(search.limit))
        .bind(i64::from(search.offset))
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar(concat!(
            "SELECT count(*) FROM groups g",
            group_search_where!()
        ))
        .bind(search.status.map(GroupStatus::as_str))
        .bind(&search.tag)
        .bind(text)
        .bind(search.can_post)
        .fetch_one(&self.pool)
        .await?;
        let groups = rows
            .into_iter()
            .map(Group::try_from)
            .collect::<Result<_, _>>()?;
        Ok((groups, total))
    }

    /// The group with this id, if any.
    pub async fn group_by_id(&self, id: GroupId) -> Result<Option<Group>, StoreError> {
        sqlx::query_as::<_, GroupRow>(
            "SELECT g.id, g.handle, g.kind, g.title, g.tags, g.status, g.status_reason, g.can_post,
                    a.label AS responsible_account, g.last_reviewed_at, g.created_at
               FROM groups g LEFT JOIN accounts a ON a.id = g.responsible_account_id
              WHERE g.id = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .map(Group::try_from)
        .transpose()
    }

    /// Per group of the campaign: its latest round's post, failures first.
    pub async fn campaign_progress(
        &self,
        campaign: CampaignId,
    ) -> Result<Vec<TargetProgress>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT DISTINCT ON (p.group_id)
                    p.group_id, g.handle, p.round, p.state, p.error_code, p.attempts, p.retry_at,
                    a.label AS account, p.completed_at
               FROM posts p
               JOIN groups g ON g.id = p.group_id
               JOIN accounts a ON a.id = p.account_id
              WHERE p.campaign_id = $1
              ORDER BY p.group_id, p.round DESC",
        )
        .bind(campaign.0)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The campaign with this id, if any.
    pub async fn campaign_name(&self, campaign: CampaignId) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT name FROM campaigns WHERE id = $1")
                .bind(campaign.0)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Events matching `query`, newest first.
    pub async fn event_feed(&self, query: &EventQuery) -> Result<Vec<EventRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT e.id, e.at, e.service, a.label AS account, g.handle AS group_handle,
                    e.action, e.outcome, e.flood_wait_secs, e.detail
               FROM events e
               LEFT JOIN accounts a ON a.id = e.account_id
               LEFT JOIN groups g ON g.id = e.group_id
              WHERE ($1::text IS NULL OR e.service = $1)
                AND ($2::text IS NULL OR e.action = $2)
                AND ($3::text IS NULL OR e.outcome = $3)
                AND ($4::text IS NULL OR a.label = $4)
                AND ($5::text IS NULL OR g.handle = $5)
                AND ($6::timestamptz IS NULL OR e.at >= $6)
                AND ($7::bigint IS NULL OR e.id > $7)
              ORDER BY e.id DESC LIMIT $8",
        )
        .bind(&query.service)
        .bind(&query.action)
        .bind(&query.outcome)
        .bind(&query.account)
        .bind(&query.group)
        .bind(query.since)
        .bind(query.after_id)
        .bind(i64::from(query.limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The latest `limit` events of one account or group, newest first.
    pub async fn recent_events_of(
        &self,
        account: Option<AccountId>,
        group: Option<GroupId>,
        limit: u32,
    ) -> Result<Vec<EventRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT e.id, e.at, e.service, a.label AS account, g.handle AS group_handle,
                    e.action, e.outcome, e.flood_wait_secs, e.detail
               FROM events e
               LEFT JOIN accounts a ON a.id = e.account_id
               LEFT JOIN groups g ON g.id = e.group_id
              WHERE ($1::bigint IS NULL OR e.account_id = $1)
                AND ($2::bigint IS NULL OR e.group_id = $2)
              ORDER BY e.at DESC, e.id DESC LIMIT $3",
        )
        .bind(account.map(|id| id.0))
        .bind(group.map(|id| id.0))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The last `days` days up to the database's today, oldest first: the numbers of
    /// the views `joins_per_day`, `posts_per_day` and `flood_waits_per_day` (days
    /// without rows are zeros). Joins and FloodWaits are counted as those views count
    /// them, over the days' range only (`memberships_joined_at_idx`,
    /// `events_flood_wait_at_idx`) rather than grouping every row of the views.
    pub async fn daily_numbers(&self, days: u32) -> Result<Vec<DayNumbers>, StoreError> {
        Ok(sqlx::query_as(
            "WITH first AS (SELECT CURRENT_DATE - ($1::int - 1) AS day),
                  j AS (SELECT date(joined_at) AS date, count(*) AS joins FROM memberships, first
                         WHERE joined_at IS NOT NULL AND joined_at >= first.day::timestamptz
                         GROUP BY 1),
                  f AS (SELECT date(at) AS date, count(*) AS flood_waits FROM events, first
                         WHERE outcome = 'flood_wait' AND at >= first.day::timestamptz
                         GROUP BY 1)
             SELECT d::date AS date,
                    coalesce(j.joins, 0) AS joins,
                    coalesce(p.successful, 0) AS posts_sent,
                    coalesce(p.failed, 0) AS posts_failed,
                    coalesce(p.skipped, 0) AS posts_skipped,
                    coalesce(p.unresolved, 0) AS posts_unresolved,
                    coalesce(f.flood_waits, 0) AS flood_waits
               FROM first, generate_series(first.day, CURRENT_DATE, interval '1 day') AS d
               LEFT JOIN j ON j.date = d::date
               LEFT JOIN posts_per_day p ON p.date = d::date
               LEFT JOIN f ON f.date = d::date
              ORDER BY 1",
        )
        .bind(i32::try_from(days.max(1)).unwrap_or(i32::MAX))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The latest `limit` review runs, newest first.
    pub async fn review_runs(&self, limit: u32) -> Result<Vec<ReviewRun>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            #[sqlx(flatten)]
            run: RunRow,
        }
        let rows = sqlx::query_as::<_, Row>(
            "SELECT id, holder, started_at, finished_at, checked, members, can_post, marked_banned,
                    marked_inaccessible, errors, deferred, skipped
               FROM review_runs ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| row.run.into_run(ReviewRunId(row.id)))
            .collect())
    }

    /// Asks the group-reviewer for a run now; the insert trigger notifies
    /// `tgfleet_changes` with `review_requests`. Takes no lock.
    pub async fn request_review(
        &self,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<ReviewRequest, StoreError> {
        Ok(sqlx::query_as(
            "INSERT INTO review_requests (requested_by, requested_at) VALUES ($1, $2)
             RETURNING id, requested_by, requested_at, picked_by, picked_at, run_id",
        )
        .bind(by)
        .bind(now)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Takes every open review request for `holder` (one run answers them all).
    /// Locks the open rows `FOR UPDATE SKIP LOCKED`, so two reviewer replicas never
    /// take the same request.
    pub async fn take_review_requests(
        &self,
        holder: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "UPDATE review_requests SET picked_by = $1, picked_at = $2
              WHERE id IN (SELECT id FROM review_requests WHERE picked_at IS NULL
                            ORDER BY id FOR UPDATE SKIP LOCKED)
              RETURNING id",
        )
        .bind(holder)
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Links taken requests to the run that answered them. A multi-row `UPDATE` by
    /// primary key.
    pub async fn link_review_requests(
        &self,
        ids: &[i64],
        run: ReviewRunId,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE review_requests SET run_id = $2 WHERE id = ANY($1)")
            .bind(ids)
            .bind(run.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The latest `limit` review requests, newest first.
    pub async fn review_requests(&self, limit: u32) -> Result<Vec<ReviewRequest>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, requested_by, requested_at, picked_by, picked_at, run_id
               FROM review_requests ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Applied migrations (version, description, when), newest first.
    pub async fn applied_migrations(
        &self,
    ) -> Result<Vec<(i64, String, DateTime<Utc>)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT version, description, installed_on FROM _sqlx_migrations ORDER BY version DESC",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The server's version string and the database's size in bytes.
    pub async fn database_facts(&self) -> Result<(String, i64), StoreError> {
        Ok(
            sqlx::query_as("SELECT version(), pg_database_size(current_database())")
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
