//! `cargo xtask demo`: the whole fleet against the simulated Telegram, time compressed.
//!
//! A fresh run drops the demo database (`tgfleet_demo` on the private Postgres) and
//! `target/demo/`, generates a world with tg-sim, serves it with the accounts' sessions
//! provisioned, imports sessions and groups, creates a campaign, and runs
//! `tgfleet run --all` for `--minutes` real minutes at `--scale` simulated seconds per
//! second. It probes `/health` and `/metrics` while the fleet runs, stops everything
//! (also on Ctrl-C), prints the README's psql statistics and a checklist of what the run
//! showed. `--resume` keeps the database and the files and goes on from there.

pub mod child;
mod fleet;
pub mod http;
pub mod setup;
mod stats;

use crate::pg::{self, PrivatePostgres};
use anyhow::{Context as _, bail};
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The database of the demo on the private Postgres.
const DEMO_DATABASE: &str = "tgfleet_demo";
/// The fastest clock tgfleet accepts (`clock.scale`).
const MAX_SCALE: f64 = 10_000.0;

/// Options of `cargo xtask demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Real minutes the fleet runs (simulated: minutes × scale).
    #[arg(long, default_value_t = 3.0)]
    pub minutes: f64,
    /// Simulated seconds per real second (60: a simulated hour per real minute).
    #[arg(long, default_value_t = 60.0)]
    pub scale: f64,
    /// Go on from the previous run: keep its database and files (the simulated
    /// Telegram starts over; see the README).
    #[arg(long)]
    pub resume: bool,
    /// Accounts in the generated world.
    #[arg(long, default_value_t = 5)]
    pub accounts: u32,
    /// Groups in the generated world.
    #[arg(long, default_value_t = 150)]
    pub groups: u32,
    /// The world's seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// An empty database to use instead of `tgfleet_demo` on the private Postgres.
    #[arg(long, env = "TGFLEET_DEMO_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Where the scenario, sessions, configuration and logs go (default: target/demo).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Port of `/health` and `/metrics` (tgfleet run --all).
    #[arg(long, default_value_t = 9180)]
    pub health_port: u16,
    /// Port of the console and API that `tgfleet run --all` serves (another free port
    /// when it is taken; 0: any free port).
    #[arg(long, default_value_t = 9170)]
    pub console_port: u16,
    /// Use the binaries next to xtask's own as they are, without `cargo build`.
    #[arg(long)]
    pub no_build: bool,
    /// Prepare the world, the database and the campaign, print where simulated time
    /// starts, and stop before the fleet runs.
    #[arg(long)]
    pub setup_only: bool,
    /// Plan the run as if the wall clock read this instant (RFC 3339); the simulated
    /// clock then starts where such a run would start. For tests of every hour.
    #[arg(long, hide = true, value_parser = parse_instant)]
    pub wall_clock: Option<chrono::DateTime<chrono::Utc>>,
}

fn parse_instant(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|instant| instant.to_utc())
        .map_err(|err| format!("not an RFC 3339 instant ({err}), e.g. 2026-03-14T21:30:00Z"))
}

/// Runs the demo; exit code 0 when the run showed everything on the checklist.
pub fn run(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    check_args(args)?;
    let stop = Arc::new(AtomicBool::new(false));
    let handler_stop = Arc::clone(&stop);
    ctrlc::set_handler(move || handler_stop.store(true, Ordering::SeqCst))
        .context("cannot install the Ctrl-C handler")?;

    let root = pg::repository_root();
    if !args.no_build {
        build_binaries(&root, Build::Debug)?;
    }
    let bins = binaries_dir(Build::Debug)?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| root.join("target").join("demo"));
    let database = Database::choose(args, DEMO_DATABASE)?;
    let demo = if args.resume {
        setup::resume(&dir, &bins, &database, args)?
    } else {
        setup::fresh(&dir, &bins, &database, args, setup::Profile::DEMO)?
    };
    let sim = demo.start_sim(None)?;
    if args.setup_only {
        demo.onboard()?;
        drop(sim);
        println!("demo: set up; `cargo xtask demo --resume` runs the fleet on it");
        return Ok(ExitCode::SUCCESS);
    }
    let outcome = fleet::run(
        &demo,
        Duration::from_secs_f64(args.minutes * 60.0),
        args.console_port,
        &stop,
    );
    drop(sim);
    let outcome = outcome?;
    let report = stats::report(&root, &database, &outcome)?;
    Ok(if report.complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn check_args(args: &DemoArgs) -> anyhow::Result<()> {
    if !(args.minutes.is_finite() && args.minutes > 0.0) {
        bail!("--minutes must be above 0, got {}", args.minutes);
    }
    if !(args.scale.is_finite() && args.scale > 1.0 && args.scale <= MAX_SCALE) {
        bail!(
            "--scale must be above 1 and at most {MAX_SCALE}, got {}",
            args.scale
        );
    }
    if args.accounts == 0 || args.groups == 0 {
        bail!("--accounts and --groups must be at least 1");
    }
    if args.health_port == 0 {
        bail!("--health-port must be a port number (1-65535), got 0");
    }
    Ok(())
}

/// Which build of the binaries runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Build {
    /// `target/debug`, next to xtask's own binary (the demo, the chaos harness).
    Debug,
    /// `target/release` (the fleet benchmark).
    Release,
}

