//! `cargo xtask bench fleet`: the demo's set-up at scale (1,000 accounts × 20,000
//! groups by default, release build, time ×10), `tgfleet run --all` for `--minutes`
//! real minutes, and the figures of a run that loses no work: lost slots, pool
//! time-outs, deadlocks (log lines and `pg_stat_database`), failed reviews, joins not
//! stored, peak RSS of the fleet process (`/proc`), `/health` latency under load, and
//! joins and posts against what the configuration allows.

use crate::demo::child::Running;
use crate::demo::setup::{self, Profile};
use crate::demo::{Build, Database, DemoArgs, binaries_dir, build_binaries, http};
use anyhow::{Context as _, bail};
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The benchmark's database on the private Postgres.
const BENCH_DATABASE: &str = "tgfleet_bench_fleet";
/// How often `/health` is asked while the fleet runs.
const PROBE_EVERY: Duration = Duration::from_millis(250);
/// How often the fleet's memory is read.
const RSS_EVERY: Duration = Duration::from_secs(1);
/// The fleet's whole log, in the benchmark's folder.
const FLEET_LOG: &str = "fleet.log";
/// Log lines quoted per kind of problem (the rest are only counted).
const QUOTED: u32 = 3;

/// Options of `cargo xtask bench fleet`.
#[derive(Debug, clap::Args)]
pub struct FleetArgs {
    /// Real minutes the fleet runs.
    #[arg(long, default_value_t = 10.0)]
    pub minutes: f64,
    /// Accounts in the world.
    #[arg(long, default_value_t = 1000)]
    pub accounts: u32,
    /// Groups in the world.
    #[arg(long, default_value_t = 20_000)]
    pub groups: u32,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 10.0)]
    pub scale: f64,
    /// The fleet's `database.max_connections` (shared by its four services).
    #[arg(long, default_value_t = 40)]
    pub max_connections: u32,
    /// The world's seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Port of the fleet's `/health` and `/metrics`.
    #[arg(long, default_value_t = 9280)]
    pub health_port: u16,
    /// Use the release binaries as they are, without `cargo build --release`.
    #[arg(long)]
    pub no_build: bool,
}

/// The problems a run must not show, counted in the fleet's log.
#[derive(Debug, Default)]
struct Problems {
    lost_slots: u32,
    pool_timeouts: u32,
    slow_acquires: u32,
    deadlocks: u32,
    failed_reviews: u32,
    joins_not_stored: u32,
    errors: u32,
    review_summaries: u32,
}

impl Problems {
    /// Counts `line`; returns whether it is worth quoting.
    fn count(&mut self, line: &str) -> Option<&'static str> {
        let kinds: [(&str, &'static str, &mut u32); 7] = [
            ("this slot is lost", "lost slot", &mut self.lost_slots),
            ("pool timed out", "pool time-out", &mut self.pool_timeouts),
            ("slow threshold", "slow acquire", &mut self.slow_acquires),
            ("deadlock detected", "deadlock", &mut self.deadlocks),
            (
                "Scheduled review failed",
                "failed review",
                &mut self.failed_reviews,
            ),
            (
                "could not be stored",
                "join not stored",
                &mut self.joins_not_stored,
            ),
            (
                "Checked groups:",
                "review summary",
                &mut self.review_summaries,
            ),
        ];
        let mut quoted = None;
        for (needle, kind, counter) in kinds {
            if line.contains(needle) {
                *counter += 1;
                if *counter <= QUOTED {
                    quoted = Some(kind);
                }
            }
        }
        if line.contains(" ERROR ") || line.contains("\"level\":\"ERROR\"") {
            self.errors += 1;
            if quoted.is_none() && self.errors <= QUOTED {
                quoted = Some("error");
            }
        }
        quoted
    }
}

/// What was measured while the fleet ran.
#[derive(Debug, Default)]
struct Measured {
    problems: Problems,
    health_millis: Vec<f64>,
    health_not_ok: u32,
    peak_rss_kib: u64,
    rss_at_end_kib: u64,
    log_lines: u64,
    stopped_cleanly: bool,
    /// Seconds from SIGTERM to the fleet's exit, when it exited.
    stop_secs: Option<f64>,
    /// Where every line of the fleet's log goes.
    log: Option<std::io::BufWriter<std::fs::File>>,
}

