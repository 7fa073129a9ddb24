//! Wake-up latency at time scale 1: from `campaigns resume` (the store's status
//! change, whose trigger notifies `tgfleet_changes`) to the marketer's first send
//! of that campaign, over 20 trials; then from `campaigns create` + `add-variant`
//! (measured from the variant, when the campaign becomes postable), 20 more. A running marketer replica over a real
//! Postgres and the in-process world; the send's start is taken from a recording
//! connector, so the figure is the latency beyond the send itself (goal: p99 <= 50 ms).
//!
//! `DATABASE_URL=postgres://.../postgres cargo bench -p tgfleet-marketer --bench wake_up`
//! (`cargo xtask bench` sets it); the database `tgfleet_bench_wake_up` is recreated.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::collections::HashMap;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tg_world::{Budget, GeneratorSpec, GroupMix, Limits, PeerFloodPolicy, Profile};
use tgfleet_config::Service;
use tgfleet_domain::campaign::Content;
use tgfleet_domain::{
    BodyFormat, CampaignName, CampaignStatus, Clock as _, GroupHandle, VariantContent, VariantKind,
    VariantText,
};
use tgfleet_marketer::Marketer;
use tgfleet_runtime::ServiceContext;
use tgfleet_store::bench_data;
use tgfleet_store::posting_fixtures::{join, open_group};
use tgfleet_store::{CampaignTarget, GroupFilter, NewCampaign, NewVariant, Store, StoredPeer};
use tgfleet_telegram::{Connector as _, JoinTarget, Resolved};
use tgfleet_testkit::{CallLog, RecordingConnector, TestFleet};

const DATABASE: &str = "tgfleet_bench_wake_up";
const TRIALS: usize = 20;
const GROUPS: u32 = 25;
const SETTINGS: &str = "[posting]\nwindows = \"0-24\"\nper_day = 10000\nper_hour = 10000\n\
                        min_gap_account_secs = 0\nmin_gap_chat_secs = 0\netiquette_last_messages = 0\n";

/// Joins every group of the world with the fleet's one account and opens it.
async fn join_every_group(fleet: &TestFleet, store: &Store) {
    let ids: HashMap<String, tgfleet_domain::GroupId> = store
        .list_groups(&GroupFilter::default())
        .await
        .expect("listing groups")
        .into_iter()
        .map(|group| (group.handle.key(), group.id))
        .collect();
    let account = &fleet.accounts[0];
    let telegram = fleet
        .connector
        .connect(&fleet.account_ref(account))
        .await
        .expect("connecting");
    let now = fleet.clock.now();
    for handle in &fleet.generated.handles {
        let parsed = GroupHandle::parse(&handle.line).expect("generated handles parse");
        let Ok(Resolved::Chat(chat)) = telegram.resolve(&parsed).await else {
            continue;
        };
        let joined = telegram
            .join(&JoinTarget::Public(chat.peer))
            .await
            .expect("joining an open group");
        let peer = StoredPeer {
            id: joined.peer.id,
            access_hash: joined.peer.access_hash,
            kind: "channel".to_owned(),
        };
        let id = ids[&parsed.key()];
        join(store, account.id, id, &peer, now)
            .await
            .expect("membership");
        open_group(
            store,
            id,
            joined.peer.id,
            joined.kind.as_str(),
            &joined.title,
        )
        .await
        .expect("opening the group");
    }
    telegram.close().await;
}

fn new_campaign(name: &str) -> NewCampaign {
    NewCampaign {
        name: CampaignName::parse(name).expect("a valid campaign name"),
        target: CampaignTarget::All,
        repeat_interval: Duration::from_secs(86_400),
        starts_at: None,
        ends_at: None,
    }
}