/// Builds the binaries. The debug build is the workspace's binaries and tests, as
/// `cargo xtask test` builds them: one feature set (the tests' dev-dependencies add
/// features), so neither rebuilds the other.
pub fn build_binaries(root: &std::path::Path, build: Build) -> anyhow::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    match build {
        Build::Debug => command.args(["build", "--workspace", "--bins", "--tests"]),
        Build::Release => command.args(["build", "--release", "--workspace", "--bins"]),
    };
    command.current_dir(root);
    eprintln!("xtask: {}", crate::process::describe(&command));
    crate::process::run(&mut command)
}

/// Where `tgfleet` and `tg-sim` are: next to xtask's own binary (`target/debug`), or
/// in its sibling `target/release`.
pub fn binaries_dir(build: Build) -> anyhow::Result<PathBuf> {
    binaries_with(build, &["tgfleet", "tg-sim"])
}

/// The directory of `build`'s binaries, holding every one of `binaries`.
pub fn binaries_with(build: Build, binaries: &[&str]) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find xtask's own binary")?;
    let debug = exe.parent().context("xtask's binary has no directory")?;
    let dir = match build {
        Build::Debug => debug.to_path_buf(),
        Build::Release => debug
            .parent()
            .context("xtask's binary is not in a target directory")?
            .join("release"),
    };
    for &binary in binaries {
        if !dir.join(binary).is_file() {
            bail!(
                "{} is missing; run without --no-build (or `cargo build --workspace --bins --tests`)",
                dir.join(binary).display()
            );
        }
    }
    Ok(dir)
}

/// The demo's database and how to reach it with psql.
#[derive(Debug)]
pub struct Database {
    /// Its URL (never printed: it may hold a password).
    url: String,
    /// Whether it is the private Postgres's `tgfleet_demo`, which a fresh run recreates.
    private: Option<PrivatePostgres>,
}

impl Database {
    /// The database of `--database-url`, else `private_name` on the private Postgres
    /// (recreated unless resuming).
    pub fn choose(args: &DemoArgs, private_name: &str) -> anyhow::Result<Self> {
        match &args.database_url {
            Some(url) if !url.is_empty() => Ok(Self {
                url: url.clone(),
                private: None,
            }),
            _ => {
                let server = PrivatePostgres::locate()?;
                let url = server.ensure_database(private_name, !args.resume)?;
                Ok(Self {
                    url,
                    private: Some(server),
                })
            }
        }
    }

    /// `name` on `server`, dropped and created empty.
    pub fn fresh_on(server: PrivatePostgres, name: &str) -> anyhow::Result<Self> {
        let url = server.ensure_database(name, true)?;
        Ok(Self {
            url,
            private: Some(server),
        })
    }

    /// The private server holding the database, if it is one.
    pub fn private_server(&self) -> Option<&PrivatePostgres> {
        self.private.as_ref()
    }

    /// The URL of the private `tgfleet_demo` (it holds no password); `None` for a
    /// database given with `--database-url`.
    pub fn private_url(&self) -> Option<&str> {
        self.private.as_ref().map(|_| self.url.as_str())
    }

    /// A psql command on this database (quiet, stops at the first error).
    pub fn psql(&self) -> Command {
        let mut command = match &self.private {
            Some(server) => server.psql_program(),
            None => pg::psql_program(),
        };
        command
            .args(["--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-X"])
            .arg(&self.url);
        command
    }

    /// One value (or one `|`-separated row per line) that `sql` selects.
    pub fn query(&self, sql: &str) -> anyhow::Result<String> {
        Ok(crate::process::capture(self.psql().args(["-tAc", sql]))?
            .trim()
            .to_owned())
    }

    /// Empties the database for a fresh run: the private one is recreated; a given one
    /// must hold no table (nothing of anybody's is ever dropped).
    fn make_fresh(&self) -> anyhow::Result<()> {
        if self.private.is_some() {
            return Ok(());
        }
        let tables = crate::process::capture(self.psql().args([
            "-tAc",
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
        ]))?;
        if tables.trim() != "0" {
            bail!(
                "--database-url: the database holds {} tables; a fresh demo needs an empty database (or use --resume)",
                tables.trim()
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(Debug, clap::Parser)]
    struct Demo {
        #[command(flatten)]
        args: DemoArgs,
    }

    fn checked(args: &[&str]) -> Result<(), String> {
        let demo = Demo::try_parse_from(std::iter::once("demo").chain(args.iter().copied()))
            .map_err(|error| error.to_string())?;
        check_args(&demo.args).map_err(|error| error.to_string())
    }

    #[test]
    fn bad_arguments_name_the_flag() {
        assert_eq!(checked(&[]), Ok(()));
        for (args, flag) in [
            (&["--minutes", "0"][..], "--minutes"),
            (&["--scale", "1"], "--scale"),
            (&["--scale", "50000"], "--scale"),
            (&["--accounts", "0"], "--accounts"),
            (&["--health-port", "0"], "--health-port"),
            (&["--minutes", "soon"], "--minutes"),
        ] {
            let error = checked(args).unwrap_err();
            assert!(error.contains(flag), "{args:?}: {error}");
        }
    }
}
