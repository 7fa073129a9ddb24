//! `cargo xtask chaos-oneoff`: one-off sends through the console's API against tg-sim,
//! sent by a real marketer process with the real grammers client, and counted in
//! tg-sim's ledger.
//!
//! The set-up is the chaos harness's (a generated world served by tg-sim with its admin
//! endpoint, sessions and groups imported; the demo's campaigns, daily and relay, paused,
//! so every message in the ledger is a one-off send). An account-manager joins groups, a one-shot
//! group-reviewer marks them postable, `tgfleet console` serves the API and one marketer
//! sends. Then:
//!
//! 1. a send is requested, and requested again with the same `Idempotency-Key`
//!    (before and after it went out): one request id, one message in the ledger;
//! 2. tg-sim holds every answer back 1.5 s, a second send is requested, and as soon as the
//!    message is in the ledger (the send reached Telegram, its answer did not reach the
//!    marketer) the marketer is killed with SIGKILL and started again: the send ends
//!    `unknown`, never sent again, and the repeated request still names it.
//!
//! The exit code is 0 when every check holds.

use super::replicas::{self, Replica};
use super::{PG_NAME, STOP_GRACE};
use crate::demo::setup::{self, free_port};
use crate::demo::{Database, DemoArgs, http};
use crate::pg::{self, PrivatePostgres};
use anyhow::{Context as _, bail};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// Its database on the chaos harness's Postgres.
const DATABASE: &str = "tgfleet_oneoff";

/// Options of `cargo xtask chaos-oneoff`.
#[derive(Debug, clap::Args)]
pub struct OneOffArgs {
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 120.0)]
    pub scale: f64,
    /// Seed of the world.
    #[arg(long, default_value_t = 17)]
    pub seed: u64,
    /// Where the scenario, sessions, configuration and logs go (default: target/chaos-oneoff).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// First `/health` port of the replicas.
    #[arg(long, default_value_t = 9500)]
    pub health_base_port: u16,
    /// Use the binaries next to xtask's own as they are, without `cargo build`.
    #[arg(long)]
    pub no_build: bool,
}

/// What the run checks, each with its outcome.
#[derive(Debug, Default)]
struct Checks(Vec<(String, bool)>);

impl Checks {
    fn check(&mut self, what: impl Into<String>, held: bool) {
        let what = what.into();
        println!(
            "chaos-oneoff: {} {what}",
            if held { "ok  " } else { "FAIL" }
        );
        self.0.push((what, held));
    }

    fn all_held(&self) -> bool {
        self.0.iter().all(|(_, held)| *held)
    }
}

/// The console's API with a write token.
struct Api {
    address: SocketAddr,
    token: String,
}

impl Api {
    fn send(&self, key: &str, json: &str) -> (u16, Value) {
        let bearer = format!("Bearer {}", self.token);
        let answer = http::with_headers(
            self.address,
            "POST",
            "/api/v1/messages",
            &[("Authorization", &bearer), ("Idempotency-Key", key)],
            json,
        );
        (
            answer.code(),
            serde_json::from_str(&answer.body).unwrap_or(Value::Null),
        )
    }

    fn get(&self, path: &str) -> Value {
        let bearer = format!("Bearer {}", self.token);
        let answer =
            http::with_headers(self.address, "GET", path, &[("Authorization", &bearer)], "");
        serde_json::from_str(&answer.body).unwrap_or(Value::Null)
    }

    fn message(&self, id: i64) -> Value {
        self.get(&format!("/api/v1/messages/{id}"))
    }

