//! Relay campaigns (issue 18) on real Postgres, the in-process world and paused time:
//! a source channel's posts reach every eligible group once, in order, within windows
//! and caps; kills lose and repeat nothing; protected sources; the etiquette; the
//! same content from two campaigns reaches a group once per interval.

mod common;

use chrono::TimeDelta;
use common::*;
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::time::Duration;
use tg_world::{
    ChannelKind, GeneratorSpec, GroupMix, GroupSpec, MediaOrText, Profile, PublishSpec, SentKind,
    SentRecord, TOPICS,
};
use tgfleet_config::Service;
use tgfleet_domain::relay::{ETIQUETTE_CODE, NOFORWARDS_CODE, PostKind, RelayMode};
use tgfleet_domain::{ActivityWindows, CampaignName, GroupHandle, PostState};
use tgfleet_store::{Campaign, CampaignTarget, ImportedGroup, NewCampaign, NewRelay, StoredPeer};
use tgfleet_telegram::{JoinTarget, Resolved};
use tgfleet_testkit::{FaultCall, Faulty, TestFleet};

const SOURCE: &str = "bali_news";
/// The source's channel id (set, so tests can find its forwards).
const SOURCE_ID: i64 = 1_990_000_001;
/// A simulated day: 30 posts, one every 48 minutes.
const EVERY_SECS: u32 = 48 * 60;

fn source(noforwards: bool, count: u32) -> GroupSpec {
    let mut group = GroupSpec::public(SOURCE);
    group.kind = ChannelKind::Broadcast;
    group.channel_id = Some(SOURCE_ID);
    group.title = Some("Bali News".into());
    group.noforwards = noforwards;
    group.publish = Some(PublishSpec {
        every_secs: EVERY_SECS,
        count,
        kinds: vec![
            MediaOrText::Text,
            MediaOrText::Photo,
            MediaOrText::Text,
            MediaOrText::Document,
        ],
        edit_every: 0,
        edit_after_secs: 0,
        delete_every: 0,
        delete_after_secs: 0,
    });
    group
}

/// A world of `accounts` accounts and `groups` open groups whose members talk every
/// `chatter` seconds, its epoch at the test's start, with the source channel.
async fn relay_fleet(
    pool: PgPool,
    accounts: u32,
    groups: u32,
    chatter: Option<u32>,
    source: GroupSpec,
    settings: &str,
) -> TestFleet {
    let mix = GroupMix::default().with(Profile::Open, groups);
    let fleet = relay_fleet_of(pool, accounts, mix, chatter, source, settings).await;
    join_source(&fleet, &["acc0001"]).await;
    fleet
}

/// The source in the catalogue (untagged; never a posting target: not open), joined
/// by each of `labels` through the connector and recorded as the account-manager
/// would: relay readers are members of their source.
async fn join_source(fleet: &TestFleet, labels: &[&str]) {
    let handle = GroupHandle::parse(&format!("@{SOURCE}")).unwrap();
    fleet
        .store
        .import_groups(&[ImportedGroup {
            handle: handle.clone(),
            tags: Vec::new(),
        }])
        .await
        .unwrap();
    let group = source_group(fleet).await;
    for label in labels {
        let telegram = connect(fleet, label).await;
        let Resolved::Chat(chat) = telegram.resolve(&handle).await.unwrap() else {
            panic!("the source resolves to a channel")
        };
        let chat = telegram.join(&JoinTarget::Public(chat.peer)).await.unwrap();
        telegram.close().await;
        let peer = StoredPeer {
            id: chat.peer.id,
            access_hash: chat.peer.access_hash,
            kind: "channel".into(),
        };
        tgfleet_store::posting_fixtures::join(
            &fleet.store,
            fleet.account(label).id,
            group.id,
            &peer,
            fleet.clock_now(),
        )
        .await
        .unwrap();
    }
}

/// The source's row in the catalogue.
async fn source_group(fleet: &TestFleet) -> tgfleet_store::Group {
    all_groups(fleet)
        .await
        .into_iter()
        .find(|group| group.handle.key() == SOURCE)
        .expect("the source is in the catalogue")
}

/// [`relay_fleet`] over any mix of groups.
async fn relay_fleet_of(
    pool: PgPool,
    accounts: u32,
    mix: GroupMix,
    chatter: Option<u32>,
    source: GroupSpec,
    settings: &str,
) -> TestFleet {
    let mut spec: GeneratorSpec = spec(31, accounts, mix);
    spec.epoch = start_time();
    spec.chatter_every_secs = chatter;
    let fleet = TestFleet::builder(spec)
        .with_group(source)
        .settings(settings)
        .starting_at(start_time())
        .start(pool)
        .await;
    fleet.import_groups().await;
    fleet
}

