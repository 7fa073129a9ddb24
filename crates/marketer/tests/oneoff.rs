//! One-off sends (`POST /api/v1/messages` writes the request) and connectivity
//! checks, carried out by the marketer under the account's lease over the in-process
//! world: a campaign post's caps and pre-check, one send per idempotency key, an
//! unanswered send left unknown and never resent, a check answered with whoami.

mod common;

use common::*;
use sqlx::PgPool;
use std::time::Duration;
use tg_world::{GroupMix, Profile};
use tgfleet_config::Service;
use tgfleet_domain::campaign::Content;
use tgfleet_domain::{
    AccountStatus, BodyFormat, MessageRequestId, PostState, VariantContent, VariantKind,
    VariantText,
};
use tgfleet_marketer::Marketer;
use tgfleet_store::{MessageRequest, MessageRequested, NewMessage};
use tgfleet_testkit::{Fault, FaultAction, Faulty, TestFleet};

/// One post per hour, any time of day, no other gaps.
const ONE_PER_HOUR: &str = "[posting]\nwindows = \"0-24\"\nper_day = 500\nper_hour = 1\nmin_gap_account_secs = 0\nmin_gap_chat_secs = 0";

fn text_message(fleet: &TestFleet, key: &str, group: &Joined, text: &str) -> NewMessage {
    let body = VariantText::message(text).unwrap();
    NewMessage {
        idempotency_key: key.to_owned(),
        request_hash: format!("hash of {key} {text}"),
        group: group.id,
        account: fleet.account("acc0001").id,
        content_hash: Content {
            kind: VariantKind::Text,
            format: BodyFormat::Plain,
            body: body.as_str(),
            media: None,
            source: None,
        }
        .hash(),
        content: VariantContent::Text(body),
        format: BodyFormat::Plain,
        requested_by: "token:test".to_owned(),
    }
}

async fn request(fleet: &TestFleet, message: &NewMessage) -> MessageRequestId {
    match fleet
        .store
        .request_message(message, fleet.clock_now())
        .await
        .unwrap()
    {
        MessageRequested::Created(id) => id,
        other => panic!("expected a new request, got {other:?}"),
    }
}

async fn read(fleet: &TestFleet, id: MessageRequestId) -> MessageRequest {
    fleet.store.message_request(id).await.unwrap().unwrap()
}

