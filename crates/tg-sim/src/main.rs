//! `tg-sim`: serve a scenario's world (or the built-in demo backend) over MTProto on loopback,
//! or generate a scenario.
//!
//! ```text
//! tg-sim --scenario FILE --listen 127.0.0.1:PORT [--advertise IP:PORT] [--admin ADDR]
//!        [--time-scale F] [--epoch RFC3339] [--provision-dir DIR]
//! tg-sim [--demo-accounts N] [--signed-out]            # no scenario: the demo backend
//! tg-sim generate --accounts N --groups M --seed S --out scenario.toml [--import-list FILE]
//! ```
//!
//! Once serving, prints `tg-sim listening on ADDRESS` (the address clients are given: the
//! `--advertise` address when set), then `tg-sim admin on http://ADDRESS`
//! with `--admin`, then `tg-sim provisioned N sessions in DIR` with `--provision-dir` (the
//! files exist before the first line is printed). Logs go to stderr (`RUST_LOG`, default
//! `tg_sim=info`) and never carry keys, codes, passwords or full phone numbers.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use tg_sim::demo::{DemoBackend, demo_auth_key};
use tg_sim::generate::{GenerateOptions, generate_scenario, parse_mix};
use tg_sim::provision::provision;
use tg_sim::{
    ScaledClock, ServerConfig, ServerHandle, SharedWorld, SimServer, WorldBackend, admin,
};
use tg_world::{AccountMix, Scenario, World};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing_subscriber::EnvFilter;

/// A simulated Telegram server for the real grammers client.
#[derive(Debug, Parser)]
#[command(name = "tg-sim", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a generated scenario (and the operator's import list) without serving it.
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to serve MTProto on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,

    /// The address clients are given: written into provisioned sessions and announced by
    /// `help.getConfig`. Needed when `--listen` is `0.0.0.0` (a container) or behind NAT;
    /// port 0 means the bound port. Default: the bound address (loopback for `0.0.0.0`).
    #[arg(long, value_name = "IP:PORT", value_parser = parse_advertise)]
    advertise: Option<SocketAddr>,

    /// Address of the admin HTTP endpoint (`GET /stats`, `GET|POST /faults`, `GET /ledger`);
    /// off if unset.
    #[arg(long)]
    admin: Option<SocketAddr>,

    /// The scenario (TOML) whose world to serve. Without it the built-in demo backend runs.
    #[arg(long)]
    scenario: Option<PathBuf>,

    /// Speed of the world's clock: `now = epoch + (real_now - epoch) * F`. 1 is real time.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,

    /// The instant at which the world's clock and real time coincide (RFC 3339). Default:
    /// when the server starts.
    #[arg(long, value_parser = parse_rfc3339, requires = "scenario")]
    epoch: Option<DateTime<Utc>>,

    /// Write a Telethon string session per scenario account (`DIR/<label>.txt`, mode 0600)
    /// and `DIR/accounts.json`, all pointing at this server.
    #[arg(long, requires = "scenario")]
    provision_dir: Option<PathBuf>,

    /// Number of built-in demo accounts (no scenario). Account i has user id 1000000+i,
    /// phone +1555<i, 7 digits>, login code 12345, 2FA password `demo-password-<i>` for odd
    /// i, and the public auth key `tg_sim::demo::demo_auth_key(i)` registered.
    #[arg(long, default_value_t = 3, conflicts_with = "scenario")]
    demo_accounts: u32,

    /// Start the demo accounts signed out, so the login flow can be exercised.
    #[arg(long, conflicts_with = "scenario")]
    signed_out: bool,
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// Accounts in the scenario.
    #[arg(long)]
    accounts: u32,
    /// Groups, in tg-world's typical mix (or the total of `--mix`).
    #[arg(long)]
    groups: Option<u32>,
    /// The scenario seed (0 ..= 2^63-1).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where to write the scenario (TOML, mode 0600: it holds login codes and passwords).
    #[arg(long)]
    out: PathBuf,
    /// Where to write the operator's import list (one handle per line).
    #[arg(long)]
    import_list: Option<PathBuf>,
    /// A TOML file of exact group counts per profile (`open = 30`, `slow_mode = 2`, ...).
    #[arg(long)]
    mix: Option<PathBuf>,
    /// The first N accounts have a 2FA password.
    #[arg(long, default_value_t = 0)]
    two_factor: u32,
    /// The first N accounts start signed out (they log in with code and password).
    #[arg(long, default_value_t = 0)]
    signed_out: u32,
    /// The last N accounts are deactivated (USER_DEACTIVATED_BAN).
    #[arg(long, default_value_t = 0)]
    deactivated: u32,
    /// The N accounts before the deactivated ones have revoked sessions.
    #[arg(long, default_value_t = 0)]
    revoked: u32,
    /// N accessible groups show stories.
    #[arg(long, default_value_t = 0)]
    with_stories: u32,
    /// The scenario's reference time (RFC 3339).
    #[arg(long, value_parser = parse_rfc3339)]
    epoch: Option<DateTime<Utc>>,
    /// When vanishing groups vanish and invites expire (RFC 3339; default the epoch).
    #[arg(long, value_parser = parse_rfc3339)]
    vanish_at: Option<DateTime<Utc>>,
}

fn parse_advertise(text: &str) -> Result<SocketAddr, String> {
    let address: SocketAddr = text
        .parse()
        .map_err(|_| format!("expected IP:PORT (e.g. 172.28.0.10:4430), got {text:?}"))?;
    if address.ip().is_unspecified() {
        return Err(format!(
            "{address} cannot be advertised: clients need an address they can reach"
        ));
    }
    Ok(address)
}

