//! The console at fleet scale: p50 and p99 of the overview and accounts pages and of
//! their API equivalents (`/api/v1/stats`, `/api/v1/accounts`) over 1,000 accounts,
//! 100,000 groups and 1,000,000 posts (generated set-based by
//! `Store::generate_bench_history`), each request through the whole router (session
//! or token check, queries, template or JSON) in process. Goal: p99 <= 100 ms.
//!
//! `DATABASE_URL=postgres://.../postgres cargo bench -p tgfleet-console --bench pages`
//! (`cargo xtask bench` sets it). The history goes into the database
//! `tgfleet_bench_console`, made afresh each run. `TGFLEET_BENCH_POSTS` changes the
//! number of posts; `TGFLEET_BENCH_REQUESTS` the requests per target (default 100).

#[path = "../tests/support/mod.rs"]
mod support;

use axum::http::{Method, StatusCode};
use chrono::Utc;
use std::time::{Duration, Instant};
use support::TestApp;
use tgfleet_store::TokenScope;
use tgfleet_store::bench_data::{self, Scale};

const DATABASE: &str = "tgfleet_bench_console";

fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The `q`-quantile of sorted `times` (nearest rank).
fn quantile(times: &[f64], q: f64) -> f64 {
    let rank = ((q * times.len() as f64).ceil() as usize).clamp(1, times.len());
    times[rank - 1]
}

fn main() {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!("console pages: DATABASE_URL is not set; `cargo xtask bench` sets it");
        return;
    };
    let scale = Scale {
        accounts: 1_000,
        groups: 100_000,
        posts: env_count("TGFLEET_BENCH_POSTS", 1_000_000),
        events: 200_000,
        days: 60,
    };
    let requests = env_count("TGFLEET_BENCH_REQUESTS", 100) as usize;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let store = bench_data::fresh_database(&url, DATABASE, 4)
            .await
            .expect("creating the bench database");
        let started = Instant::now();
        println!(
            "console pages: generating {} accounts, {} groups, {} posts, {} events over {} days ...",
            scale.accounts, scale.groups, scale.posts, scale.events, scale.days
        );
        store
            .generate_bench_history(&scale, Utc::now())
            .await
            .expect("generating the history");
        println!(
            "console pages: generated in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let app = TestApp::over(store, support::settings(&[]));
        app.operator().await;
        let session = app.login().await;
        let token = app.token(TokenScope::Read).await;
        let targets = [
            ("page  GET /", "/", true),
            ("page  GET /accounts", "/accounts", true),
            ("api   GET /api/v1/stats?days=14", "/api/v1/stats?days=14", false),
            ("api   GET /api/v1/accounts", "/api/v1/accounts", false),
        ];
        let mut summary = Vec::new();
        for (name, path, page) in targets {
            let mut times = Vec::with_capacity(requests);
            let mut bytes = 0;
            for run in 0..requests + 3 {
                let started = Instant::now();
                let answer = if page {
                    app.browse(Method::GET, path, &session, None).await
                } else {
                    app.api(Method::GET, path, &token, None).await
                };
                let took = millis(started.elapsed());
                assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
                bytes = answer.body.len();
                // The first three warm the caches.
                if run >= 3 {
                    times.push(took);
                }
            }
            times.sort_by(f64::total_cmp);
            summary.push((name, quantile(&times, 0.5), quantile(&times, 0.99), bytes));
        }
        println!(
            "\nconsole over {} accounts, {} groups, {} posts, {} events; {requests} requests each (goal: p99 <= 100 ms):",
            scale.accounts, scale.groups, scale.posts, scale.events
        );
        for (name, p50, p99, bytes) in summary {
            println!("  {name:<40} p50 {p50:>8.1} ms  p99 {p99:>8.1} ms  {bytes:>9} bytes");
        }
    });
}
