//! Running the fleet (`tgfleet run --all`): its log on the terminal, `/health` and
//! `/metrics` probed while it runs, the console served with a demo operator, a clean
//! stop at the end or on Ctrl-C.

use super::child::Running;
use super::http;
use super::setup::{Demo, free_port};
use anyhow::{Context as _, bail};
use std::io::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// When the first probe of `/health` and `/metrics` happens.
const FIRST_PROBE_AFTER: Duration = Duration::from_secs(10);
/// How often `/health` and `/metrics` are probed after the first time.
const PROBE_EVERY: Duration = Duration::from_secs(45);
/// How long the fleet gets to finish its units of work after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(60);

/// The demo's console login: a simulated fleet's, printed on purpose (never use it
/// for a real one).
pub const DEMO_OPERATOR: (&str, &str) = ("demo", "demo-console");

/// `wanted` if it is free on 127.0.0.1, else (or for 0) any free port.
fn console_port(wanted: u16) -> anyhow::Result<u16> {
    if wanted != 0 && TcpListener::bind(("127.0.0.1", wanted)).is_ok() {
        return Ok(wanted);
    }
    if wanted != 0 {
        println!("demo: port {wanted} is taken; the console takes another");
    }
    free_port()
}

/// Creates (or resets) the demo operator: `tgfleet console add-user --password-stdin`.
fn add_demo_operator(demo: &Demo) -> anyhow::Result<()> {
    let (name, password) = DEMO_OPERATOR;
    let mut child = demo
        .tgfleet()
        .args(["console", "add-user", name, "--password-stdin", "--replace"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run tgfleet console add-user")?;
    child
        .stdin
        .take()
        .context("no stdin")?
        .write_all(format!("{password}\n").as_bytes())?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "tgfleet console add-user {name}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// The log words operators grep for (docs/design.md), counted over the run.
#[derive(Debug, Default)]
pub struct LogCounts {
    /// `Successfully joined`.
    pub joined: u32,
    /// `FloodWait`.
    pub flood_waits: u32,
    /// `Sent to`.
    pub sent: u32,
    /// `Pre-check failed`.
    pub precheck_failed: u32,
    /// A content-kind skip: `the group refuses` (pre-check) or `refuses … its other
    /// variants still go` (Telegram's answer).
    pub content_skips: u32,
    /// The reviewer's summary (`Checked groups:`).
    pub review_summaries: u32,
    /// `Relayed post … from @source`.
    pub relayed: u32,
}

impl LogCounts {
    fn count(&mut self, line: &str) {
        if line.contains("Successfully joined") {
            self.joined += 1;
        }
        if line.contains("FloodWait") {
            self.flood_waits += 1;
        }
        if line.contains("Sent to") {
            self.sent += 1;
        }
        if line.contains("Pre-check failed") {
            self.precheck_failed += 1;
        }
        if line.contains("the group refuses") || line.contains("its other variants still go") {
            self.content_skips += 1;
        }
        if line.contains("Checked groups:") {
            self.review_summaries += 1;
        }
        if line.contains("Relayed post") && line.contains(" from @") {
            self.relayed += 1;
        }
    }
}

/// One probe of the endpoints while the fleet ran.
#[derive(Debug)]
pub struct Probe {
    /// The status line and body of `/health`.
    pub health: http::Answer,
    /// The status line and body of `/metrics`.
    pub metrics: http::Answer,
}

/// What the run showed.
#[derive(Debug)]
pub struct FleetOutcome {
    /// The log words.
    pub counts: LogCounts,
    /// The probes of `/health` and `/metrics`.
    pub probes: Vec<Probe>,
    /// Whether the fleet stopped by itself after SIGTERM (or Ctrl-C) with exit code 0.
    pub stopped_cleanly: bool,
}

/// Runs `tgfleet run --all` for `duration` (or until `stop`), then stops it.
pub fn run(
    demo: &Demo,
    duration: Duration,
    console: u16,
    stop: &AtomicBool,
) -> anyhow::Result<FleetOutcome> {
    demo.onboard()?;
    add_demo_operator(demo)?;
    let console = SocketAddr::from(([127, 0, 0, 1], console_port(console)?));
    let mut command = demo.tgfleet();
    command
        .args(["run", "--all"])
        .env("TGFLEET__CONSOLE__ENABLED", "true")
        .env("TGFLEET__CONSOLE__LISTEN", console.to_string())
        .env("TGFLEET__CONSOLE__MEDIA_DIR", demo.dir.join("media"));
    println!("$ tgfleet run --all");
    let mut fleet = Running::spawn("tgfleet run --all", &mut command, true)?;
    let (name, password) = DEMO_OPERATOR;
    println!(
        "demo: the console is on http://{console}/ (log in as {name}, password {password}: a demo-only login)"
    );
    println!(
        "demo: the fleet runs for {:.1} minutes; Ctrl-C stops it early",
        duration.as_secs_f64() / 60.0
    );
    let started = Instant::now();
    let mut counts = LogCounts::default();
    let mut health: Option<SocketAddr> = None;
    let mut probes = Vec::new();
    while started.elapsed() < duration && !stop.load(Ordering::SeqCst) {
        if let Some(status) = fleet.exited() {
            drain(&fleet, &mut counts, &mut health);
            bail!("tgfleet run --all exited on its own ({status}); see its log above");
        }
        if let Ok(line) = fleet.lines.recv_timeout(Duration::from_millis(200)) {
            show(&line, &mut counts, &mut health);
        }
        if let Some(address) = health
            && started.elapsed() >= FIRST_PROBE_AFTER + PROBE_EVERY * probes.len() as u32
        {
            probes.push(probe(address));
        }
    }
    if stop.load(Ordering::SeqCst) {
        println!("demo: Ctrl-C: stopping the fleet");
    } else if let Some(address) = health {
        probes.push(probe(address));
    }
    println!("demo: stopping the fleet (SIGTERM)");
    fleet.terminate();
    let deadline = Instant::now() + STOP_GRACE;
    let status = loop {
        if let Ok(line) = fleet.lines.recv_timeout(Duration::from_millis(100)) {
            show(&line, &mut counts, &mut health);
        }
        if let Some(status) = fleet.exited() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
    };
    drain(&fleet, &mut counts, &mut health);
    let stopped_cleanly = match status {
        Some(status) => status.success(),
        None => {
            fleet.wait_or_kill(Duration::ZERO);
            false
        }
    };
    Ok(FleetOutcome {
        counts,
        probes,
        stopped_cleanly,
    })
}

fn drain(fleet: &Running, counts: &mut LogCounts, health: &mut Option<SocketAddr>) {
    while let Ok(line) = fleet.lines.recv_timeout(Duration::from_millis(300)) {
        show(&line, counts, health);
    }
}

fn show(line: &str, counts: &mut LogCounts, health: &mut Option<SocketAddr>) {
    println!("{line}");
    counts.count(line);
    if health.is_none()
        && let Some(rest) = line.split("Health and metrics on http://").nth(1)
    {
        *health = rest
            .split('/')
            .next()
            .and_then(|address| address.parse().ok());
    }
}

fn probe(address: SocketAddr) -> Probe {
    let health = http::get(address, "/health");
    let metrics = http::get(address, "/metrics");
    println!("demo: GET http://{address}/health -> {}", health.summary());
    println!(
        "demo: GET http://{address}/metrics -> {}; {}",
        metrics.status,
        http::tgfleet_series(&metrics.body)
    );
    Probe { health, metrics }
}