fn parse_rfc3339(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.to_utc())
        .map_err(|error| format!("not an RFC 3339 time ({error}), e.g. 2026-01-01T00:00:00Z"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Generate(args)) => generate(&args),
        None => serve(cli.serve).await,
    }
}

fn generate(args: &GenerateArgs) -> anyhow::Result<()> {
    let mix = args
        .mix
        .as_deref()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --mix {}", path.display()))?;
            parse_mix(&text).with_context(|| format!("--mix {}", path.display()))
        })
        .transpose()?;
    let options = GenerateOptions {
        seed: args.seed,
        accounts: AccountMix {
            total: args.accounts,
            two_factor: args.two_factor,
            deactivated: args.deactivated,
            revoked: args.revoked,
            signed_out: args.signed_out,
        },
        groups: args.groups,
        mix,
        with_stories: args.with_stories,
        epoch: args.epoch,
        vanish_at: args.vanish_at,
    };
    let generated = generate_scenario(&options)?;
    let toml = generated.scenario.to_toml_string()?;
    tg_sim::provision::write_file_private(&args.out, toml.as_bytes())?;
    if let Some(path) = &args.import_list {
        std::fs::write(path, generated.import_text())
            .with_context(|| format!("cannot write --import-list {}", path.display()))?;
    }
    println!(
        "tg-sim wrote a scenario with {} accounts and {} groups ({} handles) to {}",
        generated.scenario.accounts.len(),
        generated.scenario.groups.len(),
        generated.handles.len(),
        args.out.display()
    );
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let Some(clock) = ScaledClock::new(args.epoch.unwrap_or_else(Utc::now), args.time_scale) else {
        bail!(
            "--time-scale must be a positive number, got {}",
            args.time_scale
        );
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("tg_sim=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = ServerConfig {
        listen: args.listen,
        advertise: args.advertise,
        ..ServerConfig::default()
    };
    let server = match &args.scenario {
        Some(path) => serve_scenario(path, clock, config, args.provision_dir.as_deref()).await?,
        None => serve_demo(&args, config).await?,
    };
    println!("tg-sim listening on {}", server.local_addr());
    let admin_task = match args.admin {
        Some(address) => Some(start_admin(address, server.handle(), server.world.clone()).await?),
        None => None,
    };
    if let Some(dir) = &args.provision_dir {
        println!(
            "tg-sim provisioned {} sessions in {}",
            server.provisioned,
            dir.display()
        );
    }

    shutdown_signal().await;
    tracing::info!("shutting down");
    server.server.shutdown().await;
    if let Some(task) = admin_task {
        task.await.context("admin endpoint task")??;
    }
    Ok(())
}

/// A started server, how many sessions were provisioned for it, and its world (if any).
struct Started {
    server: SimServer,
    provisioned: usize,
    world: Option<SharedWorld>,
}

impl std::ops::Deref for Started {
    type Target = SimServer;

    fn deref(&self) -> &SimServer {
        &self.server
    }
}

async fn serve_scenario(
    path: &Path,
    clock: ScaledClock,
    config: ServerConfig,
    provision_dir: Option<&Path>,
) -> anyhow::Result<Started> {
    let scenario =
        Scenario::load(path).with_context(|| format!("--scenario {}", path.display()))?;
    let world = World::new(&scenario).with_context(|| format!("--scenario {}", path.display()))?;
    let listen = config.listen;
    let this_dc = config.this_dc;
    let world: SharedWorld = Arc::new(Mutex::new(world));
    let backend = WorldBackend::with_shared_world(Arc::clone(&world), clock);
    let server = SimServer::start(config, backend)
        .await
        .with_context(|| format!("cannot listen on --listen {listen}"))?;
    let provisioned = match provision_dir {
        Some(dir) => provision(dir, &scenario, server.local_addr(), this_dc)
            .with_context(|| format!("--provision-dir {}", dir.display()))?
            .accounts
            .len(),
        None => 0,
    };
    tracing::info!(
        scenario = %path.display(),
        accounts = scenario.accounts.len(),
        groups = scenario.groups.len(),
        epoch = %clock.epoch(),
        time_scale = clock.scale(),
        "serving the scenario's world"
    );
    Ok(Started {
        server,
        provisioned,
        world: Some(world),
    })
}

async fn serve_demo(args: &ServeArgs, config: ServerConfig) -> anyhow::Result<Started> {
    let backend = Arc::new(DemoBackend::with_generated_accounts(args.demo_accounts));
    let listen = config.listen;
    let server = SimServer::start(config, Arc::clone(&backend))
        .await
        .with_context(|| format!("cannot listen on --listen {listen}"))?;
    for (index, account) in (0..args.demo_accounts).zip(backend.accounts()) {
        let key_id = server.register_auth_key(demo_auth_key(index));
        if !args.signed_out {
            backend.sign_in(key_id, account.user_id);
        }
    }
    tracing::info!(
        demo_accounts = args.demo_accounts,
        signed_in = !args.signed_out,
        "serving the built-in demo backend"
    );
    Ok(Started {
        server,
        provisioned: 0,
        world: None,
    })
}

async fn start_admin(
    address: SocketAddr,
    server: ServerHandle,
    world: Option<SharedWorld>,
) -> anyhow::Result<JoinHandle<std::io::Result<()>>> {
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on --admin {address}"))?;
    println!("tg-sim admin on http://{}", listener.local_addr()?);
    Ok(tokio::spawn(admin::serve(
        listener,
        server,
        world,
        shutdown_signal(),
    )))
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("SIGTERM handler installs");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
