//! `cargo xtask chaos`: the real binaries against tg-sim, killed with SIGKILL at random, then
//! the world's ledger compared with the database.
//!
//! The set-up is the demo's (`demo::setup`: a generated world served by tg-sim with its
//! admin endpoint, sessions provisioned, groups imported; the demo's daily campaign paused
//! for an hourly one, so that many sends meet kills) on a private
//! Postgres of its own (`target/tgfleet-chaos-pg`, database `tgfleet_chaos`), so that it can
//! be restarted without disturbing anything else. The fleet runs as separate processes (three
//! account-managers, three marketers, one activity, one group-reviewer) on the scaled clock.
//! For `--kills` rounds, after a random pause, a random process is killed with SIGKILL and
//! started again; its recovery time is the time until its `/health` answers `200 OK`
//! (polled every 0.1 s). On the way
//! Postgres is restarted once (a third of the way), tg-sim drops every connection (half
//! way) and delays every answer by 1.5 s for three rounds (two thirds of the way). After a
//! calm `--settle-secs`, the fleet is stopped and [`audit`] compares the ledger with the
//! database. The exit code is 0 when duplicates, unknown posts, repeated joins and lost
//! work are all zero.

mod audit;
pub mod oneoff;
mod replicas;

use crate::demo::setup::{self, free_port};
use crate::demo::{Database, DemoArgs, http};
use crate::pg::{self, PrivatePostgres};
use anyhow::{Context as _, bail};
use chrono::{DateTime, TimeDelta, Utc};
use replicas::Replica;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The chaos harness's own Postgres directory under `target/`.
const PG_NAME: &str = "tgfleet-chaos-pg";
/// Its database.
const DATABASE: &str = "tgfleet_chaos";
/// The campaign posted during the run.
const CAMPAIGN: &str = "chaos-hourly";
/// How long a restarted process may take to be healthy before the run fails.
const RECOVERY_LIMIT: Duration = Duration::from_secs(90);
/// How long the fleet gets to stop after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(30);

/// Options of `cargo xtask chaos`.
#[derive(Debug, clap::Args)]
pub struct ChaosArgs {
    /// Processes killed with SIGKILL (and restarted), one per round.
    #[arg(long, default_value_t = 100)]
    pub kills: u32,
    /// Groups in the generated world.
    #[arg(long, default_value_t = 40)]
    pub groups: u32,
    /// Accounts in the generated world.
    #[arg(long, default_value_t = 6)]
    pub accounts: u32,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 120.0)]
    pub scale: f64,
    /// Mean real seconds between kills (each pause is uniform in 0.2..1.8 times it).
    #[arg(long, default_value_t = 3.0)]
    pub mean_gap_secs: f64,
    /// Real seconds the fleet runs before the first kill and after the last.
    #[arg(long, default_value_t = 20.0)]
    pub settle_secs: f64,
    /// Seed of the world and of the kills.
    #[arg(long, default_value_t = 11)]
    pub seed: u64,
    /// Where the scenario, sessions, configuration and logs go (default: target/chaos).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// First `/health` port: replica n serves on this + 10 n (+ its service's offset).
    #[arg(long, default_value_t = 9300)]
    pub health_base_port: u16,
    /// Use the binaries next to xtask's own as they are, without `cargo build`.
    #[arg(long)]
    pub no_build: bool,
}

