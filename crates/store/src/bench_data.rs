//! A fleet's history at scale for the views benchmark (feature `fixtures`): accounts,
//! groups, memberships, campaigns, posts and events, each table filled by one
//! set-based `INSERT .. SELECT generate_series(..)`, never row by row.

use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions as _, Executor as _};
use std::str::FromStr as _;

/// Creates the database `name` afresh (dropping an earlier one) on the server of
/// `url` and returns a store of `connections` over it, migrated. For benchmarks:
/// `name` must be a plain identifier of the benchmark's own database.
pub async fn fresh_database(url: &str, name: &str, connections: u32) -> Result<Store, StoreError> {
    let admin = PgConnectOptions::from_str(url)
        .map_err(|error| StoreError::invalid("DATABASE_URL", error.to_string()))?;
    let mut server = admin.connect().await?;
    server
        .execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .await?;
    server
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await?;
    let pool = PgPoolOptions::new()
        .max_connections(connections)
        .connect_with(admin.database(name))
        .await?;
    let store = Store::from_pool(pool);
    store.migrate().await?;
    Ok(store)
}

/// How much history to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    /// Accounts.
    pub accounts: u32,
    /// Groups (each with one membership of its responsible account).
    pub groups: u32,
    /// Posts, spread over the last [`Scale::days`] days.
    pub posts: u64,
    /// Events, spread over the same days.
    pub events: u64,
    /// Days of history.
    pub days: u32,
}

impl Scale {
    /// The scale: 1,000 accounts, 100,000 groups, 10 M posts, 2 M events, a year.
    pub const FLEET: Self = Self {
        accounts: 1_000,
        groups: 100_000,
        posts: 10_000_000,
        events: 2_000_000,
        days: 365,
    };

    /// Campaigns: enough that every (campaign, group, round) is distinct.
    fn campaigns(&self) -> i64 {
        10
    }
}

