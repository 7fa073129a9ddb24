//! A mixed call load through the in-process adapter: 1,000 accounts working
//! concurrently (tokio, 2 worker threads) on a world of 100,000 groups, each
//! on its own slice of groups. Prints calls per second.
//!
//! `cargo bench -p tgfleet-adapter-sim --bench adapter_load` (set
//! `ADAPTER_LOAD_CALLS_PER_ACCOUNT` to change the load, default 1,000).

use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;
use tg_world::{GeneratorSpec, GroupMix, Limits, World, default_epoch, generate};
use tgfleet_adapter_sim::{SimConnector, share};
use tgfleet_domain::{AccountId, Clock, GroupHandle};
use tgfleet_telegram::{
    AccountRef, Connector, JoinTarget, OutgoingMessage, PeerRef, Resolved, TextFormat,
};

const ACCOUNTS: u32 = 1_000;
const GROUPS: u32 = 100_000;

/// Advances 50 ms of simulated time per reading.
#[derive(Debug)]
struct SteppingClock {
    ticks: AtomicI64,
}

impl Clock for SteppingClock {
    fn now(&self) -> DateTime<Utc> {
        default_epoch() + TimeDelta::milliseconds(self.ticks.fetch_add(1, Ordering::Relaxed) * 50)
    }
}

fn main() {
    let per_account: usize = std::env::var("ADAPTER_LOAD_CALLS_PER_ACCOUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let mut spec = GeneratorSpec::new(1, ACCOUNTS, GroupMix::typical(GROUPS));
    spec.with_stories = GROUPS / 10;
    spec.limits = Limits::unlimited();
    let generated = generate(&spec).expect("a valid generated scenario");
    let world = share(World::new(&generated.scenario).expect("a valid world"));
    let handles: Arc<Vec<GroupHandle>> = Arc::new(
        generated
            .handles
            .iter()
            .map(|h| GroupHandle::parse(&h.line).expect("a valid handle"))
            .collect(),
    );
    let clock = Arc::new(SteppingClock {
        ticks: AtomicI64::new(0),
    });
    let connector = Arc::new(SimConnector::new(Arc::clone(&world), clock));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a runtime");

    let started = Instant::now();
    let (calls, succeeded) = runtime.block_on(async move {
        let slice = handles.len() / ACCOUNTS as usize;
        let tasks: Vec<_> = (0..ACCOUNTS as usize)
            .map(|index| {
                let connector = Arc::clone(&connector);
                let handles = Arc::clone(&handles);
                tokio::spawn(async move {
                    let own = &handles[index * slice..(index + 1) * slice];
                    run_account(connector.as_ref(), index, own, per_account).await
                })
            })
            .collect();
        let mut totals = (0usize, 0usize);
        for task in tasks {
            let (calls, ok) = task.await.expect("the task finished");
            totals.0 += calls;
            totals.1 += ok;
        }
        totals
    });
    let elapsed = started.elapsed();
    println!(
        "adapter_load: {ACCOUNTS} accounts x {GROUPS} groups, {per_account} port calls per account"
    );
    println!(
        "  {calls} calls in {:.3} s = {:.0} calls/s through the port ({succeeded} succeeded, {} messages stored)",
        elapsed.as_secs_f64(),
        calls as f64 / elapsed.as_secs_f64(),
        world.lock().map(|w| w.sent().len()).unwrap_or(0)
    );
}

/// One account's share of the load: resolve and join its groups, then a mix
/// of sends, rights checks, reads, stories and reactions.
async fn run_account(
    connector: &SimConnector,
    index: usize,
    own: &[GroupHandle],
    calls: usize,
) -> (usize, usize) {
    let account = connector
        .connect(&AccountRef {
            id: AccountId(index as i64 + 1),
            label: format!("acc{:04}", index + 1),
        })
        .await
        .expect("connected");
    let mut peers: HashMap<usize, PeerRef> = HashMap::new();
    let mut ok = 0;
    for call in 0..calls {
        let slot = (call * 7 + index) % own.len();
        let outcome = match peers.get(&slot) {
            None => match account.resolve(&own[slot]).await {
                Ok(Resolved::Chat(chat)) => {
                    peers.insert(slot, chat.peer);
                    account.join(&JoinTarget::Public(chat.peer)).await.map(drop)
                }
                Ok(Resolved::Invite(_)) => {
                    let target = JoinTarget::for_handle(&own[slot], None).expect("an invite");
                    account.join(&target).await.map(|chat| {
                        peers.insert(slot, chat.peer);
                    })
                }
                Err(error) => Err(error),
            },
            Some(peer) => match call % 8 {
                0 | 1 => account
                    .send(
                        peer,
                        &OutgoingMessage::Text {
                            text: "Promo of the day".into(),
                            format: TextFormat::Plain,
                            link_preview: true,
                        },
                        i64::try_from(call).unwrap_or_default(),
                    )
                    .await
                    .map(drop),
                2 | 3 => account.rights(peer).await.map(drop),
                4 => account.recent_messages(peer, 10).await.map(drop),
                5 => account.mark_read(peer, 10).await,
                6 => account.view_stories(peer, 3).await,
                _ => account.react(peer, 1, "👍").await,
            },
        };
        ok += usize::from(outcome.is_ok());
    }
    account.close().await;
    (calls, ok)
}
