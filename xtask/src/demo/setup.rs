//! The demo's world and fleet before they run: the scenario, the configuration, tg-sim
//! with the accounts' sessions provisioned, the imports and the campaign.

use super::child::Running;
use super::{Database, DemoArgs};
use anyhow::{Context as _, bail};
use chrono::{DateTime, TimeDelta, Utc};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Marks a directory as the demo's (a fresh run deletes only such a directory).
const STATE_FILE: &str = "demo-state.toml";
/// tgfleet's configuration for the demo.
const CONFIG_FILE: &str = "demo.toml";
/// The demo's session key: demo-only, it seals nothing but simulated sessions.
const DEMO_SESSION_KEY: &str = "dGdmbGVldC1kZW1vLW9ubHktc2Vzc2lvbi1rZXktMzI=";
/// Joins each account may make per window in the demo's world: tighter than
/// Telegram's usual, so that the run shows FloodWait handling.
const DEMO_JOIN_BUDGET: (u32, u32) = (3, 1800);
/// The campaign the demo posts.
pub const CAMPAIGN: &str = "bali-villas";
/// The demo's groups per 150, by tg-world profile (open groups fill the rest): every
/// kind the fleet must handle, with link-forbidding groups (the link goes without its
/// preview), groups refusing photos only, where the photo variant (the campaign's
/// first) is skipped and a text goes, and groups charging Stars per message, which
/// the pre-check reads once and never retries, as it does forums whose General topic
/// is closed; basic groups reached by invite are refused before joining.
const DEMO_MIX: [(&str, u32); 20] = [
    ("broadcast", 8),
    ("private_invite", 10),
    ("approval", 8),
    ("no_text", 4),
    ("no_media", 4),
    ("no_photos", 6),
    ("no_links", 15),
    ("join_to_send", 5),
    ("slow_mode", 8),
    ("ban_first_post", 5),
    ("ban_probability", 4),
    ("kick_after_join", 4),
    ("vanished_private", 3),
    ("vanished_released", 2),
    ("vanished_deleted", 2),
    ("expired_invite", 3),
    ("missing", 4),
    ("paid", 2),
    ("basic_invite", 2),
    ("closed_forum", 2),
];
/// The relay campaign of the demo and its source channel (in the catalogue, untagged:
/// its reader joins it through the account-manager's slots).
pub const RELAY_CAMPAIGN: &str = "bali-news-relay";
/// The relay source's username.
const RELAY_SOURCE: &str = "bali_news_feed";
/// The relay source posts every few simulated minutes.
const RELAY_EVERY_SECS: u32 = 240;
/// Members of the demo's supergroups write every this many simulated seconds.
const CHATTER_EVERY_SECS: u32 = 120;
/// The demo campaign's photo (tg-sim stores uploads by size and name only).
const DEMO_PHOTO: &[u8] = b"\xFF\xD8\xFF\xE0 demo villa photo";
/// When the first review runs, after the start (the fleet has joined groups by then).
const FIRST_REVIEW_AFTER: TimeDelta = TimeDelta::minutes(45);

/// What the fleet benchmark changes in the demo's world and configuration.
#[derive(Clone, Copy, Debug)]
pub struct Profile {
    /// Joins each account may make per window in the world (`None`: tg-world's own).
    pub join_budget: Option<(u32, u32)>,
    /// The fleet's `database.max_connections`.
    pub max_connections: u32,
}

impl Profile {
    /// The demo's: a tight join budget, the default pool.
    pub const DEMO: Self = Self {
        join_budget: Some(DEMO_JOIN_BUDGET),
        max_connections: 10,
    };
}

/// What a run needs to start and to resume: the shared clock and the ports.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct DemoState {
    /// Where simulated and real time coincide (tgfleet's `clock.origin`, tg-sim's `--epoch`).
    origin: DateTime<Utc>,
    /// Where simulated time started (absent in the state of older runs).
    #[serde(default)]
    start: Option<DateTime<Utc>>,
    /// Simulated seconds per real second.
    scale: f64,
    /// tg-sim's port, written into the provisioned sessions.
    sim_port: u16,
}