async fn relay_campaign(
    fleet: &TestFleet,
    name: &str,
    mode: RelayMode,
    exclude: &[&str],
    allow_copy_fallback: bool,
) -> Campaign {
    let relay = NewRelay {
        exclude: exclude
            .iter()
            .map(|pattern| (*pattern).to_owned())
            .collect(),
        allow_copy_fallback,
        ..relay_of(mode)
    };
    create_relay(fleet, name, CampaignTarget::All, &relay).await
}

/// A relay of the source in `mode`: no filters, five minutes' delay, a day's age.
fn relay_of(mode: RelayMode) -> NewRelay {
    NewRelay {
        source: GroupHandle::parse(&format!("@{SOURCE}")).unwrap(),
        mode,
        include: Vec::new(),
        exclude: Vec::new(),
        delay: Duration::from_secs(300),
        max_age: Duration::from_secs(86_400),
        allow_copy_fallback: false,
    }
}

/// Creates a daily relay campaign for `target` at the fleet's now.
async fn create_relay(
    fleet: &TestFleet,
    name: &str,
    target: CampaignTarget,
    relay: &NewRelay,
) -> Campaign {
    fleet
        .store
        .create_relay_campaign(
            &NewCampaign {
                name: CampaignName::parse(name).unwrap(),
                target,
                repeat_interval: Duration::from_secs(86_400),
                starts_at: None,
                ends_at: None,
            },
            relay,
            tgfleet_domain::Clock::now(&fleet.clock),
        )
        .await
        .unwrap()
}

/// The source post ids forwarded into each group, in the order they arrived.
fn forwards_by_group(records: &[(String, SentRecord)]) -> BTreeMap<i64, Vec<i32>> {
    let mut by_group: BTreeMap<i64, Vec<(chrono::DateTime<chrono::Utc>, i32, i32)>> =
        BTreeMap::new();
    for (_, record) in records {
        if let SentKind::Forward {
            from_channel_id: SOURCE_ID,
            from_message_id,
        } = record.kind
        {
            by_group.entry(record.channel_id).or_default().push((
                record.date,
                record.message_id,
                from_message_id,
            ));
        }
    }
    by_group
        .into_iter()
        .map(|(group, mut items)| {
            items.sort();
            (group, items.into_iter().map(|(_, _, id)| id).collect())
        })
        .collect()
}

/// The source's message ids of posts `1..=count` (its generated history comes first)
/// whose topic is not "sponsored".
fn passing_ids(history: u32, count: u32) -> Vec<i32> {
    (1..=count)
        .filter(|k| !TOPICS[(*k as usize - 1) % TOPICS.len()].contains("sponsored"))
        .map(|k| i32::try_from(history + k).unwrap())
        .collect()
}

const SETTINGS: &str = "[posting]\nwindows = \"5-10,18-24\"\nper_day = 40\nper_hour = 8\nmin_gap_account_secs = 90\nmin_gap_chat_secs = 300\nrelay_poll_secs = 120";