/// Runs the benchmark; prints its figures.
pub fn run(args: &FleetArgs) -> anyhow::Result<ExitCode> {
    if !(args.minutes.is_finite() && args.minutes > 0.0) {
        bail!("--minutes must be above 0, got {}", args.minutes);
    }
    if !(args.scale.is_finite() && args.scale > 1.0) {
        bail!("--scale must be above 1, got {}", args.scale);
    }
    if args.accounts == 0 || args.groups == 0 || args.max_connections < 3 {
        bail!("--accounts and --groups must be at least 1, --max-connections at least 3");
    }
    let stop = Arc::new(AtomicBool::new(false));
    let handler_stop = Arc::clone(&stop);
    ctrlc::set_handler(move || handler_stop.store(true, Ordering::SeqCst))
        .context("cannot install the Ctrl-C handler")?;
    let root = crate::pg::repository_root();
    if !args.no_build {
        build_binaries(&root, Build::Release)?;
    }
    let bins = binaries_dir(Build::Release)?;
    let demo_args = DemoArgs {
        minutes: args.minutes,
        scale: args.scale,
        resume: false,
        accounts: args.accounts,
        groups: args.groups,
        seed: args.seed,
        database_url: None,
        dir: None,
        health_port: args.health_port,
        console_port: 0,
        no_build: true,
        setup_only: false,
        wall_clock: None,
    };
    let database = Database::choose(&demo_args, BENCH_DATABASE)?;
    let profile = Profile {
        join_budget: None,
        max_connections: args.max_connections,
    };
    let dir = root.join("target").join("bench-fleet");
    let prepared = Instant::now();
    let demo = setup::fresh(&dir, &bins, &database, &demo_args, profile)?;
    let sim = demo.start_sim(None)?;
    demo.onboard()?;
    println!(
        "bench fleet: world generated, served and imported in {:.0} s",
        prepared.elapsed().as_secs_f64()
    );
    let deadlocks_before = deadlocks(&database)?;
    let duration = Duration::from_secs_f64(args.minutes * 60.0);
    let measured = measure(&demo, duration, &stop);
    drop(sim);
    let measured = measured?;
    let deadlocks_counted = deadlocks(&database)?.saturating_sub(deadlocks_before);
    report(args, &database, &measured, deadlocks_counted)?;
    Ok(ExitCode::SUCCESS)
}

/// `pg_stat_database.deadlocks` of the benchmark's database.
fn deadlocks(database: &Database) -> anyhow::Result<u64> {
    let text = database
        .query("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")?;
    text.parse()
        .with_context(|| format!("pg_stat_database.deadlocks: {text:?}"))
}

