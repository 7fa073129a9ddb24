//! The reviewer next to a service that posts: never two holders of one account.
//!
//! The real marketer is written in parallel; until it is merged, a stand-in plays
//! its part through the same runtime: it loops over the accounts, takes each
//! one's lease with `AccountRunner::with_account`, and sends through the port
//! while holding it. Every connection of both goes through one `CallLog`, which
//! checks at each connect that the connecting replica holds the account's live
//! lease, and records connect/close order to prove no two connections of one
//! account were ever open at once.

mod common;

use common::joined_fleet;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;
use tg_world::{Budget, GeneratorSpec, GroupMix, Limits, PeerFloodPolicy, Profile};
use tgfleet_config::Service;
use tgfleet_group_reviewer::review_once;
use tgfleet_runtime::{Leased, ServiceContext};
use tgfleet_telegram::{OutgoingMessage, PeerKind, PeerRef, TextFormat};
use tgfleet_testkit::{CallLog, TestFleet};

/// Sends two messages per hold to the account's first joined groups, pausing
/// between holds (outside the lease), until `stop`.
async fn marketer_stand_in(
    fleet: &TestFleet,
    ctx: &ServiceContext,
    stop: &AtomicBool,
    holds: &AtomicU32,
    busy: &AtomicU32,
) {
    let runner = ctx.runner();
    let mut peers = HashMap::new();
    for account in &fleet.accounts {
        let joined = fleet.store.activity_peers(account.id).await.unwrap();
        let targets: Vec<PeerRef> = joined
            .iter()
            .take(2)
            .map(|p| PeerRef {
                id: p.peer.id,
                access_hash: p.peer.access_hash,
                kind: PeerKind::Channel,
            })
            .collect();
        peers.insert(account.id, targets);
    }
    let message = OutgoingMessage::Text {
        text: "Fresh coconuts at the market today".into(),
        format: TextFormat::Plain,
        link_preview: true,
    };
    let mut random_id = 0;
    while !stop.load(Ordering::SeqCst) {
        for account in &fleet.accounts {
            let targets = &peers[&account.id];
            let outcome = runner
                .with_account(&fleet.account_ref(account), async |session| {
                    for peer in targets {
                        random_id += 1;
                        session
                            .telegram
                            .send(peer, &message, random_id)
                            .await
                            .unwrap();
                    }
                })
                .await
                .unwrap();
            match outcome {
                Leased::Done(()) => holds.fetch_add(1, Ordering::SeqCst),
                Leased::Busy => busy.fetch_add(1, Ordering::SeqCst),
            };
            ctx.clock.sleep(Duration::from_secs(3)).await;
        }
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn reviewer_and_a_posting_service_never_hold_one_account_at_once(pool: PgPool) {
    let mut spec = GeneratorSpec::new(11, 3, GroupMix::default().with(Profile::Open, 30));
    spec.limits = Limits {
        send: Budget::new(10_000, 60),
        peer_flood: PeerFloodPolicy {
            max_sends: u32::MAX,
            ..PeerFloodPolicy::default()
        },
        ..spec.limits
    };
    let (fleet, _) = joined_fleet(pool, spec, "").await;
    let log = CallLog::new();
    let latency = Duration::from_secs(1);
    let reviewer = fleet.recorded_context(Service::GroupReviewer, &log, latency);
    let marketer = fleet.recorded_context(Service::Marketer, &log, latency);
    let (stop, holds, busy) = (AtomicBool::new(false), AtomicU32::new(0), AtomicU32::new(0));

    let review = async {
        let summary = review_once(&reviewer, None).await;
        stop.store(true, Ordering::SeqCst);
        summary
    };
    let (summary, ()) = tokio::join!(
        review,
        marketer_stand_in(&fleet, &marketer, &stop, &holds, &busy)
    );
    let summary = summary.unwrap();

    assert_eq!(summary.totals.checked, 30);
    assert_eq!(summary.totals.can_post, 30);
    assert!(
        summary.busy_retries > 0,
        "the two services really competed: {summary:?}"
    );
    assert!(holds.load(Ordering::SeqCst) > 0);
    assert!(!fleet.world.lock().unwrap().sent().is_empty());

    assert_eq!(log.violations(), Vec::<String>::new());
    let connections = log.connections();
    for account in &fleet.accounts {
        let mut of_account: Vec<_> = connections
            .iter()
            .filter(|c| c.account == account.id)
            .collect();
        of_account.sort_by_key(|c| c.opened_seq);
        for tag in [&reviewer.holder, &marketer.holder] {
            assert!(
                of_account.iter().any(|c| &c.tag == tag),
                "{tag} used {}",
                account.label
            );
        }
        for pair in of_account.windows(2) {
            let closed = pair[0].closed_seq.expect("every connection closed");
            assert!(
                closed < pair[1].opened_seq,
                "{}: {:?} overlaps {:?}",
                account.label,
                pair[0],
                pair[1]
            );
        }
    }
}