#[sqlx::test(migrations = "../../migrations")]
async fn a_days_posts_reach_every_group_once_in_order_within_windows_and_caps(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let fleet = relay_fleet(pool, 3, 3, Some(60), source(false, 30), SETTINGS).await;
    let joined = join_groups(&fleet, &["acc0001", "acc0002", "acc0003"], &[]).await;
    assert_eq!(joined.len(), 3);
    relay_campaign(
        &fleet,
        "bali relay",
        RelayMode::Forward,
        &["(?i)sponsored"],
        false,
    )
    .await;

    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 1)],
        Duration::from_secs(48 * 3600),
    )
    .await;

    let records = sent(&fleet);
    let expected = passing_ids(50, 30);
    assert_eq!(expected.len(), 23, "7 of 30 posts are sponsored");
    let by_group = forwards_by_group(&records);
    for group in &joined {
        assert_eq!(
            by_group.get(&group.channel_id),
            Some(&expected),
            "group {} got every passing post once, in order",
            group.handle
        );
    }
    let limits = RunLimits {
        windows: ActivityWindows::parse("5-10,18-24").unwrap(),
        zone: chrono_tz::Asia::Jakarta,
        per_day: 40,
        per_hour: 8,
        gap_account: TimeDelta::seconds(90),
        gap_chat: TimeDelta::seconds(300),
    };
    let found = violations(&records, &limits);
    assert!(found.is_empty(), "{found:#?}");
    assert_eq!(
        logs.lines_with("Relayed post").len(),
        expected.len() * joined.len()
    );
    assert!(logs.lines_with(&format!("from @{SOURCE}")).len() >= expected.len());
    assert!(logs.lines_with("ERROR").is_empty(), "{}", logs.text());
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn killing_the_marketer_mid_relay_loses_and_repeats_nothing(pool: PgPool) {
    let fleet = relay_fleet(
        pool,
        2,
        2,
        Some(60),
        source(false, 30),
        SETTINGS.replace("5-10,18-24", "0-24").as_str(),
    )
    .await;
    let joined = join_groups(&fleet, &["acc0001", "acc0002"], &[]).await;
    relay_campaign(
        &fleet,
        "bali relay",
        RelayMode::Forward,
        &["(?i)sponsored"],
        false,
    )
    .await;

    // Kill replicas (abort: no shutdown, leases left to expire) at odd moments,
    // each time starting a new one.
    let mut seed = 1;
    for run in [
        Duration::from_secs(5 * 3600 + 7),
        Duration::from_secs(3 * 3600 + 61),
        Duration::from_secs(4 * 3600 + 1),
    ] {
        let replica = spawn_marketer(&fleet, seed);
        run_for(&fleet, run).await;
        replica.abort();
        let _ = replica.await;
        seed += 1;
    }
    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, seed)],
        Duration::from_secs(36 * 3600),
    )
    .await;

    let records = sent(&fleet);
    let expected = passing_ids(50, 30);
    let by_group = forwards_by_group(&records);
    let posts = posts(&fleet.store).await;
    for group in &joined {
        let got = by_group.get(&group.channel_id).cloned().unwrap_or_default();
        let mut unique = got.clone();
        unique.dedup();
        assert_eq!(
            unique.len(),
            got.len(),
            "no post repeated in {}",
            group.handle
        );
        // At most once: a post whose send a kill interrupted is `unknown` and never
        // resent; every other passing post arrived, in order.
        let unknown: Vec<i32> = posts
            .iter()
            .filter(|post| post.group_id == group.id && post.state == PostState::Unknown)
            .map(|post| i32::try_from(post.round).unwrap())
            .collect();
        let delivered_or_unknown: Vec<i32> = expected
            .iter()
            .copied()
            .filter(|id| got.contains(id) || unknown.contains(id))
            .collect();
        assert_eq!(delivered_or_unknown, expected, "group {}", group.handle);
        let mut sorted = got.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, got, "in order in {}", group.handle);
        assert!(
            unknown.len() <= 3,
            "one unknown per kill at most: {unknown:?}"
        );
    }
    // The reader's cursor covered every post exactly once.
    let campaign = fleet
        .store
        .campaign_by_name("bali relay")
        .await
        .unwrap()
        .unwrap();
    assert_read_once(&fleet, &campaign, 51..=80).await;
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_protected_source_is_not_forwarded_without_the_fallback(pool: PgPool) {
    let settings = SETTINGS.replace("5-10,18-24", "0-24");
    let fleet = relay_fleet(pool, 1, 1, Some(60), source(true, 4), &settings).await;
    join_groups(&fleet, &["acc0001"], &[]).await;
    relay_campaign(&fleet, "strict", RelayMode::Forward, &[], false).await;
    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 1)],
        Duration::from_secs(6 * 3600),
    )
    .await;

    assert!(sent(&fleet).is_empty(), "nothing forwarded or copied");
    let posts = posts(&fleet.store).await;
    assert_eq!(posts.len(), 4);
    assert!(posts.iter().all(|post| post.state == PostState::Skipped
        && post.error_code.as_deref() == Some(NOFORWARDS_CODE)));
    assert_eq!(
        world_errors(&fleet, "acc0001", "CHAT_FORWARDS_RESTRICTED"),
        0,
        "never tried"
    );
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_protected_source_is_copied_when_the_fallback_is_allowed(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let settings = SETTINGS.replace("5-10,18-24", "0-24");
    let fleet = relay_fleet(pool, 1, 1, Some(60), source(true, 4), &settings).await;
    let joined = join_groups(&fleet, &["acc0001"], &[]).await;
    relay_campaign(&fleet, "lenient", RelayMode::Forward, &[], true).await;
    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 1)],
        Duration::from_secs(6 * 3600),
    )
    .await;

    let records = sent(&fleet);
    assert_eq!(records.len(), 4, "{records:#?}");
    for (k, (_, record)) in records.iter().enumerate() {
        assert_eq!(record.channel_id, joined[0].channel_id);
        assert!(
            !matches!(record.kind, SentKind::Forward { .. }),
            "a copy, not a forward"
        );
        assert!(
            record
                .text
                .starts_with(&format!("Bali News post {}", k + 1)),
            "{}",
            record.text
        );
    }
    assert!(
        matches!(records[1].1.kind, SentKind::Media { .. }),
        "the photo re-sent"
    );
    assert_eq!(logs.lines_with("forbids forwards").len(), 4);
    assert_eq!(logs.lines_with("(copied)").len(), 4);
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_group_whose_latest_messages_include_ours_is_skipped_with_its_reason(pool: PgPool) {
    let settings = "[posting]\nwindows = \"0-24\"\nmin_gap_chat_secs = 60\netiquette_last_messages = 5\netiquette_recheck_secs = 1800";
    // A quiet group: nobody else writes.
    let fleet = relay_fleet(pool, 2, 1, None, source(false, 0), settings).await;
    fleet.learn_user_ids().await;
    let joined = join_groups(&fleet, &["acc0001", "acc0002"], &[]).await;
    text_campaign(
        &fleet,
        "villas",
        Duration::from_secs(3600),
        "Villa for rent",
    )
    .await;
    text_campaign(
        &fleet,
        "scooters",
        Duration::from_secs(3600),
        "Scooter rental",
    )
    .await;
    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 1)],
        Duration::from_secs(4 * 3600),
    )
    .await;

    let records = sent(&fleet);
    assert_eq!(
        records.len(),
        1,
        "one post, then the group is ours: {records:#?}"
    );
    assert_eq!(records[0].1.channel_id, joined[0].channel_id);
    let posts = posts(&fleet.store).await;
    let skipped: Vec<_> = posts
        .iter()
        .filter(|post| post.error_code.as_deref() == Some(ETIQUETTE_CODE))
        .collect();
    assert!(!skipped.is_empty(), "{posts:#?}");
    assert!(skipped.iter().all(|post| post.state == PostState::Skipped));
    let reasons = fleet.store.skip_reasons().await.unwrap();
    assert!(
        reasons
            .iter()
            .any(|(state, reason, count)| state == "skipped"
                && reason == ETIQUETTE_CODE
                && *count > 0),
        "{reasons:?}"
    );
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_same_content_from_two_campaigns_reaches_a_group_once(pool: PgPool) {
    let settings = SETTINGS.replace("5-10,18-24", "0-24");
    let fleet = relay_fleet(pool, 2, 2, Some(60), source(false, 6), &settings).await;
    let joined = join_groups(&fleet, &["acc0001", "acc0002"], &[]).await;
    relay_campaign(&fleet, "copies a", RelayMode::Copy, &[], false).await;
    relay_campaign(&fleet, "copies b", RelayMode::Copy, &[], false).await;
    // An ordinary campaign with the text of the source's first post.
    text_campaign(
        &fleet,
        "by hand",
        Duration::from_secs(86_400),
        "Bali News post 1: villa for rent",
    )
    .await;
    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 1)],
        Duration::from_secs(12 * 3600),
    )
    .await;

    let records = sent(&fleet);
    for group in &joined {
        let mut texts: Vec<&str> = records
            .iter()
            .filter(|(_, record)| record.channel_id == group.channel_id)
            .map(|(_, record)| record.text.as_str())
            .collect();
        texts.sort_unstable();
        let count = texts.len();
        texts.dedup();
        assert_eq!(
            texts.len(),
            count,
            "no content twice in {}: {texts:#?}",
            group.handle
        );
        assert_eq!(count, 6, "each of the six posts once in {}", group.handle);
    }
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn deleted_posts_are_not_relayed_and_the_reader_polls_gently(pool: PgPool) {
    let settings = SETTINGS.replace("5-10,18-24", "0-24");
    let mut channel = source(false, 8);
    if let Some(publish) = &mut channel.publish {
        // Every second post is deleted two minutes after it went out (before the
        // relay's five-minute delay ends).
        publish.delete_every = 2;
        publish.delete_after_secs = 120;
    }
    let fleet = relay_fleet(pool, 1, 1, Some(60), channel, &settings).await;
    let joined = join_groups(&fleet, &["acc0001"], &[]).await;
    relay_campaign(&fleet, "bali relay", RelayMode::Forward, &[], false).await;
    let replica = fleet.context(Service::Marketer);
    run_replicas(
        &fleet,
        vec![spawn_replica(replica, 1)],
        Duration::from_secs(8 * 3600),
    )
    .await;

    let by_group = forwards_by_group(&sent(&fleet));
    assert_eq!(
        by_group.get(&joined[0].channel_id),
        Some(&vec![51, 53, 55, 57])
    );
    let campaign = fleet
        .store
        .campaign_by_name("bali relay")
        .await
        .unwrap()
        .unwrap();
    let items = fleet.store.relay_items_of(campaign.id).await.unwrap();
    let deleted: Vec<i32> = items
        .iter()
        .filter(|item| item.deleted_at.is_some())
        .map(|item| item.source_message_id)
        .collect();
    assert_eq!(deleted, vec![52, 54, 56, 58]);
    // One history page per poll (every two minutes) at most: gentle.
    let reads = calls(&fleet, "acc0001", tg_world::MethodClass::History);
    assert!(reads <= 8 * 30 + 20, "{reads} history calls");
    resume_time();
}