/// Runs the fleet for `duration`, counting its log, probing `/health` and reading its
/// memory, then stops it with SIGTERM.
fn measure(demo: &setup::Demo, duration: Duration, stop: &AtomicBool) -> anyhow::Result<Measured> {
    let mut command = demo.tgfleet();
    command.args(["run", "--all"]).env("RUST_LOG", "info");
    println!("$ tgfleet run --all   (log counted, problems quoted)");
    let mut fleet = Running::spawn("tgfleet run --all", &mut command, true)?;
    let pid = fleet.id();
    let mut measured = Measured {
        log: std::fs::File::create(demo.dir.join(FLEET_LOG))
            .ok()
            .map(std::io::BufWriter::new),
        ..Measured::default()
    };
    println!("  (the whole log: {})", demo.dir.join(FLEET_LOG).display());
    let mut health: Option<SocketAddr> = None;
    let started = Instant::now();
    let (mut next_probe, mut next_rss) = (started, started);
    while started.elapsed() < duration && !stop.load(Ordering::SeqCst) {
        if let Some(status) = fleet.exited() {
            bail!("tgfleet run --all exited on its own ({status})");
        }
        let wait = next_probe
            .min(next_rss)
            .saturating_duration_since(Instant::now())
            .min(Duration::from_millis(50));
        if let Ok(line) = fleet.lines.recv_timeout(wait) {
            take_line(&line, &mut measured, &mut health);
            while let Ok(line) = fleet.lines.try_recv() {
                take_line(&line, &mut measured, &mut health);
            }
        }
        let now = Instant::now();
        if let Some(address) = health
            && now >= next_probe
        {
            let asked = Instant::now();
            let answer = http::get(address, "/health");
            measured
                .health_millis
                .push(asked.elapsed().as_secs_f64() * 1000.0);
            if !answer.is_ok() {
                measured.health_not_ok += 1;
            }
            next_probe = now + PROBE_EVERY;
        }
        if now >= next_rss {
            if let Some(rss) = memory_kib(pid, "VmRSS:") {
                measured.peak_rss_kib = measured.peak_rss_kib.max(rss);
            }
            next_rss = now + RSS_EVERY;
        }
    }
    if let Some(peak) = memory_kib(pid, "VmHWM:") {
        measured.peak_rss_kib = measured.peak_rss_kib.max(peak);
    }
    measured.rss_at_end_kib = memory_kib(pid, "VmRSS:").unwrap_or_default();
    println!("bench fleet: stopping the fleet (SIGTERM)");
    fleet.terminate();
    let terminated = Instant::now();
    let deadline = terminated + Duration::from_secs(60);
    while fleet.exited().is_none() && Instant::now() < deadline {
        if let Ok(line) = fleet.lines.recv_timeout(Duration::from_millis(100)) {
            take_line(&line, &mut measured, &mut health);
        }
    }
    measured.stopped_cleanly = fleet.exited().is_some_and(|status| status.success());
    measured.stop_secs = fleet
        .exited()
        .is_some()
        .then(|| terminated.elapsed().as_secs_f64());
    while let Ok(line) = fleet.lines.recv_timeout(Duration::from_millis(300)) {
        take_line(&line, &mut measured, &mut health);
    }
    Ok(measured)
}

fn take_line(line: &str, measured: &mut Measured, health: &mut Option<SocketAddr>) {
    measured.log_lines += 1;
    if let Some(log) = &mut measured.log {
        let _ = writeln!(log, "{line}");
    }
    if let Some(kind) = measured.problems.count(line) {
        println!("  [{kind}] {line}");
    }
    if line.contains("works at most") {
        println!("  {line}");
    }
    if health.is_none()
        && let Some(rest) = line.split("Health and metrics on http://").nth(1)
    {
        *health = rest
            .split('/')
            .next()
            .and_then(|address| address.parse().ok());
    }
}

/// A `/proc/PID/status` memory line (`VmRSS:`, `VmHWM:`) in KiB.
fn memory_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