/// A prepared demo.
#[derive(Debug)]
pub struct Demo {
    /// Scenario, sessions, configuration, logs.
    pub dir: PathBuf,
    bins: PathBuf,
    url: String,
    state: DemoState,
    fresh: bool,
    profile: Profile,
    accounts: u32,
}

/// Prepares a fresh run: empties the database and the directory, generates the world
/// and writes the configuration.
pub fn fresh(
    dir: &Path,
    bins: &Path,
    database: &Database,
    args: &DemoArgs,
    profile: Profile,
) -> anyhow::Result<Demo> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)?.next().is_none();
        if !empty && !dir.join(STATE_FILE).is_file() {
            bail!(
                "--dir {}: not a demo directory (no {STATE_FILE}); refusing to empty it",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot empty {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir.join("sessions"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    database.make_fresh()?;

    let real_now = Utc::now();
    let simulated = TimeDelta::milliseconds((args.minutes * 60_000.0 * args.scale) as i64);
    let start = simulated_start(args.wall_clock.unwrap_or(real_now), simulated);
    let state = DemoState {
        origin: origin_for(real_now, start, args.scale),
        start: Some(start),
        scale: args.scale,
        sim_port: free_port()?,
    };
    generate_world(dir, bins, args, start, profile.join_budget)?;
    let demo = Demo {
        dir: dir.to_path_buf(),
        bins: bins.to_path_buf(),
        url: database.url.clone(),
        state,
        fresh: true,
        profile,
        accounts: args.accounts,
    };
    demo.write_files(args.health_port, &review_schedule(start, simulated))?;
    println!(
        "demo: a world of {} accounts and {} groups (seed {}); simulated time starts at {} and runs {}x",
        args.accounts,
        args.groups,
        args.seed,
        start.format("%Y-%m-%d %H:%M UTC"),
        args.scale
    );
    Ok(demo)
}

/// Prepares a resumed run from the files of the previous one.
pub fn resume(
    dir: &Path,
    bins: &Path,
    database: &Database,
    args: &DemoArgs,
) -> anyhow::Result<Demo> {
    let path = dir.join(STATE_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "--resume: no earlier demo in {} (run `cargo xtask demo` without --resume first)",
            dir.display()
        )
    })?;
    let state: DemoState =
        toml::from_str(&text).with_context(|| format!("{}: not a demo state", path.display()))?;
    let demo = Demo {
        dir: dir.to_path_buf(),
        bins: bins.to_path_buf(),
        url: database.url.clone(),
        state,
        fresh: false,
        profile: Profile::DEMO,
        accounts: args.accounts,
    };
    demo.write_files(args.health_port, HOURLY)?;
    println!(
        "demo: resuming; simulated time goes on from the previous run's clock ({}x since {})",
        demo.state.scale,
        demo.state.origin.format("%Y-%m-%d %H:%M:%S UTC")
    );
    Ok(demo)
}

impl Demo {
    /// `tgfleet --config demo.toml` with the database, and nothing of the caller's
    /// tgfleet environment (the demo's settings are the file's).
    pub fn tgfleet(&self) -> Command {
        self.fleet_binary("tgfleet")
    }

    /// `BINARY --config demo.toml` (`tgfleet` or a service's binary) with the database and
    /// nothing of the caller's tgfleet environment.
    pub fn fleet_binary(&self, binary: &str) -> Command {
        let mut command = Command::new(self.bins.join(binary));
        for (name, _) in std::env::vars_os() {
            let name_text = name.to_string_lossy();
            if name_text.starts_with("TGFLEET") || name_text.starts_with("TG_API") {
                command.env_remove(&name);
            }
        }
        if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            command.env("NO_COLOR", "1");
        }
        command
            .arg("--config")
            .arg(self.dir.join(CONFIG_FILE))
            .env("DATABASE_URL", &self.url);
        command
    }

    /// The shared clock: its origin and scale (tgfleet's `clock.origin`, `clock.scale`).
    pub fn clock(&self) -> (DateTime<Utc>, f64) {
        (self.state.origin, self.state.scale)
    }

    /// Starts tg-sim on the demo's port (with its admin endpoint on `admin` when given) and
    /// waits until it has provisioned the accounts' sessions. Its log goes to `tg-sim.log`.
    pub fn start_sim(&self, admin: Option<u16>) -> anyhow::Result<Running> {
        let log = std::fs::File::create(self.dir.join("tg-sim.log"))?;
        let mut command = Command::new(self.bins.join("tg-sim"));
        if let Some(port) = admin {
            command.args(["--admin", &format!("127.0.0.1:{port}")]);
        }
        command
            .arg("--scenario")
            .arg(self.dir.join("scenario.toml"))
            .args(["--listen", &format!("127.0.0.1:{}", self.state.sim_port)])
            .args(["--time-scale", &self.state.scale.to_string()])
            .args(["--epoch", &self.state.origin.to_rfc3339()])
            .arg("--provision-dir")
            .arg(self.dir.join("sessions"))
            .stderr(log);
        let mut sim = Running::spawn("tg-sim", &mut command, false)?;
        // Provisioning takes a moment per account.
        let wait = Duration::from_secs(60) + Duration::from_millis(100) * self.accounts;
        let deadline = Instant::now() + wait;
        loop {
            if let Some(status) = sim.exited() {
                bail!(
                    "tg-sim exited ({status}) before serving; see {}",
                    self.dir.join("tg-sim.log").display()
                );
            }
            match sim.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    println!("{line}");
                    if line.starts_with("tg-sim provisioned") {
                        return Ok(sim);
                    }
                }
                Err(_) if Instant::now() > deadline => {
                    bail!("tg-sim did not start within {} s", wait.as_secs())
                }
                Err(_) => {}
            }
        }
    }

    /// Migrates, and on a fresh run imports the sessions and the groups and creates
    /// the campaign: what an operator does with `tgfleet` before running the fleet.
    pub fn onboard(&self) -> anyhow::Result<()> {
        self.tgfleet_step(&["migrate"])?;
        if !self.fresh {
            return Ok(());
        }
        let sessions = self.dir.join("sessions");
        let groups = self.dir.join("groups.txt");
        self.tgfleet_step(&["accounts", "import", &sessions.to_string_lossy()])?;
        // The relay's source first: a relay is read by a member of its source, and the
        // account-manager joins it like any group, first in its account's queue.
        let source = self.dir.join("relay-source.txt");
        std::fs::write(&source, format!("@{RELAY_SOURCE}\n"))
            .with_context(|| format!("cannot write {}", source.display()))?;
        self.tgfleet_step(&["groups", "import", &source.to_string_lossy()])?;
        self.tgfleet_step(&[
            "groups",
            "import",
            &groups.to_string_lossy(),
            "--tag",
            "demo",
        ])?;
        self.tgfleet_step(&["campaigns", "create", CAMPAIGN, "--all"])?;
        // The photo variant first: every group's first round carries it, so the groups
        // refusing photos (`no_photos`, `no_media`) skip it within minutes and take a
        // text variant instead (a content-kind skip in the log and in
        // `group_refused_content`).
        let photo = self.dir.join("villa.jpg");
        std::fs::write(&photo, DEMO_PHOTO)
            .with_context(|| format!("cannot write {}", photo.display()))?;
        self.tgfleet_step(&[
            "campaigns",
            "add-variant",
            CAMPAIGN,
            "--photo",
            &photo.to_string_lossy(),
            "--caption",
            "The pool villa in Ubud",
        ])?;
        self.tgfleet_step(&[
            "campaigns",
            "add-variant",
            CAMPAIGN,
            "--text",
            "Villas in Ubud from $40 a night this week: https://example.com/bali",
        ])?;
        self.tgfleet_step(&[
            "campaigns",
            "add-variant",
            CAMPAIGN,
            "--format",
            "markdown",
            "--text",
            "**Bali villas**: ask us about this week's prices",
        ])?;
        // A relay campaign: the source's new posts, sponsored ones left out.
        let source = format!("@{RELAY_SOURCE}");
        self.tgfleet_step(&[
            "campaigns",
            "create",
            RELAY_CAMPAIGN,
            "--relay",
            &source,
            "--exclude",
            "(?i)sponsored",
            "--delay",
            "2m",
            "--max-age",
            "6h",
            "--all",
        ])?;
        Ok(())
    }

    /// Runs `tgfleet ARGS`, echoing the command and its output.
    pub fn tgfleet_step(&self, args: &[&str]) -> anyhow::Result<()> {
        println!("$ tgfleet {}", args.join(" "));
        let output = crate::process::capture(self.tgfleet().args(args))?;
        for line in output.lines() {
            println!("  {line}");
        }
        Ok(())
    }

    fn write_files(&self, health_port: u16, review_schedule: &str) -> anyhow::Result<()> {
        let state = toml::to_string(&self.state)?;
        write_private(&self.dir.join(STATE_FILE), &state)?;
        write_private(
            &self.dir.join(CONFIG_FILE),
            &config_toml(&self.state, health_port, review_schedule, self.profile),
        )
    }
}

