//! The reviewer and the real marketer running together never hold one account at
//! the same time (issue 8). Every connection of both goes through one `CallLog`,
//! which checks at each connect that the replica holds the account's live lease and
//! records open/close order, so overlapping connections of one account are caught.

mod common;

use common::joined_fleet;
use sqlx::PgPool;
use std::time::Duration;
use tg_world::{Budget, GeneratorSpec, GroupMix, Limits, PeerFloodPolicy, Profile};
use tgfleet_config::Service;
use tgfleet_domain::campaign::Content;
use tgfleet_domain::{BodyFormat, VariantKind};
use tgfleet_group_reviewer::review_once;
use tgfleet_marketer::Marketer;
use tgfleet_store::{CampaignTarget, NewCampaign, NewVariant};
use tgfleet_testkit::CallLog;

const BODY: &str = "Fresh coconuts at the market today";

#[sqlx::test(migrations = "../../migrations")]
async fn reviewer_and_marketer_never_hold_one_account_at_once(pool: PgPool) {
    let mut spec = GeneratorSpec::new(23, 3, GroupMix::default().with(Profile::Open, 30));
    spec.limits = Limits {
        send: Budget::new(10_000, 60),
        peer_flood: PeerFloodPolicy {
            max_sends: u32::MAX,
            ..PeerFloodPolicy::default()
        },
        ..spec.limits
    };
    let settings = "[posting]\nwindows = \"0-24\"\nmin_gap_account_secs = 30\n";
    let (fleet, _) = joined_fleet(pool, spec, settings).await;
    let now = tgfleet_domain::Clock::now(&fleet.clock);
    fleet
        .store
        .create_campaign(
            &NewCampaign {
                name: tgfleet_domain::CampaignName::parse("coconuts").unwrap(),
                target: CampaignTarget::All,
                repeat_interval: Duration::from_secs(86_400),
                starts_at: None,
                ends_at: None,
            },
            now,
        )
        .await
        .unwrap();
    let content_hash = Content {
        kind: VariantKind::Text,
        format: BodyFormat::Plain,
        body: BODY,
        media: None,
        source: None,
    }
    .hash();
    fleet
        .store
        .add_variant(
            "coconuts",
            &NewVariant {
                content: tgfleet_domain::VariantContent::Text(
                    tgfleet_domain::VariantText::message(BODY).unwrap(),
                ),
                format: BodyFormat::Plain,
                content_hash,
            },
        )
        .await
        .unwrap();

    let log = CallLog::new();
    let latency = Duration::from_secs(1);
    let reviewer = fleet.recorded_context(Service::GroupReviewer, &log, latency);
    let marketer_ctx = fleet.recorded_context(Service::Marketer, &log, latency);
    let marketer_holder = marketer_ctx.holder.clone();
    let marketer = tokio::spawn(async move {
        let marketer = Marketer::with_seed(marketer_ctx, 7);
        marketer.run().await
    });

    let summary = review_once(&reviewer, None).await.unwrap();
    fleet.clock.sleep(Duration::from_secs(3600)).await;
    fleet.shutdown.cancel();
    marketer.await.unwrap().unwrap();

    assert_eq!(summary.totals.checked, 30);
    assert_eq!(summary.totals.can_post, 30);
    let sent = fleet.world.lock().unwrap().sent().len();
    assert!(sent > 0, "the marketer posted while the review ran");

    assert_eq!(log.violations(), Vec::<String>::new());
    let connections = log.connections();
    let mut both_used = 0;
    for account in &fleet.accounts {
        let mut of_account: Vec<_> = connections
            .iter()
            .filter(|c| c.account == account.id)
            .collect();
        of_account.sort_by_key(|c| c.opened_seq);
        if of_account.iter().any(|c| c.tag == reviewer.holder)
            && of_account.iter().any(|c| c.tag == marketer_holder)
        {
            both_used += 1;
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
    assert!(both_used > 0, "both services used the same accounts");
}