/// The campaign recorded each of the source's posts `ids` once, in order.
async fn assert_read_once(
    fleet: &TestFleet,
    campaign: &Campaign,
    ids: std::ops::RangeInclusive<i32>,
) {
    let items = fleet.store.relay_items_of(campaign.id).await.unwrap();
    let read: Vec<i32> = items.iter().map(|item| item.source_message_id).collect();
    assert_eq!(read, ids.collect::<Vec<_>>(), "every post read once");
}

/// The texts each group received, in the order they arrived.
fn texts_by_group(records: &[(String, SentRecord)]) -> BTreeMap<i64, Vec<String>> {
    let mut by_group: BTreeMap<i64, Vec<(chrono::DateTime<chrono::Utc>, i32, String)>> =
        BTreeMap::new();
    for (_, record) in records {
        by_group.entry(record.channel_id).or_default().push((
            record.date,
            record.message_id,
            record.text.clone(),
        ));
    }
    by_group
        .into_iter()
        .map(|(group, mut items)| {
            items.sort();
            (group, items.into_iter().map(|(_, _, text)| text).collect())
        })
        .collect()
}

/// The text of the source's `k`-th published post, as the world writes it.
fn post_text(k: usize) -> String {
    format!("Bali News post {k}: {}", TOPICS[(k - 1) % TOPICS.len()])
}