impl Store {
    /// Fills an empty, migrated database with `scale`'s history up to `now`: 90 % of
    /// the groups active (80 % can post), memberships mostly joined, posts mostly sent
    /// (some failed, skipped, unknown), events mostly `ok` with 3 % FloodWaits. The
    /// posts' summary trigger is off during the load; the summaries are rebuilt at
    /// the end in one statement each, then every table is analysed.
    ///
    /// Locks: whole tables (`ALTER TABLE posts DISABLE TRIGGER`); for benchmarks
    /// only, on a database nobody else uses.
    pub async fn generate_bench_history(
        &self,
        scale: &Scale,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let minutes = i64::from(scale.days) * 24 * 60;
        sqlx::query(
            "INSERT INTO accounts (label, status, time_zone)
             SELECT 'bench-' || lpad(i::text, 5, '0'),
                    CASE WHEN i % 50 = 0 THEN 'resting' ELSE 'active' END, 'Asia/Jakarta'
               FROM generate_series(1, $1) AS i",
        )
        .bind(i64::from(scale.accounts))
        .execute(&self.pool)
        .await?;
        sqlx::query(
            "INSERT INTO groups (handle, handle_kind, kind, title, status, can_post, tags,
                                 responsible_account_id, last_reviewed_at)
             SELECT 'bench_group_' || i, 'username', 'supergroup', 'Bench group ' || i,
                    CASE WHEN i % 10 = 0 THEN 'banned' ELSE 'active' END,
                    i % 5 <> 0, ARRAY['bench'],
                    (SELECT min(id) FROM accounts) + (i % $2), $3
               FROM generate_series(1, $1) AS i",
        )
        .bind(i64::from(scale.groups))
        .bind(i64::from(scale.accounts))
        .bind(now)
        .execute(&self.pool)
        .await?;
        sqlx::query(
            "INSERT INTO memberships (account_id, group_id, state, joined_at)
             SELECT responsible_account_id, id,
                    CASE WHEN id % 10 = 3 THEN 'pending' ELSE 'joined' END,
                    CASE WHEN id % 10 = 3 THEN NULL
                         ELSE $1::timestamptz - make_interval(mins => ((id * 7919) % $2)::int) END
               FROM groups",
        )
        .bind(now)
        .bind(minutes)
        .execute(&self.pool)
        .await?;
        sqlx::query(
            "WITH c AS (
                 INSERT INTO campaigns (name, target_all)
                 SELECT 'bench-campaign-' || i, true FROM generate_series(1, $1) AS i
                 RETURNING id)
             INSERT INTO message_variants (campaign_id, kind, body, content_hash)
             SELECT id, 'text', 'Bench post ' || id, 'bench-hash-' || id FROM c",
        )
        .bind(scale.campaigns())
        .execute(&self.pool)
        .await?;
        for statement in ["ALTER TABLE posts DISABLE TRIGGER posts_count"] {
            sqlx::query(statement).execute(&self.pool).await?;
        }
        sqlx::query(
            "WITH g AS (SELECT min(id) AS first, count(*) AS n FROM groups),
                  a AS (SELECT min(id) AS first, count(*) AS n FROM accounts),
                  v AS (SELECT array_agg(campaign_id ORDER BY campaign_id) AS campaigns,
                               array_agg(id ORDER BY campaign_id) AS variants
                          FROM message_variants),
                  p AS (
                      SELECT i,
                             i % g.n AS group_offset,
                             (i / g.n) % cardinality(v.campaigns) + 1 AS campaign_slot,
                             i / g.n / cardinality(v.campaigns) AS round,
                             $2::timestamptz - make_interval(mins => ((i * 7919) % $3)::int)
                                 - make_interval(secs => (i % 60)::int) AS at,
                             CASE WHEN i % 100 < 85 THEN 'sent' WHEN i % 100 < 93 THEN 'failed'
                                  WHEN i % 100 < 98 THEN 'skipped' ELSE 'unknown' END AS state
                        FROM generate_series(0, $1 - 1) AS i, g, v)
             INSERT INTO posts (campaign_id, variant_id, account_id, group_id, round, idempotency_key,
                                content_hash, state, error_code, telegram_message_id, claimed_by,
                                created_at, sent_at, completed_at)
             SELECT v.campaigns[p.campaign_slot], v.variants[p.campaign_slot],
                    a.first + (g.first + p.group_offset) % a.n, g.first + p.group_offset, p.round,
                    v.campaigns[p.campaign_slot] || ':' || (g.first + p.group_offset) || ':' || p.round,
                    'bench-hash-' || v.campaigns[p.campaign_slot], p.state,
                    CASE WHEN p.state = 'failed' THEN 'CHAT_WRITE_FORBIDDEN' END,
                    CASE WHEN p.state = 'sent' THEN (p.i % 1000000)::int END,
                    'bench', p.at,
                    CASE WHEN p.state = 'sent' THEN p.at + interval '2 seconds' END,
                    p.at + interval '2 seconds'
               FROM p, g, a, v",
        )
        .bind(i64::try_from(scale.posts).unwrap_or(i64::MAX))
        .bind(now - chrono::TimeDelta::minutes(1))
        .bind(minutes)
        .execute(&self.pool)
        .await?;
        for statement in [
            "ALTER TABLE posts ENABLE TRIGGER posts_count",
            "SELECT tgfleet_rebuild_post_summaries()",
        ] {
            sqlx::query(statement).execute(&self.pool).await?;
        }
        sqlx::query(
            "WITH a AS (SELECT min(id) AS first, count(*) AS n FROM accounts),
                  g AS (SELECT min(id) AS first, count(*) AS n FROM groups)
             INSERT INTO events (at, service, account_id, group_id, action, outcome, flood_wait_secs)
             SELECT $2::timestamptz - make_interval(mins => ((i * 104729) % $3)::int),
                    CASE WHEN i % 2 = 0 THEN 'marketer' ELSE 'account-manager' END,
                    a.first + i % a.n, g.first + i % g.n,
                    CASE WHEN i % 2 = 0 THEN 'send' ELSE 'join' END,
                    CASE WHEN i % 100 < 3 THEN 'flood_wait' ELSE 'ok' END,
                    CASE WHEN i % 100 < 3 THEN 30 + (i % 600)::int END
               FROM generate_series(0, $1 - 1) AS i, a, g",
        )
        .bind(i64::try_from(scale.events).unwrap_or(i64::MAX))
        .bind(now - chrono::TimeDelta::minutes(1))
        .bind(minutes)
        .execute(&self.pool)
        .await?;
        // The steady state of a database autovacuum has visited: statistics, and the
        // visibility map that lets the views' index-only scans skip the heap.
        sqlx::query("VACUUM ANALYZE").execute(&self.pool).await?;
        Ok(())
    }
}
