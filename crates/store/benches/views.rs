//! Every psql view of the README's "Statistics in psql" and the reads of
//! `tgfleet stats`, timed over a fleet's history at scale: 10 M posts, 2 M events,
//! 100,000 groups, 1,000 accounts (generated set-based by
//! `Store::generate_bench_history`). Prints, per statement, the median and the
//! slowest of 10 runs and its `EXPLAIN (ANALYZE, BUFFERS)` plan. Goal: <= 50 ms each.
//!
//! `DATABASE_URL=postgres://.../postgres cargo bench -p tgfleet-store --bench views`
//! (`cargo xtask bench` sets it). The history goes into the database
//! `tgfleet_bench_views`, kept between runs while its migrations and size match.
//! `TGFLEET_BENCH_POSTS` / `TGFLEET_BENCH_EVENTS` change the size (e.g. for a quick run).

use chrono::Utc;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions as _, Row as _};
use std::str::FromStr as _;
use std::time::{Duration, Instant};
use tgfleet_store::Store;
use tgfleet_store::bench_data::{self, Scale};

const DATABASE: &str = "tgfleet_bench_views";
const RUNS: usize = 10;

fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The statements of the README's `sql` block under "## Statistics in psql".
fn readme_views() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .unwrap_or_default();
    let block = readme
        .split_once("## Statistics in psql")
        .and_then(|(_, rest)| rest.split_once("```sql\n"))
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(block, _)| block)
        .unwrap_or_default();
    block
        .lines()
        .filter_map(|line| line.split(';').next())
        .map(str::trim)
        .filter(|statement| !statement.is_empty() && !statement.starts_with("--"))
        .map(str::to_owned)
        .collect()
}

async fn prepared_store(url: &str, scale: &Scale) -> Store {
    let admin = PgConnectOptions::from_str(url).expect("DATABASE_URL is a Postgres URL");
    let mut server = admin
        .connect()
        .await
        .expect("cannot connect to DATABASE_URL");
    let target = admin.clone().database(DATABASE);
    let expected = format!(
        "{} {} {} {} {}",
        scale.accounts,
        scale.groups,
        scale.posts,
        scale.events,
        tgfleet_store::MIGRATOR.iter().count()
    );
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(DATABASE)
            .fetch_one(&mut server)
            .await
            .expect("reading pg_database");
    if exists {
        let pool = PgPoolOptions::new().connect_with(target.clone()).await;
        let marker: Option<String> = match &pool {
            Ok(pool) => sqlx::query_scalar("SELECT obj_description('posts'::regclass, 'pg_class')")
                .fetch_one(pool)
                .await
                .ok()
                .flatten(),
            Err(_) => None,
        };
        if let Ok(pool) = pool {
            if marker.as_deref() == Some(expected.as_str()) {
                println!("views: reusing {DATABASE} ({expected})");
                return Store::from_pool(pool);
            }
            pool.close().await;
        }
    }
    let store = bench_data::fresh_database(url, DATABASE, 2)
        .await
        .expect("creating the bench database");
    let pool = store.pool().clone();
    let started = Instant::now();
    println!(
        "views: generating {} accounts, {} groups, {} posts, {} events over {} days ...",
        scale.accounts, scale.groups, scale.posts, scale.events, scale.days
    );
    store
        .generate_bench_history(scale, Utc::now())
        .await
        .expect("generating the history");
    println!(
        "views: generated in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "COMMENT ON TABLE posts IS '{expected}'"
    )))
    .execute(&pool)
    .await
    .expect("marking the bench database");
    store
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Runs `statement` [`RUNS`] times after a warm-up; returns the median and the slowest.
async fn time(pool: &sqlx::PgPool, statement: &str) -> (f64, f64, usize) {
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
        .fetch_all(pool)
        .await
        .expect("the statement runs")
        .len();
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        rows = sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
            .fetch_all(pool)
            .await
            .expect("the statement runs")
            .len();
        times.push(millis(started.elapsed()));
    }
    times.sort_by(f64::total_cmp);
    (times[RUNS / 2], times[RUNS - 1], rows)
}

async fn explain(pool: &sqlx::PgPool, statement: &str) -> String {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "EXPLAIN (ANALYZE, BUFFERS) {statement}"
    )))
    .fetch_all(pool)
    .await
    .expect("EXPLAIN runs");
    rows.iter()
        .map(|row| format!("    {}", row.get::<String, _>(0)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn main() {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!("views: DATABASE_URL is not set; `cargo xtask bench` sets it");
        return;
    };
    let scale = Scale {
        posts: env_count("TGFLEET_BENCH_POSTS", Scale::FLEET.posts),
        events: env_count("TGFLEET_BENCH_EVENTS", Scale::FLEET.events),
        ..Scale::FLEET
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let store = prepared_store(&url, &scale).await;
        let pool = store.pool().clone();
        let mut statements: Vec<(String, String)> = readme_views()
            .into_iter()
            .map(|statement| (format!("psql: {statement}"), statement))
            .collect();
        // The whole of group_health is one row per group (100,000 here): its time is
        // that of moving the rows; an operator's page of it is this one.
        statements.push((
            "psql: SELECT * FROM group_health LIMIT 50".to_owned(),
            "SELECT * FROM group_health LIMIT 50".to_owned(),
        ));
        statements.push((
            "tgfleet stats: posts_per_day".to_owned(),
            "SELECT date, total, successful, failed, skipped, unresolved FROM posts_per_day ORDER BY date DESC LIMIT 7".to_owned(),
        ));
        statements.push((
            "tgfleet stats: overview".to_owned(),
            "SELECT active_groups, active_accounts, posts_today_success, posts_today_failed FROM overview".to_owned(),
        ));
        let mut summary = Vec::new();
        for (name, statement) in &statements {
            let (median, slowest, rows) = time(&pool, statement).await;
            println!("\n{name}: median {median:.1} ms, slowest {slowest:.1} ms, {rows} rows");
            println!("{}", explain(&pool, statement).await);
            summary.push((name.clone(), median, slowest, rows));
        }
        let started = Instant::now();
        let overview = store.overview().await.expect("overview");
        let days = store.posts_per_day(7).await.expect("posts_per_day");
        let stats = millis(started.elapsed());
        println!(
            "\nviews over {} posts, {} events, {} groups, {} accounts (goal <= 50 ms each):",
            scale.posts, scale.events, scale.groups, scale.accounts
        );
        for (name, median, slowest, rows) in summary {
            println!("  {name:<60} median {median:>8.1} ms  slowest {slowest:>8.1} ms  {rows:>7} rows");
        }
        println!(
            "  {:<60} {stats:>8.1} ms (both reads of the command; {} sent today, {} days)",
            "tgfleet stats (Store::overview + Store::posts_per_day(7))",
            overview.posts_today_success,
            days.len()
        );
    });
}