/// The simulated start: now, unless the run would cross midnight UTC, in which case
/// the run ends now (so that the views' "today" covers the whole run).
fn simulated_start(real_now: DateTime<Utc>, simulated: TimeDelta) -> DateTime<Utc> {
    let end = real_now + simulated;
    if end.date_naive() == real_now.date_naive() {
        real_now
    } else {
        real_now - simulated
    }
}

/// Every hour, on the hour (UTC).
const HOURLY: &str = "0 * * * *";

/// The reviewer's schedule (UTC): first [`FIRST_REVIEW_AFTER`] the start, then hourly
/// while the run lasts (hourly for runs of a simulated day or more). Named hours
/// rather than `*`, so that no earlier tick is caught up at start.
fn review_schedule(start: DateTime<Utc>, simulated: TimeDelta) -> String {
    use chrono::Timelike as _;
    if simulated >= TimeDelta::hours(23) {
        return HOURLY.to_owned();
    }
    let first = start + FIRST_REVIEW_AFTER;
    let mut hours = Vec::new();
    let mut tick = first;
    while tick <= start + simulated || hours.is_empty() {
        hours.push(tick.hour().to_string());
        tick += TimeDelta::hours(1);
    }
    format!("{} {} * * *", first.minute(), hours.join(","))
}