/// Runs the harness; exit code 0 when the audit finds nothing.
pub fn run(args: &ChaosArgs) -> anyhow::Result<ExitCode> {
    check_args(args)?;
    let root = pg::repository_root();
    let binaries = [
        "tgfleet",
        "tg-sim",
        "account-manager",
        "marketer",
        "activity",
        "group-reviewer",
    ];
    if !args.no_build {
        crate::demo::build_binaries(&root, crate::demo::Build::Debug)?;
    }
    let bins = crate::demo::binaries_with(crate::demo::Build::Debug, &binaries)?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| root.join("target").join("chaos"));
    let database = Database::fresh_on(PrivatePostgres::locate_named(PG_NAME)?, DATABASE)?;
    let planned = args.settle_secs * 2.0 + f64::from(args.kills) * args.mean_gap_secs + 60.0;
    let demo_args = DemoArgs {
        minutes: planned / 60.0,
        scale: args.scale,
        resume: false,
        accounts: args.accounts,
        groups: args.groups,
        seed: args.seed,
        database_url: None,
        dir: Some(dir.clone()),
        health_port: free_port()?,
        console_port: 0,
        no_build: true,
        setup_only: false,
        wall_clock: None,
    };
    let demo = setup::fresh(&dir, &bins, &database, &demo_args, setup::Profile::DEMO)?;
    let admin = SocketAddr::from(([127, 0, 0, 1], free_port()?));
    let sim = demo.start_sim(Some(admin.port()))?;
    demo.onboard()?;
    hourly_campaign(&demo)?;

    let mut fleet = replicas::fleet(&dir, args.health_base_port);
    for replica in &mut fleet {
        replica.start(&demo)?;
    }
    println!(
        "chaos: {} processes running ({}); logs in {}",
        fleet.len(),
        fleet
            .iter()
            .map(Replica::name)
            .collect::<Vec<_>>()
            .join(", "),
        dir.join("logs").display()
    );
    let mut run = Run {
        demo: &demo,
        fleet,
        unplanned_exits: 0,
        rng: Rng(args.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
        recoveries: BTreeMap::new(),
        admin,
    };
    run.wait(Duration::from_secs_f64(args.settle_secs))?;
    for round in 1..=args.kills {
        run.round(round, args, &database)?;
    }
    run.fault(r#"{"clear": true}"#);
    println!("chaos: {} kills done; the fleet settles", args.kills);
    run.wait(Duration::from_secs_f64(args.settle_secs))?;
    run.wait_recovered()?;
    for replica in &mut run.fleet {
        replica.stop(STOP_GRACE);
    }

    let (origin, scale) = demo.clock();
    let end = scaled_now(origin, scale);
    let answer = http::get(admin, "/ledger");
    if !answer.is_ok() {
        bail!("tg-sim's ledger: {}", answer.summary());
    }
    let ledger: Vec<audit::LedgerEntry> =
        serde_json::from_str(&answer.body).context("tg-sim's ledger is not JSON")?;
    drop(sim);
    let audit = audit::audit(&ledger, &database, end)?;
    print_report(args, &audit, &run.recoveries, run.unplanned_exits);
    Ok(if audit.clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The campaign the fleet posts while being killed: hourly (a round every 30 real seconds
/// at 120x), so that many sends meet kills, instead of the demo's daily one, which is paused.
fn hourly_campaign(demo: &setup::Demo) -> anyhow::Result<()> {
    demo.tgfleet_step(&["campaigns", "pause", setup::CAMPAIGN])?;
    demo.tgfleet_step(&["campaigns", "create", CAMPAIGN, "--all", "--interval", "1h"])?;
    demo.tgfleet_step(&[
        "campaigns",
        "add-variant",
        CAMPAIGN,
        "--text",
        "Surf lessons in Canggu, first one free this hour",
    ])
}

fn check_args(args: &ChaosArgs) -> anyhow::Result<()> {
    if !(args.scale.is_finite() && args.scale > 1.0 && args.scale <= 10_000.0) {
        bail!(
            "--scale must be above 1 and at most 10000, got {}",
            args.scale
        );
    }
    if !(args.mean_gap_secs.is_finite() && args.mean_gap_secs > 0.0) {
        bail!(
            "--mean-gap-secs must be above 0, got {}",
            args.mean_gap_secs
        );
    }
    if !(args.settle_secs.is_finite() && args.settle_secs >= 0.0) {
        bail!("--settle-secs must be 0 or more, got {}", args.settle_secs);
    }
    if args.accounts == 0 || args.groups == 0 {
        bail!("--accounts and --groups must be at least 1");
    }
    if u32::from(args.health_base_port) + 10 * 8 + 4 > u32::from(u16::MAX) {
        bail!(
            "--health-base-port {} leaves no room for 8 replicas' ports",
            args.health_base_port
        );
    }
    Ok(())
}

/// The state of a run: the processes, the kills' randomness and the recovery times.
struct Run<'a> {
    demo: &'a setup::Demo,
    fleet: Vec<Replica>,
    /// Processes that exited without being killed (restarted, and reported).
    unplanned_exits: u32,
    rng: Rng,
    recoveries: BTreeMap<&'static str, Vec<Duration>>,
    admin: SocketAddr,
}

impl Run<'_> {
    /// One round: a random pause, the round's fault (if any), a SIGKILL and a restart.
    fn round(&mut self, round: u32, args: &ChaosArgs, database: &Database) -> anyhow::Result<()> {
        let pause = args.mean_gap_secs * (0.2 + 1.6 * self.rng.unit());
        self.wait(Duration::from_secs_f64(pause))?;
        let third = (args.kills / 3).max(1);
        if round == third {
            restart_postgres(database)?;
        }
        if round == (args.kills / 2).max(1) {
            println!("chaos: round {round}: tg-sim drops every connection");
            self.fault(r#"{"drop_connections": true}"#);
        }
        let delayed = (2 * args.kills / 3).max(1);
        if round == delayed {
            println!("chaos: round {round}: tg-sim delays every answer by 1.5 s");
            self.fault(r#"{"delay_ms": 1500}"#);
        }
        if round == delayed + 3 {
            self.fault(r#"{"delay_ms": 0}"#);
        }
        let victim = self.rng.below(self.fleet.len());
        let replica = &mut self.fleet[victim];
        println!("chaos: round {round}: SIGKILL {}", replica.name());
        replica.kill();
        replica.start(self.demo)
    }

    /// Waits `duration`, noting recoveries and restarting processes that exited by
    /// themselves.
    fn wait(&mut self, duration: Duration) -> anyhow::Result<()> {
        let until = Instant::now() + duration;
        loop {
            for replica in &mut self.fleet {
                if let Some(status) = replica.exited() {
                    println!(
                        "chaos: {} exited by itself ({status}); restarting it",
                        replica.name()
                    );
                    self.unplanned_exits += 1;
                    replica.kill();
                    replica.start(self.demo)?;
                }
                if let Some(took) = replica.check_recovered() {
                    self.recoveries
                        .entry(replica.service)
                        .or_default()
                        .push(took);
                }
            }
            if Instant::now() >= until {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until every killed process answers again.
    fn wait_recovered(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + RECOVERY_LIMIT;
        while self.fleet.iter().any(Replica::is_recovering) {
            if Instant::now() > deadline {
                bail!("a restarted process was not healthy within {RECOVERY_LIMIT:?}");
            }
            self.wait(Duration::from_millis(200))?;
        }
        Ok(())
    }

    fn fault(&self, json: &str) {
        let answer = http::post(self.admin, "/faults", json);
        if !answer.is_ok() {
            eprintln!("chaos: POST /faults {json}: {}", answer.summary());
        }
    }
}

/// Stops the private Postgres and starts it again (same port, same data).
fn restart_postgres(database: &Database) -> anyhow::Result<()> {
    let server = database
        .private_server()
        .context("the chaos database is on the harness's private Postgres")?;
    println!("chaos: restarting Postgres");
    let started = Instant::now();
    server.stop()?;
    std::thread::sleep(Duration::from_secs(2));
    server.ensure_running()?;
    println!(
        "chaos: Postgres back after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The shared scaled clock now: `origin + (real_now - origin) * scale`.
fn scaled_now(origin: DateTime<Utc>, scale: f64) -> DateTime<Utc> {
    let real = (Utc::now() - origin).as_seconds_f64();
    origin + TimeDelta::microseconds((real * scale * 1e6) as i64)
}

fn print_report(
    args: &ChaosArgs,
    audit: &audit::Audit,
    recoveries: &BTreeMap<&'static str, Vec<Duration>>,
    unplanned_exits: u32,
) {
    println!();
    println!(
        "chaos report: {} kills, {} accounts, {} groups, scale {}x",
        args.kills, args.accounts, args.groups, args.scale
    );
    println!(
        "  world: {} posts, {} joins; database: {} post rows ({} sent)",
        audit.world_posts, audit.world_joins, audit.db_posts, audit.db_sent
    );
    println!(
        "  duplicate posts per (campaign, group, round) in the world: {}",
        audit.duplicates
    );
    println!(
        "  posts the world holds that the database does not know:  {}",
        audit.unknown_to_db
    );
    println!(
        "  joins repeated:                                          {}",
        audit.repeated_joins
    );
    println!(
        "  pending work lost:                                       {} ({} posts left pending, {} planned joins never run)",
        audit.pending_posts + audit.lost_joins,
        audit.pending_posts,
        audit.lost_joins
    );
    println!("  recovery time (SIGKILL to /health answering 200 OK), per service:");
    for (service, times) in recoveries {
        let mut sorted = times.clone();
        sorted.sort();
        let median = sorted[sorted.len() / 2];
        let max = sorted[sorted.len() - 1];
        println!(
            "    {service:<16} {:>3} restarts  median {:>5.2} s  max {:>5.2} s",
            sorted.len(),
            median.as_secs_f64(),
            max.as_secs_f64()
        );
    }
    println!("  processes that exited without being killed: {unplanned_exits}");
    println!(
        "chaos: {}",
        if audit.clean() {
            "CLEAN (0, 0, 0, 0)"
        } else {
            "FOUND PROBLEMS"
        }
    );
}

/// xorshift64*: the kills' randomness, reproducible from `--seed`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(Debug, clap::Parser)]
    struct Chaos {
        #[command(flatten)]
        args: ChaosArgs,
    }

    fn checked(args: &[&str]) -> Result<(), String> {
        let chaos = Chaos::try_parse_from(std::iter::once("chaos").chain(args.iter().copied()))
            .map_err(|error| error.to_string())?;
        check_args(&chaos.args).map_err(|error| error.to_string())
    }

    #[test]
    fn bad_arguments_name_the_flag() {
        assert_eq!(checked(&[]), Ok(()));
        for (args, flag) in [
            (&["--scale", "1"][..], "--scale"),
            (&["--mean-gap-secs", "0"], "--mean-gap-secs"),
            (&["--settle-secs=-1"], "--settle-secs"),
            (&["--groups", "0"], "--groups"),
            (&["--health-base-port", "65500"], "--health-base-port"),
            (&["--kills", "many"], "--kills"),
        ] {
            let error = checked(args).unwrap_err();
            assert!(error.contains(flag), "{args:?}: {error}");
        }
    }
}