fn in_channel(fleet: &TestFleet, group: &Joined) -> Vec<tg_world::SentRecord> {
    sent(fleet)
        .into_iter()
        .map(|(_, record)| record)
        .filter(|record| record.channel_id == group.channel_id)
        .collect()
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_one_off_send_goes_once_within_the_caps(pool: PgPool) {
    let spec = spec(61, 1, GroupMix::default().with(Profile::Open, 2));
    let fleet = fleet(pool, spec, ONE_PER_HOUR).await;
    let joined = join_groups(&fleet, &["acc0001"], &[]).await;
    let marketer = Marketer::with_seed(fleet.context(Service::Marketer), 1);

    let first = text_message(&fleet, "order-1", &joined[0], "Your villa is ready");
    let first_id = request(&fleet, &first).await;
    let second_id = request(
        &fleet,
        &text_message(&fleet, "order-2", &joined[1], "Check-in at 2 pm"),
    )
    .await;
    assert_eq!(
        read(&fleet, first_id).await.post,
        None,
        "nothing claimed yet"
    );

    let report = marketer.oneoff_pass().await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    let done = read(&fleet, first_id).await;
    let post = done.post.clone().unwrap();
    assert_eq!(post.state, PostState::Sent);
    assert!(!done.open);
    let records = in_channel(&fleet, &joined[0]);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].text, "Your villa is ready");
    assert_eq!(post.telegram_message_id, Some(records[0].message_id));
    // The hourly cap holds the second send: pending, not claimed.
    let waiting = read(&fleet, second_id).await;
    assert!(waiting.open && waiting.post.is_none(), "{waiting:?}");
    let again = marketer.oneoff_pass().await.unwrap();
    assert_eq!((again.units, again.sent), (0, 0), "{again:?}");
    assert!(
        again.next_wake.is_some_and(|wake| wake > fleet.clock_now()),
        "{again:?}"
    );

    // The same key again: the first request, and never a second send.
    assert_eq!(
        fleet
            .store
            .request_message(&first, fleet.clock_now())
            .await
            .unwrap(),
        MessageRequested::Repeated(first_id)
    );
    let reused = NewMessage {
        request_hash: "another request".to_owned(),
        ..first.clone()
    };
    assert_eq!(
        fleet
            .store
            .request_message(&reused, fleet.clock_now())
            .await
            .unwrap(),
        MessageRequested::KeyReused(first_id)
    );
    run_for(&fleet, Duration::from_secs(3601)).await;
    marketer.oneoff_pass().await.unwrap();
    assert_eq!(in_channel(&fleet, &joined[0]).len(), 1, "sent once");
    assert_eq!(
        read(&fleet, second_id).await.post.unwrap().state,
        PostState::Sent
    );
    assert_eq!(in_channel(&fleet, &joined[1]).len(), 1);
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_one_off_send_without_an_answer_is_unknown_and_never_resent(pool: PgPool) {
    let spec = spec(62, 1, GroupMix::default().with(Profile::Open, 1));
    let fleet = fleet(pool, spec, ONE_PER_HOUR).await;
    let joined = join_groups(&fleet, &["acc0001"], &[]).await;
    let faulty = Faulty::with_faults(
        fleet.connector.clone(),
        vec![Fault::send(
            "acc0001",
            Some(joined[0].channel_id),
            FaultAction::HangAfter,
            1,
        )],
    );
    let marketer = Marketer::with_seed(faulty.context(&fleet, Service::Marketer), 2);
    let id = request(
        &fleet,
        &text_message(&fleet, "webhook-7", &joined[0], "Payment received"),
    )
    .await;

    marketer.oneoff_pass().await.unwrap();
    let unanswered = read(&fleet, id).await;
    let post = unanswered.post.unwrap();
    assert_eq!(post.state, PostState::Unknown, "{post:?}");
    assert!(!unanswered.open, "never tried again");
    for _ in 0..3 {
        run_for(&fleet, Duration::from_secs(3601)).await;
        marketer.oneoff_pass().await.unwrap();
    }
    assert_eq!(
        in_channel(&fleet, &joined[0]).len(),
        1,
        "one message in the world"
    );
    assert_eq!(read(&fleet, id).await.post.unwrap().attempts, 1);
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_send_the_pre_check_refuses_is_skipped_with_the_reason(pool: PgPool) {
    let mix = GroupMix::default()
        .with(Profile::Open, 1)
        .with(Profile::NoText, 1);
    let fleet = fleet(pool, spec(63, 1, mix), ONE_PER_HOUR).await;
    let joined = join_groups(&fleet, &["acc0001"], &[]).await;
    let no_text = joined
        .iter()
        .find(|group| group.profile == Profile::NoText)
        .unwrap();
    let marketer = Marketer::with_seed(fleet.context(Service::Marketer), 3);
    let id = request(
        &fleet,
        &text_message(&fleet, "to-no-text", no_text, "Hello"),
    )
    .await;
    marketer.oneoff_pass().await.unwrap();
    let done = read(&fleet, id).await;
    let post = done.post.unwrap();
    assert_eq!(post.state, PostState::Skipped, "{post:?}");
    assert!(post.error_code.is_some(), "{post:?}");
    assert!(!done.open, "a refusal of the content kind is final");
    assert!(sent(&fleet).is_empty());
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_check_is_answered_under_the_lease_or_refused_without_connecting(pool: PgPool) {
    let spec = spec(64, 2, GroupMix::default().with(Profile::Open, 1));
    let fleet = fleet(pool, spec, ONE_PER_HOUR).await;
    let faulty = Faulty::new(fleet.connector.clone());
    let marketer = Marketer::with_seed(faulty.context(&fleet, Service::Marketer), 4);
    let (active, suspended) = (fleet.account("acc0001"), fleet.account("acc0002"));
    fleet
        .store
        .set_account_status(suspended.id, AccountStatus::Suspended, Some("test"))
        .await
        .unwrap();
    let now = fleet.clock_now();
    let asked = fleet
        .store
        .request_account_check(active.id, "operator:ops", now)
        .await
        .unwrap();
    let refused = fleet
        .store
        .request_account_check(suspended.id, "operator:ops", now)
        .await
        .unwrap();

    marketer.oneoff_pass().await.unwrap();
    let answer = fleet.store.account_check(asked.id).await.unwrap().unwrap();
    assert_eq!(answer.outcome.as_deref(), Some("ok"), "{answer:?}");
    let detail = answer.detail.unwrap();
    assert!(detail.starts_with("connected: user "), "{detail}");
    assert!(answer.answered_by.is_some());
    let refusal = fleet
        .store
        .account_check(refused.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(refusal.outcome.as_deref(), Some("failed"));
    assert!(refusal.detail.unwrap().contains("suspended"));
    assert_eq!(
        faulty.connects(),
        1,
        "only the active account was connected"
    );
    resume_time();
}
