//! The write-permission pre-check: a failed one sends nothing and marks the group; a
//! write ban found at send time puts the group off-limits to every account.

mod common;

use common::*;
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::time::Duration;
use tg_world::{GroupMix, Profile, SentKind};
use tgfleet_config::Service;
use tgfleet_domain::{ContentKind, GroupId, GroupStatus, MembershipState, PostState, VariantKind};
use tgfleet_store::{GroupFilter, PostFilter};
use tgfleet_telegram::TgError;
use tgfleet_testkit::Faulty;

const OPEN_LIMITS: &str = "[posting]\nwindows = \"0-24\"\nper_day = 200\nper_hour = 60\nmin_gap_account_secs = 0\nmin_gap_chat_secs = 0\netiquette_last_messages = 0";

#[sqlx::test(migrations = "../../migrations")]
async fn a_failed_precheck_sends_nothing_and_marks_the_group(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let mix = GroupMix::default()
        .with(Profile::Open, 2)
        .with(Profile::NoText, 1)
        .with(Profile::NoMedia, 1)
        .with(Profile::NoLinks, 1)
        .with(Profile::Broadcast, 1)
        .with(Profile::BanFirstPost, 1);
    let fleet = fleet(pool, spec(3, 1, mix), OPEN_LIMITS).await;
    let joined = join_groups(&fleet, &["acc0001"], &[]).await;
    assert_eq!(joined.len(), 7);
    let of = |profile: Profile| joined.iter().filter(move |g| g.profile == profile);
    let first = |profile: Profile| of(profile).next().unwrap().clone();

    // The account left one open group behind the store's back.
    let left = first(Profile::Open);
    let telegram = connect(&fleet, "acc0001").await;
    let peer = peer_in(&fleet, "acc0001", left.channel_id);
    telegram.leave(&peer).await.unwrap();
    telegram.close().await;

    let photo = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(photo.path(), b"\xFF\xD8\xFF jpeg bytes").unwrap();
    let interval = Duration::from_secs(24 * 3600);
    text_campaign(&fleet, "text", interval, "Villa for rent").await;
    text_campaign(
        &fleet,
        "link",
        interval,
        "Details at https://example.com/villa",
    )
    .await;
    variant_campaign(
        &fleet,
        "photo",
        VariantKind::Photo,
        "The villa",
        Some(photo.path().to_str().unwrap()),
        None,
    )
    .await;

    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 5)],
        Duration::from_secs(2 * 3600),
    )
    .await;

    let records = sent(&fleet);
    let sent_to = |group: &Joined| -> Vec<&SentKind> {
        records
            .iter()
            .filter(|(_, record)| record.channel_id == group.channel_id)
            .map(|(_, record)| &record.kind)
            .collect()
    };
    // Nothing reached a group whose pre-check failed; a group refusing a content
    // kind takes the others (granular rights).
    let no_text = sent_to(&first(Profile::NoText));
    assert!(
        matches!(no_text.as_slice(), [SentKind::Media { .. }]),
        "the photo, never the text: {no_text:?}"
    );
    assert!(sent_to(&first(Profile::Broadcast)).is_empty());
    assert!(sent_to(&left).is_empty());
    let no_media = sent_to(&first(Profile::NoMedia));
    assert_eq!(no_media.len(), 2, "text and link, never the photo");
    assert!(no_media.iter().all(|kind| **kind == SentKind::Text));
    // A group without `embed_links` takes every campaign: the link goes without its
    // preview (tg-world refuses a preview there with CHAT_SEND_WEBPAGE_FORBIDDEN).
    let no_links = first(Profile::NoLinks);
    let to_no_links: Vec<String> = records
        .iter()
        .filter(|(_, r)| r.channel_id == no_links.channel_id)
        .map(|(_, r)| r.text.clone())
        .collect();
    assert_eq!(to_no_links.len(), 3, "{to_no_links:?}");
    assert!(
        to_no_links.iter().any(|text| text.contains("https://")),
        "{to_no_links:?}"
    );
    assert_eq!(logs.lines_with("sent without its preview").len(), 1);
    let open = of(Profile::Open).nth(1).unwrap().clone();
    assert_eq!(
        sent_to(&open).len(),
        3,
        "the open group gets all three campaigns"
    );
    // The ban-on-first-post group took one post, banned the account, and is banned now.
    let banning = first(Profile::BanFirstPost);
    assert_eq!(sent_to(&banning).len(), 1);

    let groups: BTreeMap<GroupId, _> = fleet
        .store
        .list_groups(&GroupFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|group| (group.id, group))
        .collect();
    for (profile, kind) in [
        (Profile::NoText, ContentKind::Plain),
        (Profile::NoMedia, ContentKind::Photos),
    ] {
        let group = &groups[&first(profile).id];
        assert!(
            group.status == GroupStatus::Active && group.can_post,
            "a refused content kind never closes {}",
            group.handle
        );
        let refused = fleet.store.refused_content(group.id).await.unwrap();
        assert_eq!(refused, vec![kind], "{}", group.handle);
    }
    let expect = [
        (
            first(Profile::Broadcast).id,
            GroupStatus::Active,
            false,
            "PRECHECK_BROADCAST",
        ),
        (banning.id, GroupStatus::Banned, false, "PRECHECK_BANNED"),
    ];
    for (id, status, can_post, reason) in expect {
        let group = &groups[&id];
        assert_eq!(
            (group.status, group.can_post, group.status_reason.as_deref()),
            (status, can_post, Some(reason)),
            "{}",
            group.handle
        );
    }
    assert!(
        groups[&left.id].can_post,
        "a stale membership does not close the group"
    );
    assert!(groups[&open.id].can_post);
    assert!(groups[&no_links.id].can_post, "links without previews go");

    let posts = posts(&fleet.store).await;
    let skipped: Vec<_> = posts
        .iter()
        .filter(|p| p.state == PostState::Skipped)
        .collect();
    // no_text, broadcast, no_media (photo), the banning group (second
    // campaign), and the left group (all three campaigns found it unusable)...
    assert!(
        skipped.iter().any(
            |p| p.group_id == left.id && p.error_code.as_deref() == Some("PRECHECK_NOT_MEMBER")
        )
    );
    let membership_states = fleet.store.membership_states(left.id).await.unwrap();
    assert_eq!(membership_states, [MembershipState::Left]);
    // ...and every skip is logged as a failed pre-check; nothing was written forbidden.
    assert_eq!(logs.lines_with("Pre-check failed").len(), skipped.len());
    assert!(logs.lines_with("Write forbidden").is_empty());
    assert_eq!(logs.lines_with("Sent to").len(), records.len());
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_ban_at_send_time_closes_the_group_for_every_account(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let fleet = fleet(
        pool,
        spec(4, 3, GroupMix::default().with(Profile::Open, 3)),
        OPEN_LIMITS,
    )
    .await;
    let joined = join_groups(&fleet, &["acc0001", "acc0002", "acc0003"], &[]).await;
    let forbidden = joined[0].clone();
    // The group's admins removed the account between the pre-check and the send
    // (USER_KICKED: an answer about the group's moderation).
    let kicked = TgError::from_rpc(400, "USER_KICKED", None);
    let faults = send_fault_for(
        &["acc0001", "acc0002", "acc0003"],
        forbidden.channel_id,
        &kicked,
    );
    let faulty = Faulty::with_faults(fleet.connector.clone(), faults);
    three_hourly_campaigns_for_six_hours(&fleet, faulty.context(&fleet, Service::Marketer)).await;

    let attempts = posts(&fleet.store)
        .await
        .into_iter()
        .filter(|p| p.group_id == forbidden.id)
        .collect::<Vec<_>>();
    assert_eq!(
        attempts.len(),
        1,
        "one attempt, then never again by any account: {attempts:?}"
    );
    assert_eq!(attempts[0].state, PostState::Failed);
    assert_eq!(attempts[0].error_code.as_deref(), Some("USER_KICKED"));
    assert_eq!(attempts[0].retry_at, None);
    let group = fleet
        .store
        .list_groups(&GroupFilter {
            status: Some(GroupStatus::Banned),
            tag: None,
        })
        .await
        .unwrap();
    assert_eq!(group.len(), 1);
    assert_eq!(group[0].id, forbidden.id);
    assert_eq!(logs.lines_with("Write forbidden").len(), 1);
    // The other groups kept receiving every round of every campaign.
    let others = fleet
        .store
        .list_posts(&PostFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.group_id != forbidden.id && p.state == PostState::Sent)
        .count();
    assert!(others >= 2 * 3 * 5, "{others} posts in the other groups");
    assert!(
        sent(&fleet)
            .iter()
            .all(|(_, r)| r.channel_id != forbidden.channel_id)
    );
    resume_time();
}