#[sqlx::test(migrations = "../../migrations")]
async fn source_edits_before_a_send_go_out_edited_and_deleted_posts_never(pool: PgPool) {
    let settings = SETTINGS.replace("5-10,18-24", "0-24");
    let mut channel = source(false, 6);
    if let Some(publish) = &mut channel.publish {
        publish.kinds = vec![MediaOrText::Text];
        // Posts 2, 4 and 6 are edited 20 minutes after they went out; posts 3 and 6
        // are deleted after 10 minutes.
        publish.edit_every = 2;
        publish.edit_after_secs = 20 * 60;
        publish.delete_every = 3;
        publish.delete_after_secs = 10 * 60;
    }
    let fleet = relay_fleet(pool, 1, 2, Some(60), channel, &settings).await;
    let joined = join_groups(&fleet, &["acc0001"], &[]).await;
    let (early, late) = (&joined[0], &joined[1]);
    for (group, tag) in [(early, "early"), (late, "late")] {
        fleet
            .store
            .import_groups(&[ImportedGroup {
                handle: group.handle.clone(),
                tags: vec![tag.to_owned()],
            }])
            .await
            .unwrap();
    }
    // Copies (a copy sends the text as stored, so an edit must be recorded to show):
    // one campaign relays after five minutes (before any edit or deletion), the other
    // after forty (after both).
    let sent_first = create_relay(
        &fleet,
        "early copies",
        CampaignTarget::Tags(vec!["early".into()]),
        &relay_of(RelayMode::Copy),
    )
    .await;
    let relay = NewRelay {
        delay: Duration::from_secs(40 * 60),
        ..relay_of(RelayMode::Copy)
    };
    create_relay(
        &fleet,
        "late copies",
        CampaignTarget::Tags(vec!["late".into()]),
        &relay,
    )
    .await;
    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 1)],
        Duration::from_secs(8 * 3600),
    )
    .await;

    let by_group = texts_by_group(&sent(&fleet));
    // Sent before the edits and deletions: each original once, never sent again.
    let originals: Vec<String> = (1..=6).map(post_text).collect();
    assert_eq!(by_group.get(&early.channel_id), Some(&originals));
    // Sent after them: the edited form, and the deleted posts (3 and 6) never.
    let edited = |k| format!("{} (edited)", post_text(k));
    assert_eq!(
        by_group.get(&late.channel_id),
        Some(&vec![post_text(1), edited(2), edited(4), post_text(5)])
    );
    // The early campaign recorded the edits that came after its sends.
    let items = fleet.store.relay_items_of(sent_first.id).await.unwrap();
    let edited_ids: Vec<i32> = items
        .iter()
        .filter(|item| item.edited_at.is_some())
        .map(|item| item.source_message_id)
        .collect();
    assert_eq!(edited_ids, vec![52, 54]);
    let deleted_ids: Vec<i32> = items
        .iter()
        .filter(|item| item.deleted_at.is_some())
        .map(|item| item.source_message_id)
        .collect();
    assert_eq!(deleted_ids, vec![53, 56]);
    assert!(items[1].body.ends_with("(edited)"), "{:?}", items[1].body);
    let early_posts = posts(&fleet.store)
        .await
        .into_iter()
        .filter(|post| post.campaign_id == sent_first.id)
        .count();
    assert_eq!(early_posts, 6, "one post per source post, none re-sent");
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn copies_go_without_preview_where_links_may_not_embed(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let settings = SETTINGS.replace("5-10,18-24", "0-24");
    let mut channel = source(false, 4);
    // Every post's text carries a link (the title is part of it).
    channel.title = Some("Bali News t.me/bali_news".into());
    if let Some(publish) = &mut channel.publish {
        publish.kinds = vec![MediaOrText::Text];
    }
    let mix = GroupMix::default()
        .with(Profile::Open, 1)
        .with(Profile::NoLinks, 1);
    let fleet = relay_fleet_of(pool, 1, mix, Some(60), channel, &settings).await;
    join_source(&fleet, &["acc0001"]).await;
    let joined = join_groups(&fleet, &["acc0001"], &[]).await;
    relay_campaign(&fleet, "copies", RelayMode::Copy, &[], false).await;
    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 1)],
        Duration::from_secs(6 * 3600),
    )
    .await;

    let by_group = texts_by_group(&sent(&fleet));
    let expected: Vec<String> = (1..=4)
        .map(|k| format!("Bali News t.me/bali_news post {k}: {}", TOPICS[k - 1]))
        .collect();
    for group in &joined {
        assert_eq!(
            by_group.get(&group.channel_id),
            Some(&expected),
            "every copy reached {} ({:?})",
            group.handle,
            group.profile
        );
    }
    let posts = posts(&fleet.store).await;
    assert_eq!(posts.len(), 8);
    assert!(posts.iter().all(|post| post.state == PostState::Sent));
    assert_eq!(
        world_errors(&fleet, "acc0001", "CHAT_SEND_WEBPAGE_FORBIDDEN"),
        0
    );
    assert_eq!(logs.lines_with("sent without its preview").len(), 4);
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn killing_the_reader_mid_poll_loses_and_repeats_nothing(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let settings = SETTINGS.replace("5-10,18-24", "0-24");
    let mut channel = source(false, 30);
    if let Some(publish) = &mut channel.publish {
        // One post per poll: every read the kills interrupt carries a new post.
        publish.every_secs = 120;
    }
    let fleet = relay_fleet(pool, 2, 2, Some(60), channel, &settings).await;
    // Both accounts may read (one is busy while a killed replica's lease lasts).
    join_source(&fleet, &["acc0002"]).await;
    let joined = join_groups(&fleet, &["acc0001", "acc0002"], &[]).await;
    let campaign = relay_campaign(
        &fleet,
        "bali relay",
        RelayMode::Forward,
        &["(?i)sponsored"],
        false,
    )
    .await;

    // Each replica's reader is stopped after the world answered its n-th read of the
    // source and before the posts were stored (the call never returns, the replica
    // is aborted: no shutdown, the lease left to expire).
    let faulty = Faulty::new(fleet.connector.clone());
    let mut seed = 1;
    let mut cursors = Vec::new();
    for nth in [4, 3, 5] {
        let hung = faulty.hang_after(FaultCall::History, None, nth);
        let replica = spawn_replica(faulty.context(&fleet, Service::Marketer), seed);
        tokio::time::timeout(Duration::from_secs(6 * 3600), hung)
            .await
            .expect("the reader reached the faulty read")
            .unwrap();
        let before = fleet.store.relay_of(campaign.id).await.unwrap().unwrap();
        replica.abort();
        let _ = replica.await;
        cursors.push(before.last_message_id);
        seed += 1;
    }
    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, seed)],
        Duration::from_secs(12 * 3600),
    )
    .await;

    // The kills came while posts were still being published.
    assert!(cursors.iter().all(|cursor| *cursor < 80), "{cursors:?}");
    assert_read_once(&fleet, &campaign, 51..=80).await;
    let expected = passing_ids(50, 30);
    let by_group = forwards_by_group(&sent(&fleet));
    for group in &joined {
        assert_eq!(
            by_group.get(&group.channel_id),
            Some(&expected),
            "every passing post once, in order, in {}",
            group.handle
        );
    }
    assert!(logs.lines_with("ERROR").is_empty(), "{}", logs.text());
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_relay_waits_until_the_account_manager_joins_a_reader_to_its_source(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    // One join slot a day, at 01:00 UTC: an hour after the start.
    let settings = format!(
        "{}\n[schedule]\ntime_zone = \"UTC\"\n[joins]\nslots = [\"0 1 * * *\"]\nmax_groups_per_slot = 5\npause_min_secs = 300\npause_max_secs = 600",
        SETTINGS.replace("5-10,18-24", "0-24")
    );
    let mix = GroupMix::default().with(Profile::Open, 1);
    let fleet = relay_fleet_of(pool, 2, mix, Some(60), source(false, 10), &settings).await;
    let joined = join_groups(&fleet, &["acc0001", "acc0002"], &[]).await;
    let campaign = relay_campaign(&fleet, "bali relay", RelayMode::Forward, &[], false).await;
    let replicas = vec![
        spawn_marketer(&fleet, 1),
        tokio::spawn(tgfleet_account_manager::run_seeded(
            fleet.context(Service::AccountManager),
            2,
        )),
    ];

    // Before the slot: nobody is a member of the source, nothing is read, and the
    // campaign says why (once, not at every poll).
    run_for(&fleet, Duration::from_secs(50 * 60)).await;
    let reason = format!("no reader is a member of @{SOURCE} yet");
    let waiting = fleet.store.relay_of(campaign.id).await.unwrap().unwrap();
    assert_eq!(
        waiting.waiting.as_deref(),
        Some(reason.as_str()),
        "{}",
        logs.text()
    );
    assert!(
        fleet
            .store
            .relay_items_of(campaign.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(calls(&fleet, "acc0001", tg_world::MethodClass::History), 0);
    let events = fleet
        .store
        .recent_events_of(None, None, 1000)
        .await
        .unwrap();
    let waits: Vec<_> = events
        .iter()
        .filter(|event| event.action == "relay_waiting")
        .collect();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert!(waits[0].detail.as_deref().unwrap().contains(&reason));
    assert_eq!(logs.lines_with(&reason).len(), 1);

    run_replicas(&fleet, replicas, Duration::from_secs(10 * 3600)).await;

    // The source joined the catalogue and one account joined it in a slot, through
    // the account-manager's ordinary path.
    let source = source_group(&fleet).await;
    let slot = start_time() + TimeDelta::hours(1);
    let mut readers = Vec::new();
    for label in ["acc0001", "acc0002"] {
        let account = fleet.account(label);
        let joins: Vec<_> = fleet
            .store
            .join_events(account.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|event| event.action == "join" && event.group == Some(source.id))
            .collect();
        if !joins.is_empty() {
            assert!(joins.iter().all(|event| event.at >= slot), "{joins:?}");
            assert_eq!(
                fleet
                    .world
                    .lock()
                    .unwrap()
                    .standing(label, SOURCE_ID, fleet.clock_now()),
                tg_world::Standing::Member
            );
            readers.push(label);
        }
    }
    assert_eq!(readers.len(), 1, "one account joined the source");
    let relay = fleet.store.relay_of(campaign.id).await.unwrap().unwrap();
    assert_eq!(relay.waiting, None);
    assert_eq!(
        relay
            .last_reader
            .map(|id| fleet.account(readers[0]).id == id),
        Some(true)
    );
    // Every post of the campaign's time reached the group once, in order.
    let by_group = forwards_by_group(&sent(&fleet));
    assert_eq!(
        by_group.get(&joined[0].channel_id),
        Some(&(51..=60).collect::<Vec<_>>())
    );
    resume_time();
}

/// What the account `label` posted in a group, as the world shows it, oldest first.
fn posted_in(fleet: &TestFleet, label: &str, channel_id: i64) -> Vec<tg_world::Message> {
    let mut ids: Vec<i32> = sent(fleet)
        .into_iter()
        .filter(|(by, record)| by == label && record.channel_id == channel_id)
        .map(|(_, record)| record.message_id)
        .collect();
    ids.sort_unstable();
    let now = fleet.clock_now();
    let mut world = fleet.world.lock().unwrap();
    let user = world.user_id(label).unwrap();
    let channel = world.input_channel(user, channel_id);
    ids.into_iter()
        .map(|id| {
            let page = tg_world::HistoryPage::after(id - 1, 1);
            let mut found = world
                .messages_get_history_page(now, user, channel, page)
                .unwrap()
                .messages;
            assert_eq!(found.len(), 1);
            assert!(found[0].out);
            found.remove(0)
        })
        .collect()
}

/// A source publishing albums (a photo, a video, a photo) and texts in turn, relayed
/// in `mode` to two open groups and one that refuses videos: each album reaches each
/// open group once, as one album; the group refusing videos never gets one.
async fn albums_reach_each_group_once_as_albums(pool: PgPool, mode: RelayMode) {
    let settings = SETTINGS.replace("5-10,18-24", "0-24");
    let mut channel = source(false, 4);
    if let Some(publish) = &mut channel.publish {
        publish.kinds = vec![MediaOrText::Album, MediaOrText::Text];
    }
    let mix = GroupMix::default()
        .with(Profile::Open, 2)
        .with(Profile::NoVideos, 1);
    let fleet = relay_fleet_of(pool, 1, mix, Some(60), channel, &settings).await;
    join_source(&fleet, &["acc0001"]).await;
    let joined = join_groups(&fleet, &["acc0001"], &[]).await;
    let campaign = relay_campaign(&fleet, "albums", mode, &[], false).await;
    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 1)],
        Duration::from_secs(6 * 3600),
    )
    .await;

    // One relay item per album, with its three files.
    let items = fleet.store.relay_items_of(campaign.id).await.unwrap();
    let kinds: Vec<(i32, PostKind, usize)> = items
        .iter()
        .map(|item| (item.source_message_id, item.kind, item.parts.len()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (51, PostKind::Album, 3),
            (54, PostKind::Text, 0),
            (55, PostKind::Album, 3),
            (58, PostKind::Text, 0),
        ]
    );
    let posts = posts(&fleet.store).await;
    for group in &joined {
        let shown = posted_in(&fleet, "acc0001", group.channel_id);
        if group.profile == Profile::NoVideos {
            // The pre-check asks for the right of every kind in the album: skipped
            // before any send, the texts go.
            let texts: Vec<&str> = shown
                .iter()
                .map(|m| m.content.text().text.as_str())
                .collect();
            assert_eq!(texts, vec![post_text(2).as_str(), post_text(4).as_str()]);
            let albums: Vec<_> = posts
                .iter()
                .filter(|post| post.group_id == group.id && [51, 55].contains(&post.round))
                .collect();
            assert!(!albums.is_empty());
            assert!(
                albums.iter().all(|post| post.state == PostState::Skipped),
                "{albums:#?}"
            );
            continue;
        }
        assert_eq!(
            shown.len(),
            8,
            "two albums of three and two texts in {}",
            group.handle
        );
        let album = |range: std::ops::Range<usize>| {
            let grouped: Vec<Option<i64>> =
                shown[range.clone()].iter().map(|m| m.grouped_id).collect();
            assert!(grouped[0].is_some(), "an album in {}", group.handle);
            assert!(
                grouped.iter().all(|id| *id == grouped[0]),
                "one album: {grouped:?}"
            );
            let kinds: Vec<Option<tg_world::MediaKind>> = shown[range]
                .iter()
                .map(|m| match &m.content {
                    tg_world::MessageContent::Media { media, .. } => Some(media.kind),
                    tg_world::MessageContent::Text(_) => None,
                })
                .collect();
            use tg_world::MediaKind::{Photo, Video};
            assert_eq!(kinds, vec![Some(Photo), Some(Video), Some(Photo)]);
            grouped[0]
        };
        let (first, second) = (album(0..3), album(4..7));
        assert_ne!(first, second, "two albums");
        assert_eq!(shown[3].grouped_id, None);
        assert_eq!(shown[0].content.text().text, post_text(1));
        assert_eq!(shown[4].content.text().text, post_text(3));
        let sources: Vec<Option<i32>> = shown
            .iter()
            .map(|m| m.forward.map(|header| header.from_message_id))
            .collect();
        match mode {
            RelayMode::Forward => {
                assert_eq!(sources, (51..=58).map(Some).collect::<Vec<_>>());
            }
            RelayMode::Copy => assert!(sources.iter().all(Option::is_none), "copies"),
        }
        let sent: Vec<_> = posts
            .iter()
            .filter(|post| post.group_id == group.id)
            .collect();
        assert_eq!(sent.len(), 4, "one post per source post: {sent:#?}");
        assert!(sent.iter().all(|post| post.state == PostState::Sent));
    }
    assert_eq!(
        world_errors(&fleet, "acc0001", "CHAT_SEND_VIDEOS_FORBIDDEN"),
        0
    );
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn forwarded_albums_reach_each_group_once_as_albums(pool: PgPool) {
    albums_reach_each_group_once_as_albums(pool, RelayMode::Forward).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn copied_albums_reach_each_group_once_as_albums(pool: PgPool) {
    albums_reach_each_group_once_as_albums(pool, RelayMode::Copy).await;
}
