//! `tg-sim`: serve the built-in demo backend over MTProto on loopback.
//!
//! Prints `tg-sim listening on ADDRESS` (and `tg-sim admin on http://ADDRESS` with `--admin`)
//! on stdout once ready; logs go to stderr (`RUST_LOG`, default `tg_sim=info`).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Parser;
use tg_sim::demo::{DemoBackend, demo_auth_key};
use tg_sim::{ServerConfig, SimServer, admin};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// A simulated Telegram server for the real grammers client.
#[derive(Debug, Parser)]
#[command(name = "tg-sim", version)]
struct Cli {
    /// Address to serve MTProto on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,

    /// Address of the admin HTTP endpoint (`GET /stats`, `GET|POST /faults`); off if unset.
    #[arg(long)]
    admin: Option<SocketAddr>,

    /// Number of built-in demo accounts. Account i has user id 1000000+i, phone
    /// +1555<i, 7 digits>, login code 12345, 2FA password `demo-password-<i>` for odd i, and
    /// the public auth key `tg_sim::demo::demo_auth_key(i)` registered.
    #[arg(long, default_value_t = 3)]
    demo_accounts: u32,

    /// Start the demo accounts signed out, so the login flow can be exercised.
    #[arg(long)]
    signed_out: bool,

    /// Speed of simulated time relative to wall time (reserved for scenario demos: validated
    /// and reported, not used by the built-in backend).
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if !(cli.time_scale.is_finite() && cli.time_scale > 0.0) {
        bail!(
            "--time-scale must be a positive number, got {}",
            cli.time_scale
        );
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("tg_sim=info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let backend = Arc::new(DemoBackend::with_generated_accounts(cli.demo_accounts));
    let config = ServerConfig {
        listen: cli.listen,
        ..ServerConfig::default()
    };
    let server = SimServer::start(config, Arc::clone(&backend))
        .await
        .with_context(|| format!("cannot listen on --listen {}", cli.listen))?;
    for (index, account) in (0..cli.demo_accounts).zip(backend.accounts()) {
        let key_id = server.register_auth_key(demo_auth_key(index));
        if !cli.signed_out {
            backend.sign_in(key_id, account.user_id);
        }
    }
    println!("tg-sim listening on {}", server.local_addr());

    let admin_task = match cli.admin {
        Some(address) => {
            let listener = TcpListener::bind(address)
                .await
                .with_context(|| format!("cannot listen on --admin {address}"))?;
            println!("tg-sim admin on http://{}", listener.local_addr()?);
            Some(tokio::spawn(admin::serve(
                listener,
                server.handle(),
                shutdown_signal(),
            )))
        }
        None => None,
    };
    tracing::info!(
        demo_accounts = cli.demo_accounts,
        signed_in = !cli.signed_out,
        time_scale = cli.time_scale,
        "serving the built-in demo backend"
    );

    shutdown_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await;
    if let Some(task) = admin_task {
        task.await.context("admin endpoint task")??;
    }
    Ok(())
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
