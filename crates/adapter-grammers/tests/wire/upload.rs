//! Media uploads through the real grammers client against tg-sim: a part Telegram
//! lost is saved again and the send repeated with the same `random_id` (the photo
//! arrives once); an upload that stalls past its own bound fails before anything was
//! sent, so the post is retried later rather than marked `unknown`.

use crate::support::*;
use chrono::TimeDelta;
use rand::SeedableRng as _;
use tg_world::LedgerEvent;
use tgfleet_adapter_grammers::GrammersConfig;
use tgfleet_adapter_grammers::testing::{test_config, test_connector_with};
use tgfleet_domain::PostState;
use tgfleet_domain::post_outcome::{Consequence, StrikeRules};
use tgfleet_telegram::CallAnswer;

/// A photo of three 512 KiB parts (the last one short).
fn three_part_photo() -> OutgoingMessage {
    OutgoingMessage::Media {
        kind: MediaKind::Photo,
        file_name: "offer.jpg".to_owned(),
        bytes: Arc::new(vec![7u8; 2 * 512 * 1024 + 1000]),
        caption: "Three parts".to_owned(),
        format: TextFormat::Plain,
    }
}

/// The messages the world's ledger holds with `random_id`.
fn messages_with(sim: &SimWorld, random_id: i64) -> usize {
    sim.world()
        .ledger()
        .iter()
        .filter(|entry| {
            matches!(entry.event, LedgerEvent::Message { random_id: id, .. } if id == random_id)
        })
        .count()
}

async fn member_of_market(sim: &SimWorld, tg: &dyn TelegramAccount) -> PeerRef {
    let market = resolve_chat(tg, "@bali_market").await;
    tg.join(&JoinTarget::Public(market.peer)).await.unwrap();
    assert_eq!(sim.world().sent_by("ayu").len(), 0);
    market.peer
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_lost_file_part_is_saved_again_and_the_photo_arrives_once(pool: PgPool) {
    let sim = SimWorld::start().await;
    let store = Store::from_pool(pool);
    let ayu = enrol(&store, &sim, "ayu").await;
    let tg = test_connector(store.clone()).connect(&ayu).await.unwrap();
    let market = member_of_market(&sim, tg.as_ref()).await;

    sim.server.faults().lose_next_file_part(1);
    let before = sim.server.stats();
    let sent = tg.send(&market, &three_part_photo(), 501).await.unwrap();
    let after = sim.server.stats();
    assert_eq!(
        sim.server.faults().state().lose_file_part,
        None,
        "part 1 was lost once"
    );
    // 3 parts, part 1 again, then sendMedia; one sendMedia refused (FILE_PART_1_MISSING).
    assert_eq!(after.calls_answered - before.calls_answered, 5);
    assert_eq!(after.calls_failed - before.calls_failed, 1);
    assert_eq!(messages_with(&sim, 501), 1, "exactly one message");
    let records = sim
        .world()
        .sent_by("ayu")
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].message_id, sent.message_id);
    assert!(
        matches!(&records[0].kind, SentKind::Media { size, .. } if *size == 2 * 512 * 1024 + 1000),
        "{records:?}"
    );
    tg.close().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_part_lost_again_and_again_gives_up_after_three_resends_with_nothing_sent(pool: PgPool) {
    let sim = SimWorld::start().await;
    let store = Store::from_pool(pool);
    let ayu = enrol(&store, &sim, "ayu").await;
    let tg = test_connector(store.clone()).connect(&ayu).await.unwrap();
    let market = member_of_market(&sim, tg.as_ref()).await;

    // Lost on the first save and on each of the three re-saves.
    sim.server.faults().lose_file_part(2, 4);
    let before = sim.server.stats();
    let error = tg
        .send(&market, &three_part_photo(), 503)
        .await
        .unwrap_err();
    let after = sim.server.stats();
    assert_eq!(error.about, About::Call(CallAnswer::Transient), "{error:?}");
    assert!(error.name.contains("after 3 re-sends"), "{error:?}");
    assert_eq!(
        after.calls_failed - before.calls_failed,
        4,
        "four sendMedia answered FILE_PART_2_MISSING"
    );
    assert_eq!(messages_with(&sim, 503), 0, "nothing was sent");
    assert_eq!(sim.server.faults().state().lose_file_part, None);
    tg.close().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_upload_stalled_past_its_bound_is_retryable_and_sends_nothing(pool: PgPool) {
    let sim = SimWorld::start().await;
    let store = Store::from_pool(pool);
    let ayu = enrol(&store, &sim, "ayu").await;
    let connector = test_connector_with(
        store.clone(),
        GrammersConfig {
            upload_timeout: Duration::from_millis(800),
            ..test_config()
        },
    );
    let tg = connector.connect(&ayu).await.unwrap();
    let market = member_of_market(&sim, tg.as_ref()).await;

    sim.server.faults().delay_uploads(Duration::from_secs(3));
    let started = Instant::now();
    let error = tg
        .send(&market, &three_part_photo(), 502)
        .await
        .unwrap_err();
    let waited = started.elapsed();
    assert_eq!(error.about, About::Call(CallAnswer::Transient), "{error:?}");
    assert!(error.name.contains("upload timed out"), "{error:?}");
    assert!(
        waited < Duration::from_secs(3),
        "the upload's own bound ended it, not the send's: {waited:?}"
    );
    assert_eq!(messages_with(&sim, 502), 0, "nothing was sent");

    // The post this send was for is retried later, not marked unknown.
    let now = tg_sim::SimClock::now(sim.clock.as_ref());
    let rules = StrikeRules {
        threshold: 3,
        flood_wait_short_max: TimeDelta::minutes(10),
        cooldown_min: TimeDelta::hours(1),
        cooldown_max: TimeDelta::hours(24),
        transient_retry: TimeDelta::minutes(15),
    };
    let consequence = Consequence::failed(
        &error,
        0,
        &rules,
        now,
        &mut rand::rngs::StdRng::seed_from_u64(1),
    );
    assert_eq!(consequence.state, PostState::Failed);
    assert_eq!(consequence.retry_at, Some(now + rules.transient_retry));

    // Once uploads flow again, the retry with the same random_id arrives once.
    sim.server.faults().delay_uploads(Duration::ZERO);
    tg.send(&market, &three_part_photo(), 502).await.unwrap();
    assert_eq!(messages_with(&sim, 502), 1);
    tg.close().await;
}
