//! Who an answer is about, end to end: answers about the account never close groups
//! (an ambiguous ban closes one only when a second account confirms it),
//! answers about a content kind close only that kind, a send without an answer is
//! `unknown`, a frozen account stops.

mod common;

use common::*;
use sqlx::PgPool;
use std::time::Duration;
use tg_world::{GroupMix, Profile, SentKind};
use tgfleet_config::Service;
use tgfleet_domain::{AccountStatus, Clock as _, ContentKind, GroupStatus, PostState, VariantKind};
use tgfleet_telegram::TgError;
use tgfleet_testkit::{Fault, FaultAction, Faulty};

/// `acc0001`'s row, checked to be stopped with `status` for `reason`.
async fn stopped_as(
    fleet: &tgfleet_testkit::TestFleet,
    status: AccountStatus,
    reason: &str,
) -> tgfleet_store::Account {
    let account = fleet
        .store
        .account_by_label("acc0001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (account.status, account.status_reason.as_deref()),
        (status, Some(reason))
    );
    account
}

/// Runs a marketer over an hourly text campaign for six hours and returns the one
/// post attempt `group` got: a pre-check read it once and never tried it again.
async fn the_one_skip_of(
    fleet: &tgfleet_testkit::TestFleet,
    group: tgfleet_domain::GroupId,
) -> tgfleet_store::Post {
    text_campaign(fleet, "hourly", Duration::from_secs(3600), "Villa offer").await;
    run_replicas(
        fleet,
        vec![spawn_marketer(fleet, 4)],
        Duration::from_secs(6 * 3600),
    )
    .await;
    let attempts: Vec<_> = posts(&fleet.store)
        .await
        .into_iter()
        .filter(|p| p.group_id == group)
        .collect();
    assert_eq!(
        attempts.len(),
        1,
        "one pre-check, then never again: {attempts:?}"
    );
    assert_eq!(attempts[0].state, PostState::Skipped);
    attempts.into_iter().next().unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_spam_limited_account_closes_no_group_and_cools_down(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let settings = format!(
        "{OPEN_POSTING}\nspam_block_threshold = 20\ncooldown_min_secs = 7200\ncooldown_max_secs = 10800"
    );
    let (fleet, joined) = joined_fleet(pool, 31, 1, 20, &settings).await;
    assert_eq!(joined.len(), 20);
    // A @SpamBot limit: every supergroup answers USER_BANNED_IN_CHANNEL, the
    // groups' rights show nothing.
    in_world(&fleet, "acc0001", |world, user, now| {
        world.limit_for_spam(user, now)
    });
    villa_campaign(&fleet).await;

    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 5)],
        Duration::from_secs(3600),
    )
    .await;

    let refusals = world_errors(&fleet, "acc0001", "USER_BANNED_IN_CHANNEL");
    assert!(
        refusals >= 20,
        "the account met its limit 20 times: {refusals}"
    );
    assert!(sent(&fleet).is_empty(), "nothing went through");
    let groups = all_groups(&fleet).await;
    assert_eq!(groups.len(), 20);
    for group in &groups {
        assert_eq!(group.status, GroupStatus::Active, "{}", group.handle);
        assert!(group.can_post, "{} stays open for posting", group.handle);
    }
    let account = fleet
        .store
        .account_by_label("acc0001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.status, AccountStatus::Active);
    assert!(
        account.post_cooldown_until.is_some(),
        "twenty strikes in a row start a cool-down"
    );
    assert_eq!(logs.lines_with("Cool-down for acc0001").len(), 1);
    assert!(logs.lines_with("off-limits to every account").is_empty());
    let posts = posts(&fleet.store).await;
    assert!(
        posts
            .iter()
            .filter(|p| p.state == PostState::Failed)
            .all(|p| p.error_code.as_deref() == Some("USER_BANNED_IN_CHANNEL")),
        "{posts:?}"
    );
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_second_account_in_good_standing_confirms_a_ban_answer_and_closes_the_group(
    pool: PgPool,
) {
    let (logs, _guard) = Logs::capture();
    let labels = ["acc0001", "acc0002", "acc0003"];
    let (fleet, joined) = joined_fleet(pool, 37, 3, 3, OPEN_POSTING).await;
    let suspect = joined[0].clone();
    // The group answers USER_BANNED_IN_CHANNEL to everyone while its rights show
    // nothing: each answer alone looks like the sender's spam limit.
    let banned = TgError::from_rpc(400, "USER_BANNED_IN_CHANNEL", None);
    let faulty = Faulty::with_faults(
        fleet.connector.clone(),
        send_fault_for(&labels, suspect.channel_id, &banned),
    );
    three_hourly_campaigns_for_six_hours(&fleet, faulty.context(&fleet, Service::Marketer)).await;

    let attempts: Vec<_> = posts(&fleet.store)
        .await
        .into_iter()
        .filter(|p| p.group_id == suspect.id)
        .collect();
    // Each attempt is logged with its account; a post row keeps its last claimant.
    let reports = logs.lines_with("reported; 2 accounts' reports close the group");
    let reporters: std::collections::BTreeSet<&str> = reports
        .iter()
        .filter_map(|line| {
            labels
                .iter()
                .find(|label| line.contains(&format!(" for {label} ")))
        })
        .copied()
        .collect();
    assert_eq!(reporters.len(), 2, "two accounts reported: {reports:?}");
    assert_eq!(
        reports.len(),
        2,
        "no attempt after the second report: {reports:?}"
    );
    assert!(
        attempts.iter().all(|p| p.state == PostState::Failed
            && p.error_code.as_deref() == Some("USER_BANNED_IN_CHANNEL")),
        "{attempts:?}"
    );
    let groups = all_groups(&fleet).await;
    let closed = groups.iter().find(|g| g.id == suspect.id).unwrap();
    assert_eq!(
        (
            closed.status,
            closed.can_post,
            closed.status_reason.as_deref()
        ),
        (
            GroupStatus::Banned,
            false,
            Some("USER_BANNED_IN_CHANNEL for 2 accounts")
        )
    );
    // Every other group stayed open and kept receiving posts.
    for group in groups.iter().filter(|g| g.id != suspect.id) {
        assert_eq!((group.status, group.can_post), (GroupStatus::Active, true));
    }
    assert!(
        sent(&fleet)
            .iter()
            .all(|(_, r)| r.channel_id != suspect.channel_id)
    );
    assert!(!sent(&fleet).is_empty());
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_stale_peer_is_re_resolved_once_then_the_membership_is_left(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let (fleet, joined) = joined_fleet(pool, 41, 1, 2, OPEN_POSTING).await;
    let gone = joined[0].clone();
    // Every send there answers CHANNEL_PRIVATE ("private ... or you were banned"):
    // about this account's membership, never the group.
    let private = TgError::from_rpc(400, "CHANNEL_PRIVATE", None);
    let faulty = Faulty::with_faults(
        fleet.connector.clone(),
        send_fault_for(&["acc0001"], gone.channel_id, &private),
    );
    text_campaign(&fleet, "offer", Duration::from_secs(3600), "Villa offer").await;
    let resolves_before = calls(&fleet, "acc0001", tg_world::MethodClass::Resolve);

    run_replicas(
        &fleet,
        vec![spawn_replica(faulty.context(&fleet, Service::Marketer), 3)],
        Duration::from_secs(6 * 3600),
    )
    .await;

    assert_eq!(
        calls(&fleet, "acc0001", tg_world::MethodClass::Resolve) - resolves_before,
        1,
        "the stale peer was resolved again once, not every round"
    );
    let states = fleet.store.membership_states(gone.id).await.unwrap();
    assert_eq!(states, [tgfleet_domain::MembershipState::Left]);
    let attempts: Vec<_> = posts(&fleet.store)
        .await
        .into_iter()
        .filter(|p| p.group_id == gone.id)
        .collect();
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(
        attempts[0].attempts, 2,
        "the stored peer, then the fresh one"
    );
    let groups = all_groups(&fleet).await;
    assert!(
        groups
            .iter()
            .all(|g| g.status == GroupStatus::Active && g.can_post)
    );
    assert!(logs.lines_with("off-limits to every account").is_empty());
    assert!(
        sent(&fleet)
            .iter()
            .any(|(_, r)| r.channel_id == joined[1].channel_id)
    );
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_paid_group_is_read_by_the_pre_check_once_and_never_retried(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let mix = GroupMix::default()
        .with(Profile::Open, 1)
        .with(Profile::Paid, 1);
    let fleet = fleet(pool, spec(43, 1, mix), OPEN_POSTING).await;
    let joined = join_groups(&fleet, &["acc0001"], &[]).await;
    let paid = joined
        .iter()
        .find(|g| g.profile == Profile::Paid)
        .unwrap()
        .clone();
    the_one_skip_of(&fleet, paid.id).await;
    assert_eq!(
        fleet.store.refused_content(paid.id).await.unwrap(),
        [ContentKind::Paid]
    );
    assert_eq!(
        world_errors(&fleet, "acc0001", "ALLOW_PAYMENT_REQUIRED"),
        0,
        "the pre-check saw the price; nothing was sent to be refused"
    );
    assert!(
        sent(&fleet)
            .iter()
            .all(|(_, r)| r.channel_id != paid.channel_id)
    );
    assert!(sent(&fleet).len() >= 5, "the free group took every round");
    assert_eq!(logs.lines_with("the group refuses paid").len(), 1);
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_group_refusing_photos_gets_the_text_variant_and_never_the_photo(pool: PgPool) {
    let (_logs, _guard) = Logs::capture();
    let mix = GroupMix::default()
        .with(Profile::Open, 1)
        .with(Profile::NoPhotos, 1);
    let fleet = fleet(pool, spec(32, 1, mix), OPEN_POSTING).await;
    let joined = join_groups(&fleet, &["acc0001"], &[]).await;
    let by_profile = |profile: Profile| {
        joined
            .iter()
            .find(|group| group.profile == profile)
            .unwrap()
            .clone()
    };
    let (open, no_photos) = (by_profile(Profile::Open), by_profile(Profile::NoPhotos));
    let photo = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(photo.path(), b"\xFF\xD8\xFF jpeg bytes").unwrap();
    // The photo variant first, so that rotation tries it before the text.
    variant_campaign(
        &fleet,
        "villas",
        VariantKind::Photo,
        "The villa",
        Some(photo.path().to_str().unwrap()),
        None,
    )
    .await;
    add_text(&fleet.store, "villas", "Villa for rent").await;

    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 6)],
        Duration::from_secs(2 * 3600),
    )
    .await;

    let records = sent(&fleet);
    let kinds_in = |group: &Joined| -> Vec<SentKind> {
        records
            .iter()
            .filter(|(_, record)| record.channel_id == group.channel_id)
            .map(|(_, record)| record.kind.clone())
            .collect()
    };
    assert_eq!(
        kinds_in(&no_photos),
        vec![SentKind::Text],
        "the text, never the photo"
    );
    assert!(
        matches!(kinds_in(&open).as_slice(), [SentKind::Media { .. }]),
        "the open group takes the photo: {:?}",
        kinds_in(&open)
    );
    let refused = fleet.store.refused_content(no_photos.id).await.unwrap();
    assert_eq!(refused, vec![ContentKind::Photos]);
    let groups = all_groups(&fleet).await;
    assert!(
        groups
            .iter()
            .all(|group| group.status == GroupStatus::Active && group.can_post),
        "a refused content kind never closes the group: {groups:?}"
    );
    let refusals = world_errors(&fleet, "acc0001", "CHAT_SEND_PHOTOS_FORBIDDEN");
    assert_eq!(
        refusals, 0,
        "the pre-check read the refusal: nothing was sent into it"
    );
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_one_hour_personal_restriction_is_retried_after_it_ends(pool: PgPool) {
    let (_logs, _guard) = Logs::capture();
    let (fleet, joined) = joined_fleet(pool, 33, 1, 1, OPEN_POSTING).await;
    let group = joined[0].clone();
    let until = fleet.clock.now() + chrono::TimeDelta::hours(1);
    in_world(&fleet, "acc0001", |world, user, now| {
        world.restrict_member(user, group.channel_id, Some(until), now);
    });
    villa_campaign(&fleet).await;

    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 7)],
        Duration::from_secs(2 * 3600),
    )
    .await;

    let records = sent(&fleet);
    assert_eq!(records.len(), 1, "sent once the restriction ended");
    assert!(
        records[0].1.date >= until,
        "{} before {until}",
        records[0].1.date
    );
    let posts = posts(&fleet.store).await;
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].state, PostState::Sent);
    assert_eq!(
        posts[0].attempts, 2,
        "skipped while restricted, then retried"
    );
    let groups = all_groups(&fleet).await;
    assert_eq!(
        groups[0].status,
        GroupStatus::Active,
        "a restriction with an end closes nothing"
    );
    assert!(groups[0].can_post);
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_send_without_an_answer_is_unknown_and_a_retry_never_posts_twice(pool: PgPool) {
    let (_logs, _guard) = Logs::capture();
    let (fleet, joined) = joined_fleet(pool, 34, 1, 2, OPEN_POSTING).await;
    let (timed_out, reset) = (joined[0].clone(), joined[1].clone());
    let fault = |group: &Joined, action| Fault::send("acc0001", Some(group.channel_id), action, 1);
    let faulty = Faulty::with_faults(
        fleet.connector.clone(),
        vec![
            // The request reached Telegram; no answer came back within the timeout.
            fault(&timed_out, FaultAction::HangAfter),
            // The request reached Telegram; the connection died before the answer.
            fault(
                &reset,
                FaultAction::FailAfter(TgError::transient("connection reset")),
            ),
        ],
    );
    villa_campaign(&fleet).await;

    run_replicas(
        &fleet,
        vec![spawn_replica(faulty.context(&fleet, Service::Marketer), 8)],
        Duration::from_secs(3 * 3600),
    )
    .await;

    assert!(faulty.remaining().is_empty(), "both faults were met");
    let records = sent(&fleet);
    let in_group = |group: &Joined| {
        records
            .iter()
            .filter(|(_, record)| record.channel_id == group.channel_id)
            .count()
    };
    assert_eq!(
        in_group(&timed_out),
        1,
        "the world holds exactly one message"
    );
    assert_eq!(
        in_group(&reset),
        1,
        "the retry reused the random_id: one message"
    );
    let posts = posts(&fleet.store).await;
    let post_in = |group: &Joined| posts.iter().find(|p| p.group_id == group.id).unwrap();
    let unanswered = post_in(&timed_out);
    assert_eq!(unanswered.state, PostState::Unknown, "{unanswered:?}");
    assert_eq!(unanswered.attempts, 1, "never retried");
    assert!(
        unanswered
            .error_code
            .as_deref()
            .is_some_and(|code| code.starts_with("UNKNOWN_OUTCOME")),
        "{unanswered:?}"
    );
    let retried = post_in(&reset);
    assert_eq!((retried.state, retried.attempts), (PostState::Sent, 2));
    let world_id = records
        .iter()
        .find(|(_, record)| record.channel_id == reset.channel_id)
        .map(|(_, record)| record.message_id);
    assert_eq!(
        retried.telegram_message_id, world_id,
        "the original message"
    );
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_frozen_account_stops_and_is_shown_as_frozen(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let (fleet, _) = joined_fleet(pool, 35, 1, 3, OPEN_POSTING).await;
    in_world(&fleet, "acc0001", |world, user, now| {
        world.freeze_account(user, now)
    });
    villa_campaign(&fleet).await;

    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 9)],
        Duration::from_secs(3 * 3600),
    )
    .await;

    assert!(sent(&fleet).is_empty());
    assert_eq!(
        world_errors(&fleet, "acc0001", "FROZEN_METHOD_INVALID"),
        1,
        "one refusal, then the account is left alone"
    );
    let account = stopped_as(&fleet, AccountStatus::Frozen, "FROZEN_METHOD_INVALID").await;
    assert_eq!(
        tgfleet_domain::unavailable_because(
            account.status,
            account.status_reason.as_deref(),
            None,
            fleet.clock.now()
        )
        .as_deref(),
        Some("frozen (FROZEN_METHOD_INVALID)"),
        "every service reads the account as unusable"
    );
    let counts = fleet.store.account_counts_by_status().await.unwrap();
    assert!(counts.contains(&(AccountStatus::Frozen, 1)), "{counts:?}");
    assert_eq!(
        fleet
            .store
            .usable_account_count(fleet.clock.now())
            .await
            .unwrap(),
        0
    );
    assert!(
        all_groups(&fleet)
            .await
            .iter()
            .all(|group| group.status == GroupStatus::Active && group.can_post),
        "a frozen account closes no group"
    );
    assert_eq!(logs.lines_with("is frozen").len(), 1);
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_dead_key_is_marked_once_and_never_reconnected(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let (fleet, _) = joined_fleet(pool, 36, 1, 2, OPEN_POSTING).await;
    {
        let mut world = fleet.world.lock().unwrap();
        let key = world.preshared_auth_key("acc0001").unwrap().id();
        // The user terminated the session from another device.
        world.revoke_auth_key(key, fleet.clock.now());
    }
    villa_campaign(&fleet).await;
    let faulty = Faulty::new(fleet.connector.clone());

    run_replicas(
        &fleet,
        vec![spawn_replica(faulty.context(&fleet, Service::Marketer), 10)],
        Duration::from_secs(6 * 3600),
    )
    .await;

    assert_eq!(faulty.connects(), 1, "no reconnect loop");
    stopped_as(&fleet, AccountStatus::Unauthorized, "AUTH_KEY_UNREGISTERED").await;
    assert_eq!(logs.lines_with("is unauthorized").len(), 1, "marked once");
    assert!(sent(&fleet).is_empty());
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_forum_with_a_closed_general_topic_is_skipped_once_and_an_open_forum_gets_posts(
    pool: PgPool,
) {
    let (logs, _guard) = Logs::capture();
    let mix = GroupMix::default()
        .with(Profile::Forum, 1)
        .with(Profile::ClosedForum, 1);
    let fleet = fleet(pool, spec(47, 1, mix), OPEN_POSTING).await;
    let joined = join_groups(&fleet, &["acc0001"], &[]).await;
    let of = |profile| {
        joined
            .iter()
            .find(|g| g.profile == profile)
            .unwrap()
            .clone()
    };
    let (open, closed) = (of(Profile::Forum), of(Profile::ClosedForum));
    let skip = the_one_skip_of(&fleet, closed.id).await;
    assert_eq!(skip.error_code.as_deref(), Some("PRECHECK_TOPIC_CLOSED"));
    let group = all_groups(&fleet)
        .await
        .into_iter()
        .find(|g| g.id == closed.id)
        .unwrap();
    assert_eq!(group.status, GroupStatus::Active);
    assert!(!group.can_post);
    assert_eq!(
        group.status_reason.as_deref(),
        Some("PRECHECK_TOPIC_CLOSED")
    );
    assert_eq!(
        world_errors(&fleet, "acc0001", "TOPIC_CLOSED"),
        0,
        "the pre-check saw the closed topic; nothing was sent to be refused"
    );
    let sent = sent(&fleet);
    assert!(sent.iter().all(|(_, r)| r.channel_id != closed.channel_id));
    let to_open = sent
        .iter()
        .filter(|(_, r)| r.channel_id == open.channel_id)
        .count();
    assert!(to_open >= 5, "the open forum took every round: {to_open}");
    assert_eq!(logs.lines_with("General topic is closed").len(), 1);
    resume_time();
}