/// The clock origin `o` such that `o + (real_now - o) * scale == start`.
fn origin_for(real_now: DateTime<Utc>, start: DateTime<Utc>, scale: f64) -> DateTime<Utc> {
    let behind = (real_now - start).as_seconds_f64();
    real_now + TimeDelta::microseconds((behind / (scale - 1.0) * 1e6) as i64)
}

/// A port nothing listens on now.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn generate_world(
    dir: &Path,
    bins: &Path,
    args: &DemoArgs,
    start: DateTime<Utc>,
    join_budget: Option<(u32, u32)>,
) -> anyhow::Result<()> {
    let scenario = dir.join("scenario.toml");
    let output = crate::process::capture(
        Command::new(bins.join("tg-sim"))
            .arg("generate")
            .args(["--accounts", &args.accounts.to_string()])
            .args(["--seed", &args.seed.to_string()])
            .args(["--with-stories", &(args.groups / 10).to_string()])
            .arg("--mix")
            .arg(write_mix(dir, args.groups)?)
            .args(["--epoch", &start.to_rfc3339()])
            .args([
                "--vanish-at",
                &(start + TimeDelta::minutes(75)).to_rfc3339(),
            ])
            .arg("--out")
            .arg(&scenario)
            .arg("--import-list")
            .arg(dir.join("groups.txt")),
    )?;
    print!("{output}");
    let text = std::fs::read_to_string(&scenario)?;
    let mut world: toml::Table = text
        .parse()
        .context("tg-sim wrote an unreadable scenario")?;
    add_relay_source(&mut world)?;
    let Some((calls, per_secs)) = join_budget else {
        return write_private(&scenario, &toml::to_string(&world)?);
    };
    let limits = world
        .entry("limits")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .context("the scenario's limits are not a table")?;
    let mut join = toml::Table::new();
    join.insert("calls".into(), i64::from(calls).into());
    join.insert("per_secs".into(), i64::from(per_secs).into());
    limits.insert("join".into(), toml::Value::Table(join));
    write_private(&scenario, &toml::to_string(&world)?)
}

