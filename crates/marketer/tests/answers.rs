//! Who an answer is about, end to end: answers about the account never close groups,
//! answers about a content kind close only that kind, a send without an answer is
//! `unknown`, a frozen account stops.

mod common;

use common::*;
use sqlx::PgPool;
use std::time::Duration;
use tg_world::{GroupMix, Profile, SentKind};
use tgfleet_domain::{AccountStatus, Clock as _, ContentKind, GroupStatus, PostState, VariantKind};

const OPEN_LIMITS: &str = "[posting]\nwindows = \"0-24\"\nper_day = 500\nper_hour = 100\nmin_gap_account_secs = 0\nmin_gap_chat_secs = 0";

#[sqlx::test(migrations = "../../migrations")]
async fn a_spam_limited_account_closes_no_group_and_cools_down(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let settings = format!(
        "{OPEN_LIMITS}\nspam_block_threshold = 20\ncooldown_min_secs = 7200\ncooldown_max_secs = 10800"
    );
    let fleet = fleet(
        pool,
        spec(31, 1, GroupMix::default().with(Profile::Open, 20)),
        &settings,
    )
    .await;
    let joined = join_groups(&fleet, &["acc0001"], &[]).await;
    assert_eq!(joined.len(), 20);
    {
        let mut world = fleet.world.lock().unwrap();
        let user = world.user_id("acc0001").unwrap();
        let now = fleet.clock.now();
        // A @SpamBot limit: every supergroup answers USER_BANNED_IN_CHANNEL, the
        // groups' rights show nothing.
        world.limit_for_spam(user, now);
    }
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
async fn a_group_refusing_photos_gets_the_text_variant_and_never_the_photo(pool: PgPool) {
    let (_logs, _guard) = Logs::capture();
    let mix = GroupMix::default()
        .with(Profile::Open, 1)
        .with(Profile::NoPhotos, 1);
    let fleet = fleet(pool, spec(32, 1, mix), OPEN_LIMITS).await;
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
    let fleet = fleet(
        pool,
        spec(33, 1, GroupMix::default().with(Profile::Open, 1)),
        OPEN_LIMITS,
    )
    .await;
    let joined = join_groups(&fleet, &["acc0001"], &[]).await;
    let group = joined[0].clone();
    let start = fleet.clock.now();
    let until = start + chrono::TimeDelta::hours(1);
    {
        let mut world = fleet.world.lock().unwrap();
        let user = world.user_id("acc0001").unwrap();
        world.restrict_member(user, group.channel_id, Some(until), start);
    }
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
