//! `cargo bench -p tg-sim --bench wire`: throughput and memory of tg-sim with real grammers
//! clients.
//!
//! 1. Memory per connected grammers client (measured first, on a fresh heap): the `tg-sim`
//!    binary runs as a child process; its VmRSS (server side) and this process's VmRSS
//!    (client side) are read from `/proc/<pid>/status` before and after connecting the
//!    clients.
//! 2. Requests per second through one in-process tg-sim: N grammers clients issue a fixed
//!    total of cheap `updates.getState` calls, one at a time per client and 8 in flight per
//!    client. Clients and server share the process (2 worker threads), so the numbers are a
//!    lower bound for the server alone.
//!
//! Environment overrides: `TG_SIM_BENCH_REQUESTS` (default 20000), `TG_SIM_BENCH_MEMORY_CLIENTS`
//! (default 500).

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use grammers_client::Client;
use grammers_tl_types as tl;
use tg_sim::demo::{DemoBackend, demo_auth_key};
use tg_sim::{ServerConfig, SimServer};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[allow(dead_code)]
#[path = "../tests/common/client.rs"]
mod client;

use client::TestClient;

const CLIENT_COUNTS: [u32; 4] = [1, 10, 100, 500];
const IN_FLIGHT_PER_CLIENT: u32 = 8;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let clients = env_u32("TG_SIM_BENCH_MEMORY_CLIENTS", 500);
        println!(
            "== memory per connected grammers client ({clients} clients, tg-sim in a child process)"
        );
        memory(clients).await;
        println!();
        let total = env_u32("TG_SIM_BENCH_REQUESTS", 20_000);
        println!(
            "== requests per second through one tg-sim ({total} updates.getState calls per row)"
        );
        println!(
            "{:>8} {:>10} {:>12} {:>14}",
            "clients", "in flight", "elapsed", "requests/s"
        );
        for clients in CLIENT_COUNTS {
            for in_flight in [1, IN_FLIGHT_PER_CLIENT] {
                let (elapsed, done) = throughput(clients, in_flight, total).await;
                println!(
                    "{clients:>8} {:>10} {:>11.3}s {:>14.0}",
                    clients * in_flight,
                    elapsed.as_secs_f64(),
                    f64::from(done) / elapsed.as_secs_f64()
                );
            }
        }
    });
}

/// Runs `total` calls spread over `clients` clients with `in_flight` concurrent calls each;
/// returns the time taken (connections already established) and the calls made.
async fn throughput(clients: u32, in_flight: u32, total: u32) -> (Duration, u32) {
    let backend = Arc::new(DemoBackend::with_generated_accounts(clients));
    let server = SimServer::start(ServerConfig::default(), Arc::clone(&backend))
        .await
        .expect("server starts");
    for (index, account) in (0..clients).zip(backend.accounts()) {
        backend.sign_in(
            server.register_auth_key(demo_auth_key(index)),
            account.user_id,
        );
    }
    let connected = connect_all(server.local_addr(), clients).await;

    let per_loop = (total / (clients * in_flight)).max(1);
    let started = Instant::now();
    join_all(
        connected
            .iter()
            .flat_map(|test| (0..in_flight).map(move |_| get_state_loop(&test.client, per_loop))),
    )
    .await;
    let elapsed = started.elapsed();

    join_all(connected.into_iter().map(TestClient::quit)).await;
    server.shutdown().await;
    (elapsed, per_loop * clients * in_flight)
}

async fn get_state_loop(client: &Client, calls: u32) {
    for _ in 0..calls {
        client
            .invoke(&tl::functions::updates::GetState {})
            .await
            .expect("getState is served");
    }
}

/// Connects `count` clients (keys `demo_auth_key(0..count)`) and makes one call on each.
async fn connect_all(address: SocketAddr, count: u32) -> Vec<TestClient> {
    let clients: Vec<TestClient> = (0..count)
        .map(|index| TestClient::connect(address, demo_auth_key(index)))
        .collect();
    for batch in clients.chunks(100) {
        join_all(batch.iter().map(|test| get_state_loop(&test.client, 1))).await;
    }
    clients
}

async fn memory(clients: u32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tg-sim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--demo-accounts",
            &clients.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("tg-sim binary starts");
    let server_pid = child.id().expect("child pid");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let line = lines
        .next_line()
        .await
        .expect("stdout")
        .expect("address line");
    let address: SocketAddr = line
        .strip_prefix("tg-sim listening on ")
        .expect("address line")
        .parse()
        .expect("socket address");

    // Warm both sides up with one connected client so one-time allocations are not counted.
    let warm = connect_all(address, 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let server_before = rss_kib(&format!("/proc/{server_pid}/status"));
    let clients_before = rss_kib("/proc/self/status");

    let connected = connect_all(address, clients).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let server_after = rss_kib(&format!("/proc/{server_pid}/status"));
    let clients_after = rss_kib("/proc/self/status");

    let per = |before: u64, after: u64| after.saturating_sub(before) as f64 / f64::from(clients);
    println!(
        "server (tg-sim process):   {server_before} KiB -> {server_after} KiB, {:.1} KiB per connection",
        per(server_before, server_after)
    );
    println!(
        "clients (bench process):   {clients_before} KiB -> {clients_after} KiB, {:.1} KiB per grammers client",
        per(clients_before, clients_after)
    );
    println!(
        "both sides together:       {:.1} KiB per connected grammers client",
        per(server_before + clients_before, server_after + clients_after)
    );

    join_all(connected.into_iter().chain(warm).map(TestClient::quit)).await;
    child.kill().await.expect("tg-sim stops");
}

/// VmRSS in KiB from a `/proc/<pid>/status` file.
fn rss_kib(status_path: &str) -> u64 {
    let status = std::fs::read_to_string(status_path).expect("readable /proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS line")
}

fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .map(|value| {
            value
                .parse()
                .unwrap_or_else(|_| panic!("{name} must be a number, got {value:?}"))
        })
        .unwrap_or(default)
}