/// The relay campaign's source channel in the demo's world: it publishes a post every
/// [`RELAY_EVERY_SECS`] simulated seconds. Members of the supergroups talk every
/// [`CHATTER_EVERY_SECS`], so the etiquette (no post where one of the fleet's is among
/// the latest five) lets groups take the next post once others have spoken.
fn add_relay_source(world: &mut toml::Table) -> anyhow::Result<()> {
    let groups = world
        .entry("groups")
        .or_insert_with(|| toml::Value::Array(Vec::new()))
        .as_array_mut()
        .context("the scenario's groups are not an array")?;
    for group in groups.iter_mut().filter_map(toml::Value::as_table_mut) {
        if !group.contains_key("kind") {
            group.insert(
                "chatter_every_secs".into(),
                i64::from(CHATTER_EVERY_SECS).into(),
            );
        }
    }
    let mut publish = toml::Table::new();
    publish.insert("every_secs".into(), i64::from(RELAY_EVERY_SECS).into());
    publish.insert("count".into(), 1000.into());
    publish.insert(
        "kinds".into(),
        toml::Value::Array(
            ["text", "photo", "text", "document"]
                .into_iter()
                .map(toml::Value::from)
                .collect(),
        ),
    );
    let mut source = toml::Table::new();
    source.insert("username".into(), RELAY_SOURCE.into());
    source.insert("title".into(), "Bali News".into());
    source.insert("kind".into(), "broadcast".into());
    source.insert("channel_id".into(), 1_990_000_001.into());
    source.insert("publish".into(), toml::Value::Table(publish));
    groups.push(toml::Value::Table(source));
    Ok(())
}

/// Writes `mix.toml`: [`DEMO_MIX`] scaled to `groups`, open groups for the rest.
fn write_mix(dir: &Path, groups: u32) -> anyhow::Result<PathBuf> {
    let mut text = String::from("# Groups per tg-world profile (written by `cargo xtask demo`).\n");
    let mut special = 0;
    for (profile, per_150) in DEMO_MIX {
        let count = (u64::from(per_150) * u64::from(groups) / 150) as u32;
        special += count;
        text.push_str(&format!("{profile} = {count}\n"));
    }
    text.push_str(&format!("open = {}\n", groups.saturating_sub(special)));
    let path = dir.join("mix.toml");
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

fn config_toml(
    state: &DemoState,
    health_port: u16,
    review_schedule: &str,
    profile: Profile,
) -> String {
    format!(
        r#"# Written by `cargo xtask demo`. Demo-only values: the session key seals nothing but
# simulated sessions, and tg-sim accepts any API id and hash.

[database]
max_connections = {max_connections}

[telegram]
api_id = 1
api_hash = "0123456789abcdef0123456789abcdef"

[sessions]
encryption_key = "{DEMO_SESSION_KEY}"

[schedule]
# UTC, so that the schedules below read like the log's timestamps.
time_zone = "UTC"

[clock]
scale = {scale:?}
origin = "{origin}"

[joins]
# A slot every 20 simulated minutes (20 real seconds at 60x).
slots = ["*/20 * * * *"]

[posting]
windows = "0-24"

[activity]
windows = "0-24"

[reviewer]
schedule = "{review_schedule}"
enabled_schedule = true

[leases]
ttl_secs = 600

[telemetry]
health_address = "127.0.0.1"
health_base_port = {health_port}
"#,
        scale = state.scale,
        origin = state.origin.to_rfc3339(),
        max_connections = profile.max_connections,
    )
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn the_origin_makes_the_scaled_clock_read_the_start_now() {
        let now = at("2026-11-22T22:30:00Z");
        let three_hours = TimeDelta::hours(3);
        let start = simulated_start(now, three_hours);
        assert_eq!(start, at("2026-11-22T19:30:00Z"), "the run ends today");
        let origin = origin_for(now, start, 60.0);
        let reads =
            origin + TimeDelta::microseconds(((now - origin).as_seconds_f64() * 60.0 * 1e6) as i64);
        assert!(
            (reads - start).num_milliseconds().abs() < 5,
            "{reads} vs {start}"
        );

        assert_eq!(
            review_schedule(at("2026-11-22T08:10:00Z"), three_hours),
            "55 8,9,10 * * *"
        );
        assert_eq!(review_schedule(start, TimeDelta::hours(30)), "0 * * * *");

        let morning = at("2026-11-22T08:00:00Z");
        assert_eq!(simulated_start(morning, three_hours), morning);
        assert_eq!(origin_for(morning, morning, 60.0), morning);
    }
}