    /// Waits until message `id` leaves `pending` (at most `limit`).
    fn settled(&self, id: i64, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let message = self.message(id);
            if message["state"] != "pending" || Instant::now() > deadline {
                return message;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The ledger's messages (chat, random_id).
fn ledger_messages(admin: SocketAddr) -> anyhow::Result<Vec<(i64, i64)>> {
    let answer = http::get(admin, "/ledger");
    if !answer.is_ok() {
        bail!("tg-sim's ledger: {}", answer.summary());
    }
    let entries: Vec<Value> =
        serde_json::from_str(&answer.body).context("tg-sim's ledger is not JSON")?;
    Ok(entries
        .iter()
        .filter(|entry| entry["kind"] == "message")
        .filter_map(|entry| Some((entry["chat"].as_i64()?, entry["random_id"].as_i64()?)))
        .collect())
}

/// Runs the scenario; exit code 0 when every check holds.
pub fn run(args: &OneOffArgs) -> anyhow::Result<ExitCode> {
    let root = pg::repository_root();
    if !args.no_build {
        crate::demo::build_binaries(&root, crate::demo::Build::Debug)?;
    }
    let bins = crate::demo::binaries_with(
        crate::demo::Build::Debug,
        &[
            "tgfleet",
            "tg-sim",
            "account-manager",
            "marketer",
            "group-reviewer",
        ],
    )?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| root.join("target").join("chaos-oneoff"));
    let database = Database::fresh_on(PrivatePostgres::locate_named(PG_NAME)?, DATABASE)?;
    let demo_args = DemoArgs {
        minutes: 10.0,
        scale: args.scale,
        resume: false,
        accounts: 2,
        groups: 6,
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
    demo.tgfleet_step(&["campaigns", "pause", setup::CAMPAIGN])?;
    demo.tgfleet_step(&["campaigns", "pause", setup::RELAY_CAMPAIGN])?;

    let mut fleet: Vec<Replica> = replicas::fleet(&dir, args.health_base_port)
        .into_iter()
        .filter(|replica| {
            replica.number == 1 && matches!(replica.service, "account-manager" | "marketer")
        })
        .collect();
    for replica in &mut fleet {
        replica.start(&demo)?;
    }
    let console_address = SocketAddr::from(([127, 0, 0, 1], free_port()?));
    let mut console = start_console(&demo, &dir, console_address)?;
    let outcome = scenario(&demo, &mut fleet, console_address, admin);
    for replica in &mut fleet {
        replica.stop(STOP_GRACE);
    }
    let _ = console.kill();
    let _ = console.wait();
    drop(sim);
    let checks = outcome?;
    Ok(if checks.all_held() {
        println!("chaos-oneoff: every check held");
        ExitCode::SUCCESS
    } else {
        println!(
            "chaos-oneoff: a check failed (logs in {})",
            dir.join("logs").display()
        );
        ExitCode::FAILURE
    })
}

fn start_console(
    demo: &setup::Demo,
    dir: &std::path::Path,
    address: SocketAddr,
) -> anyhow::Result<Child> {
    let log = std::fs::File::create(dir.join("logs").join("console.log"))?;
    let child = demo
        .tgfleet()
        .arg("console")
        .env("TGFLEET__CONSOLE__LISTEN", address.to_string())
        .env("TGFLEET__CONSOLE__MEDIA_DIR", dir.join("media"))
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("cannot start tgfleet console")?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !http::get(address, "/health").is_ok() {
        if Instant::now() > deadline {
            bail!("tgfleet console did not answer /health within 30 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(child)
}

fn scenario(
    demo: &setup::Demo,
    fleet: &mut [Replica],
    console: SocketAddr,
    admin: SocketAddr,
) -> anyhow::Result<Checks> {
    let output = crate::process::capture(demo.tgfleet().args([
        "console",
        "token",
        "create",
        "chaos-oneoff",
        "--scope",
        "write",
    ]))?;
    let token = output
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("tgf_"))
        .context("`tgfleet console token create` printed no token")?
        .to_owned();
    let api = Api {
        address: console,
        token,
    };

    // Joins, then a review that marks the joined groups postable.
    let deadline = Instant::now() + Duration::from_secs(120);
    let groups = loop {
        let reviewed = crate::process::output(demo.fleet_binary("group-reviewer").arg("--once"))?;
        if !reviewed.status.success() && reviewed.status.code() != Some(3) {
            bail!(
                "group-reviewer --once failed: {}",
                String::from_utf8_lossy(&reviewed.stderr)
            );
        }
        let listed = api.get("/api/v1/groups?status=active&can_post=true&limit=10");
        let handles: Vec<String> = listed["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|group| group["account"].is_string())
            .filter_map(|group| Some(group["handle"].as_str()?.to_owned()))
            .collect();
        if handles.len() >= 2 {
            break handles;
        }
        if Instant::now() > deadline {
            bail!("no two postable groups after 120 s of joins and reviews: {listed}");
        }
        std::thread::sleep(Duration::from_secs(3));
    };
    println!("chaos-oneoff: sending to {} and {}", groups[0], groups[1]);
    let mut checks = Checks::default();

    // 1. The same key, repeated before and after the send.
    let body = format!(
        r#"{{"chat": "{}", "text": "Your booking #4711 is confirmed"}}"#,
        groups[0]
    );
    let (status, first) = api.send("booking-4711", &body);
    checks.check(
        format!("a new send is accepted (202): {status}"),
        status == 202,
    );
    let id = first["id"].as_i64().context("no message id")?;
    let (status, again) = api.send("booking-4711", &body);
    checks.check(
        format!(
            "the same key at once names the same send (200, id {id}): {status} {}",
            again["id"]
        ),
        status == 200 && again["id"] == id,
    );
    let settled = api.settled(id, Duration::from_secs(60));
    checks.check(
        format!("the send went out: {}", settled["state"]),
        settled["state"] == "sent",
    );
    let (status, later) = api.send("booking-4711", &body);
    checks.check(
        format!(
            "the same key after the send names it (200, sent): {status} {}",
            later["state"]
        ),
        status == 200 && later["id"] == id && later["state"] == "sent",
    );

    // 2. Killed between the send and its answer.
    let post = |json: &str| {
        let answer = http::post(admin, "/faults", json);
        if !answer.is_ok() {
            eprintln!("chaos-oneoff: POST /faults {json}: {}", answer.summary());
        }
    };
    let before = ledger_messages(admin)?.len();
    // Every answer comes 1.5 s late (within the marketer's request timeout, and short
    // of the lease's TTL on the scaled clock): the connection and the pre-check go
    // through slowly, and the send's answer is still on its way when the message is
    // already in the ledger.
    post(r#"{"delay_ms": 1500}"#);
    let body = format!(
        r#"{{"chat": "{}", "text": "Check-in opens at 2 pm"}}"#,
        groups[1]
    );
    let (status, asked) = api.send("checkin-88", &body);
    checks.check(
        format!("the second send is accepted (202): {status}"),
        status == 202,
    );
    let second = asked["id"].as_i64().context("no message id")?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while ledger_messages(admin)?.len() == before {
        if Instant::now() > deadline {
            bail!("the second send never reached tg-sim");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let marketer = fleet
        .iter_mut()
        .find(|replica| replica.service == "marketer")
        .context("no marketer")?;
    println!(
        "chaos-oneoff: the message is in the ledger, its answer held back: SIGKILL {}",
        marketer.name()
    );
    marketer.kill();
    post(r#"{"delay_ms": 0}"#);
    marketer.start(demo)?;
    let (status, repeated) = api.send("checkin-88", &body);
    checks.check(
        format!(
            "the same key after the kill names the same send: {status} {}",
            repeated["id"]
        ),
        status == 200 && repeated["id"] == second,
    );
    let settled = api.settled(second, Duration::from_secs(90));
    checks.check(
        format!(
            "the killed send is unknown, never retried: {} after {} attempt(s)",
            settled["state"], settled["attempts"]
        ),
        settled["state"] == "unknown" && settled["attempts"] == 1,
    );
    // The restarted marketer has had time to send again, were it to.
    std::thread::sleep(Duration::from_secs(10));
    let (status, last) = api.send("checkin-88", &body);
    checks.check(
        format!(
            "the same key at the end still names it: {status} {}",
            last["state"]
        ),
        status == 200 && last["id"] == second && last["state"] == "unknown",
    );

    let messages = ledger_messages(admin)?;
    let chats: Vec<i64> = messages.iter().map(|(chat, _)| *chat).collect();
    let mut random_ids: Vec<i64> = messages.iter().map(|(_, random_id)| *random_id).collect();
    random_ids.sort_unstable();
    random_ids.dedup();
    checks.check(
        format!(
            "tg-sim's ledger holds exactly two messages, one per send: {} in {chats:?}",
            messages.len()
        ),
        messages.len() == 2 && random_ids.len() == 2 && chats.first() != chats.last(),
    );
    Ok(checks)
}