fn text_variant(trial: usize) -> NewVariant {
    let text = VariantText::message(&format!("Wake-up trial {trial}")).expect("a valid text");
    let content_hash = Content {
        kind: VariantKind::Text,
        format: BodyFormat::Plain,
        body: text.as_str(),
        media: None,
        source: None,
    }
    .hash();
    NewVariant {
        content: VariantContent::Text(text),
        format: BodyFormat::Plain,
        content_hash,
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn main() {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!("wake_up: DATABASE_URL is not set; `cargo xtask bench` sets it");
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let mut spec = GeneratorSpec::new(5, 1, GroupMix::default().with(Profile::Open, GROUPS));
        let wide = Budget::new(1_000_000, 1);
        // Telegram's own limits are not what is measured: a FloodWait or a spam limit
        // after a few dozen trials' sends would add its wait to the latency.
        spec.limits = Limits {
            join: wide,
            resolve: wide,
            info: wide,
            send: wide,
            history: wide,
            peer_flood: PeerFloodPolicy {
                max_sends: u32::MAX,
                ..PeerFloodPolicy::default()
            },
            ..Limits::default()
        };
        let fleet = TestFleet::builder(spec)
            .settings(SETTINGS)
            .real_time()
            .start(
                bench_data::fresh_database(&url, DATABASE, 10)
                    .await
                    .expect("creating the bench database")
                    .pool()
                    .clone(),
            )
            .await;
        fleet.import_groups().await;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .connect_with(
                PgConnectOptions::from_str(&url)
                    .expect("DATABASE_URL")
                    .database(DATABASE),
            )
            .await
            .expect("connecting");
        let store = Store::from_pool(pool);
        join_every_group(&fleet, &store).await;
        for trial in 0..TRIALS {
            let name = format!("wake-{trial}");
            store
                .create_campaign(&new_campaign(&name), fleet.clock.now())
                .await
                .expect("creating a campaign");
            store
                .add_variant(&name, &text_variant(trial))
                .await
                .expect("adding a variant");
            store
                .set_campaign_status(&name, CampaignStatus::Paused)
                .await
                .expect("pausing");
        }
        let log = CallLog::new();
        let connector = RecordingConnector::new(
            fleet.connector.clone(),
            "bench",
            Arc::clone(&log),
            fleet.clock.clone(),
        );
        let ctx = ServiceContext::new(
            Service::Marketer,
            store.clone(),
            Arc::new(connector),
            fleet.clock.clone(),
            Arc::clone(&fleet.settings),
            fleet.shutdown.clone(),
        );
        let marketer = tokio::spawn(async move { Marketer::with_seed(ctx, 1).run().await });
        tokio::time::sleep(Duration::from_secs(1)).await;
        let sends = |log: &CallLog| {
            log.calls_of("bench")
                .into_iter()
                .filter(|(_, method, _)| *method == "send")
                .map(|(_, _, at)| at)
                .collect::<Vec<_>>()
        };
        let mut resumed = Vec::with_capacity(TRIALS);
        let mut created = Vec::with_capacity(TRIALS);
        for trial in 0..2 * TRIALS {
            let resume = trial < TRIALS;
            let name = if resume {
                format!("wake-{trial}")
            } else {
                format!("new-{trial}")
            };
            let before = sends(&log).len();
            if !resume {
                store
                    .create_campaign(&new_campaign(&name), fleet.clock.now())
                    .await
                    .expect("creating a campaign");
            }
            let started_at = fleet.clock.now();
            let started = Instant::now();
            if resume {
                store
                    .set_campaign_status(&name, CampaignStatus::Active)
                    .await
                    .expect("resuming");
            } else {
                store
                    .add_variant(&name, &text_variant(trial))
                    .await
                    .expect("adding a variant");
            }
            let first_send = loop {
                if let Some(at) = sends(&log).get(before) {
                    break *at;
                }
                if started.elapsed() > Duration::from_secs(30) {
                    panic!("trial {trial}: no send within 30 s");
                }
                tokio::time::sleep(Duration::from_micros(200)).await;
            };
            let latency = (first_send - started_at).as_seconds_f64() * 1000.0;
            let what = if resume {
                "resume"
            } else {
                "create + add-variant"
            };
            println!("wake_up: trial {trial:>2}: {what} -> first send {latency:>7.1} ms");
            if resume {
                resumed.push(latency);
            } else {
                created.push(latency);
            }
            store
                .set_campaign_status(&name, CampaignStatus::Paused)
                .await
                .expect("pausing");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        fleet.shutdown.cancel();
        let _ = marketer.await;
        for (what, mut latencies) in [
            ("campaigns resume", resumed),
            ("campaigns create + add-variant", created),
        ] {
            latencies.sort_by(f64::total_cmp);
            println!(
                "wake_up: {what} -> first send over {TRIALS} trials at time scale 1: \
                 p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (goal p99 <= 50 ms)",
                quantile(&latencies, 0.5),
                quantile(&latencies, 0.99),
                quantile(&latencies, 1.0)
            );
        }
    });
}