/// The `q`-quantile of `values` (nearest rank), or 0 when empty.
fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Prints the figures.
fn report(
    args: &FleetArgs,
    database: &Database,
    measured: &Measured,
    deadlocks_counted: u64,
) -> anyhow::Result<()> {
    let count = |sql: &str| -> anyhow::Result<u64> {
        let text = database.query(sql)?;
        text.parse()
            .with_context(|| format!("{sql}: not a number: {text:?}"))
    };
    let simulated_hours = args.minutes * args.scale / 60.0;
    let slots = count("SELECT count(*) FROM cron_ticks WHERE schedule LIKE 'join-slot%'")?;
    let planned_accounts =
        count("SELECT count(DISTINCT account_id) FROM memberships WHERE planned_tick IS NOT NULL")?;
    let joins = count("SELECT count(*) FROM events WHERE action = 'join'")?;
    let joined = count("SELECT count(*) FROM memberships WHERE state = 'joined'")?;
    let posts_sent = count("SELECT count(*) FROM posts WHERE state = 'sent'")?;
    let post_attempts = count("SELECT count(*) FROM posts")?;
    let postable = count(
        "SELECT count(*) FROM memberships m JOIN groups g ON g.id = m.group_id
          WHERE m.state = 'joined' AND g.status = 'active' AND g.can_post",
    )?;
    let reviews = count("SELECT count(*) FROM review_runs WHERE finished_at IS NOT NULL")?;
    let reviews_started = count("SELECT count(*) FROM review_runs")?;
    let accounts = u64::from(args.accounts);
    // [joins] of the demo's configuration: 5 per slot, pauses of 5-10 minutes.
    let joins_allowed =
        accounts * (slots * 5).min((simulated_hours * 60.0 / 5.0).floor() as u64 + 1);
    // [posting] defaults: 8 per hour, 40 per day, one round per (campaign, group) a day.
    let caps = (8.0 * simulated_hours.ceil()).min(40.0) as u64;
    let posts_allowed = (accounts * caps).min(postable);
    let p = &measured.problems;
    let ms = &measured.health_millis;
    println!();
    println!(
        "bench fleet: {} accounts x {} groups, time x{}, {:.1} real minutes ({:.1} simulated hours), database.max_connections {}",
        args.accounts, args.groups, args.scale, args.minutes, simulated_hours, args.max_connections
    );
    println!("  lost slots                 {}", p.lost_slots);
    println!("  pool time-outs             {}", p.pool_timeouts);
    println!("  slow pool acquires         {}", p.slow_acquires);
    println!(
        "  deadlocks                  {} in the log, {deadlocks_counted} in pg_stat_database",
        p.deadlocks
    );
    println!(
        "  failed reviews             {} (reviews finished {reviews} of {reviews_started} started; {} summaries logged)",
        p.failed_reviews, p.review_summaries
    );
    println!("  joins not stored           {}", p.joins_not_stored);
    println!(
        "  ERROR log lines            {} of {} lines",
        p.errors, measured.log_lines
    );
    println!(
        "  peak RSS                   {:.1} MiB (at the end {:.1} MiB)",
        measured.peak_rss_kib as f64 / 1024.0,
        measured.rss_at_end_kib as f64 / 1024.0
    );
    println!(
        "  /health                    p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} probes ({} not 200)",
        quantile(ms, 0.5),
        quantile(ms, 0.99),
        quantile(ms, 1.0),
        ms.len(),
        measured.health_not_ok
    );
    println!(
        "  joins                      {joins} attempted, {joined} memberships joined; {slots} slots fired, {planned_accounts} accounts planned; allowed <= {joins_allowed} (accounts x min(5 per slot x slots, run / 5 min pause + 1))"
    );
    println!(
        "  posts                      {posts_sent} sent of {post_attempts} attempts; allowed <= {posts_allowed} (min(accounts x min(8/h x hours, 40/day), {postable} joined postable groups x 1 round))"
    );
    let stopped = match (measured.stopped_cleanly, measured.stop_secs) {
        (true, Some(secs)) => format!("yes, {secs:.1} s after SIGTERM"),
        (false, Some(secs)) => format!("no: exited with a failure {secs:.1} s after SIGTERM"),
        (_, None) => "no: still running 60 s after SIGTERM (killed)".to_owned(),
    };
    println!("  stopped cleanly            {stopped}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_counted_by_kind() {
        let mut problems = Problems::default();
        problems.count(
            "2026-12-06T10:00:00Z ERROR planning the slot failed 5 times; this slot is lost",
        );
        problems.count("WARN sqlx: pool timed out while waiting for an open connection");
        problems.count("2026-12-06T10:00:01Z ERROR Scheduled review failed error=database error: pool timed out");
        problems.count("INFO Checked groups: 20");
        assert_eq!(problems.lost_slots, 1);
        assert_eq!(problems.pool_timeouts, 2);
        assert_eq!(problems.failed_reviews, 1);
        assert_eq!(problems.errors, 2);
        assert_eq!(problems.review_summaries, 1);
    }

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&values, 0.5), 50.0);
        assert_eq!(quantile(&values, 0.99), 99.0);
        assert_eq!(quantile(&values, 1.0), 100.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }
}
