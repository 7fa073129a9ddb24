//! `cargo bench -p tg-sim --bench wire`: throughput and memory of tg-sim with real grammers
//! clients, with the built-in demo backend and with a world backend.
//!
//! 1. Memory per connected grammers client (measured first, on a fresh heap): the `tg-sim`
//!    binary runs as a child process (demo accounts, then a generated scenario); its VmRSS
//!    (server side) and this process's VmRSS (client side) are read from `/proc/<pid>/status`
//!    before and after connecting the clients.
//! 2. Requests per second through one in-process tg-sim: N grammers clients issue a fixed
//!    total of calls, one at a time per client and 8 in flight per client — cheap
//!    `updates.getState` calls on the demo backend, then a mixed load on a world backend
//!    (`contacts.resolveUsername`, `channels.getParticipant`, `channels.getFullChannel`,
//!    `messages.sendMessage`, `messages.getHistory` of 20, in turn, over 20 groups every
//!    account belongs to, with limits no load reaches). Clients and server share the process
//!    (2 worker threads), so the numbers are a lower bound for the server alone.
//!
//! Environment overrides: `TG_SIM_BENCH_REQUESTS` (default 20000), `TG_SIM_BENCH_MEMORY_CLIENTS`
//! (default 500).

use std::net::SocketAddr;
use std::path::Path;
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

#[allow(
    dead_code,
    reason = "the shared client has helpers this binary does not call"
)]
#[path = "../tests/common/client.rs"]
mod client;
#[path = "../tests/common/requests.rs"]
mod requests;
#[path = "support/world.rs"]
mod world;

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
            "== memory per connected grammers client ({clients} clients, demo backend, tg-sim in a child process)"
        );
        let demo_keys: Vec<[u8; 256]> = (0..clients).map(demo_auth_key).collect();
        memory(&["--demo-accounts", &clients.to_string()], &demo_keys).await;
        println!();
        println!(
            "== memory per connected grammers client ({clients} clients, world backend: {clients} accounts, {} groups, tg-sim in a child process)",
            world::GROUPS
        );
        let scenario = world::scenario(clients);
        let directory = std::env::temp_dir().join(format!("tg-sim-bench-{}", std::process::id()));
        std::fs::create_dir_all(&directory).expect("temporary directory");
        let scenario_path = directory.join("world.toml");
        std::fs::write(&scenario_path, scenario.to_toml_string().expect("TOML"))
            .expect("scenario written");
        let world_keys: Vec<[u8; 256]> = scenario
            .accounts
            .iter()
            .map(|a| *scenario.preshared_auth_key(&a.label).expect("a key").expose_bytes())
            .collect();
        memory(&["--scenario", path_str(&scenario_path)], &world_keys).await;
        let _ = std::fs::remove_dir_all(&directory);

        let total = env_u32("TG_SIM_BENCH_REQUESTS", 20_000);
        println!();
        println!(
            "== requests per second through one tg-sim, demo backend ({total} updates.getState calls per row)"
        );
        print_header();
        for clients in CLIENT_COUNTS {
            for in_flight in [1, IN_FLIGHT_PER_CLIENT] {
                let (elapsed, done) = demo_throughput(clients, in_flight, total).await;
                print_row(clients, in_flight, elapsed, done);
            }
        }
        println!();
        println!(
            "== requests per second through one tg-sim, world backend ({total} calls per row, mixed in turn: {})",
            world::MIX.join(", ")
        );
        print_header();
        for clients in CLIENT_COUNTS {
            for in_flight in [1, IN_FLIGHT_PER_CLIENT] {
                let (elapsed, done) = world_throughput(clients, in_flight, total).await;
                print_row(clients, in_flight, elapsed, done);
            }
        }
    });
}

fn print_header() {
    println!(
        "{:>8} {:>10} {:>12} {:>14}",
        "clients", "in flight", "elapsed", "requests/s"
    );
}

fn print_row(clients: u32, in_flight: u32, elapsed: Duration, done: u32) {
    println!(
        "{clients:>8} {:>10} {:>11.3}s {:>14.0}",
        clients * in_flight,
        elapsed.as_secs_f64(),
        f64::from(done) / elapsed.as_secs_f64()
    );
}

/// `updates.getState` through the demo backend: `total` calls spread over `clients` clients
/// with `in_flight` concurrent calls each; the time taken (connections already established)
/// and the calls made.
async fn demo_throughput(clients: u32, in_flight: u32, total: u32) -> (Duration, u32) {
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
    let keys: Vec<[u8; 256]> = (0..clients).map(demo_auth_key).collect();
    let connected = connect_all(server.local_addr(), &keys).await;

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

/// The mixed load through a world backend, measured like [`demo_throughput`].
async fn world_throughput(clients: u32, in_flight: u32, total: u32) -> (Duration, u32) {
    let (backend, loads) = world::backend(&world::scenario(clients));
    let server = SimServer::start(ServerConfig::default(), backend)
        .await
        .expect("server starts");
    let keys: Vec<[u8; 256]> = loads.iter().map(|load| load.key).collect();
    let connected = connect_all(server.local_addr(), &keys).await;

    let per_loop = (total / (clients * in_flight)).max(1);
    let started = Instant::now();
    let results = join_all(connected.iter().zip(&loads).flat_map(|(test, load)| {
        (0..in_flight).map(move |lane| world::mixed_loop(&test.client, load, per_loop, lane))
    }))
    .await;
    let elapsed = started.elapsed();
    for result in results {
        result.expect("the world serves the mixed load");
    }

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

/// Connects a client per key and makes one call on each.
async fn connect_all(address: SocketAddr, keys: &[[u8; 256]]) -> Vec<TestClient> {
    let clients: Vec<TestClient> = keys
        .iter()
        .map(|key| TestClient::connect(address, *key))
        .collect();
    for batch in clients.chunks(100) {
        join_all(batch.iter().map(|test| get_state_loop(&test.client, 1))).await;
    }
    clients
}

/// Starts `tg-sim ARGS` as a child process, connects a client per key, and prints the memory
/// both sides grew by per connection.
async fn memory(args: &[&str], keys: &[[u8; 256]]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tg-sim"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
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
    let (warm_key, keys) = keys.split_first().expect("at least one key");
    let warm = connect_all(address, &[*warm_key]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let server_before = rss_kib(&format!("/proc/{server_pid}/status"));
    let clients_before = rss_kib("/proc/self/status");

    let connected = connect_all(address, keys).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let server_after = rss_kib(&format!("/proc/{server_pid}/status"));
    let clients_after = rss_kib("/proc/self/status");

    let count = keys.len() as f64;
    let per = |before: u64, after: u64| after.saturating_sub(before) as f64 / count;
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

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
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
