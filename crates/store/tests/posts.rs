//! Posting targets, claims, completions, counts and crash recovery on a real Postgres.

mod common;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use common::account;
use sqlx::PgPool;
use std::time::Duration;
use tgfleet_domain::campaign::Content;
use tgfleet_domain::post_outcome::{Consequence, GroupMark, Precheck};
use tgfleet_domain::{
    AccountId, BodyFormat, CampaignId, GroupHandle, GroupId, GroupStatus, PostState, VariantKind,
};
use tgfleet_store::posting_fixtures::{join, open_group};
use tgfleet_store::{
    CampaignTarget, Claim, GroupFilter, ImportedGroup, Lease, NewCampaign, NewEvent, NewVariant,
    PostCompletion, PostFilter, PostToClaim, Store, StoreError, StoredPeer,
};

const TTL: Duration = Duration::from_secs(120);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 10, 2, 0, 0).unwrap()
}

struct Setup {
    store: Store,
    alpha: AccountId,
    beta: AccountId,
    groups: Vec<GroupId>,
    campaign: CampaignId,
}

/// Accounts alpha and beta, both joined to three open groups tagged `bali`, and a
/// campaign targeting `bali` with one text variant.
async fn setup(pool: PgPool) -> Setup {
    let store = Store::from_pool(pool);
    let alpha = account(&store, "alpha").await;
    let beta = account(&store, "beta").await;
    let imported: Vec<ImportedGroup> = ["@group_one", "@group_two", "@group_three"]
        .iter()
        .map(|handle| ImportedGroup {
            handle: GroupHandle::parse(handle).unwrap(),
            tags: vec!["bali".into()],
        })
        .collect();
    store.import_groups(&imported).await.unwrap();
    let groups: Vec<GroupId> = store
        .list_groups(&GroupFilter::default())
        .await
        .unwrap()
        .iter()
        .map(|group| group.id)
        .collect();
    for (index, group) in groups.iter().enumerate() {
        open_group(&store, *group, 1000 + index as i64, "supergroup", "A group")
            .await
            .unwrap();
        for account in [alpha, beta] {
            let peer = StoredPeer {
                id: 1000 + index as i64,
                access_hash: account.0 * 7,
                kind: "channel".into(),
            };
            join(&store, account, *group, &peer, t0()).await.unwrap();
        }
    }
    let campaign = create_campaign(
        &store,
        "villas",
        CampaignTarget::Tags(vec!["bali".into()]),
        86_400,
    )
    .await
    .id;
    add_text(&store, "villas", "Villa for rent").await;
    Setup {
        store,
        alpha,
        beta,
        groups,
        campaign,
    }
}

/// Creates a campaign at `t0()` repeating every `secs` seconds.
async fn create_campaign(
    store: &Store,
    name: &str,
    target: CampaignTarget,
    secs: u64,
) -> tgfleet_store::Campaign {
    store
        .create_campaign(
            &NewCampaign {
                name: tgfleet_domain::CampaignName::parse(name).unwrap(),
                target,
                repeat_interval: Duration::from_secs(secs),
                starts_at: None,
                ends_at: None,
            },
            t0(),
        )
        .await
        .unwrap()
}

async fn add_text(store: &Store, campaign: &str, body: &str) {
    let content_hash = Content {
        kind: VariantKind::Text,
        format: BodyFormat::Plain,
        body,
        media: None,
        source: None,
    }
    .hash();
    store
        .add_variant(
            campaign,
            &NewVariant {
                content: tgfleet_domain::VariantContent::Text(
                    tgfleet_domain::VariantText::message(body).unwrap(),
                ),
                format: BodyFormat::Plain,
                content_hash,
            },
        )
        .await
        .unwrap();
}

async fn lease(store: &Store, account: AccountId, holder: &str, now: DateTime<Utc>) -> Lease {
    lease_for(store, account, holder, now, TTL).await
}

async fn lease_for(
    store: &Store,
    account: AccountId,
    holder: &str,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Lease {
    store
        .try_acquire_lease(account, holder, now, ttl)
        .await
        .unwrap()
        .expect("the lease is free")
}

/// Claims round 0 of the campaign in the group with the campaign's first variant.
async fn claim(s: &Setup, lease: &Lease, group: GroupId, now: DateTime<Utc>) -> Claim {
    s.store
        .claim_post(lease, s.campaign, group, now, |snapshot| {
            let (_, variants) = snapshot.campaign.as_ref()?;
            snapshot.target.as_ref()?;
            Some(PostToClaim {
                round: 0,
                variant: variants[0].id,
                content_hash: variants[0].content_hash.clone(),
            })
        })
        .await
        .unwrap()
}

fn event(account: AccountId, group: GroupId, now: DateTime<Utc>) -> NewEvent {
    NewEvent {
        at: now,
        service: "marketer".into(),
        account_id: Some(account),
        group_id: Some(group),
        action: "post".into(),
        outcome: "ok".into(),
        flood_wait_secs: None,
        detail: None,
    }
}

async fn complete(
    s: &Setup,
    lease: &Lease,
    claim: &Claim,
    group: GroupId,
    consequence: &Consequence,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Claim::Claimed(post) = claim else {
        panic!("not claimed: {claim:?}")
    };
    s.store
        .complete_post(
            lease,
            &PostCompletion {
                post: post.id,
                group,
                consequence,
                telegram_message_id: (consequence.state == PostState::Sent).then_some(77),
                slow_mode_secs: None,
                event: &event(lease.account_id, group, now),
            },
            now,
        )
        .await
}

#[sqlx::test(migrations = "../../migrations")]
async fn targets_are_joined_open_targeted_groups_of_active_campaigns(pool: PgPool) {
    let s = setup(pool).await;
    let now = t0() + TimeDelta::minutes(1);
    let (targets, content) = s
        .store
        .posting_targets(s.alpha, now, now - TimeDelta::days(1))
        .await
        .unwrap();
    assert_eq!(targets.len(), 3);
    assert!(content.is_empty());
    assert!(targets.iter().all(|t| t.campaign_id == s.campaign
        && !t.in_flight
        && t.peer.is_some()
        && t.last_attempt.is_none()
        && t.chat_last_post.is_none()));

    // A campaign for another tag does not target these groups; a paused one targets nothing.
    create_campaign(
        &s.store,
        "other",
        CampaignTarget::Tags(vec!["jakarta".into()]),
        3600,
    )
    .await;
    add_text(&s.store, "other", "Jakarta deals").await;
    let all = create_campaign(&s.store, "everywhere", CampaignTarget::All, 3600).await;
    let (targets, _) = s.store.posting_targets(s.alpha, now, now).await.unwrap();
    assert_eq!(
        targets.len(),
        3,
        "a campaign without variants targets nothing"
    );
    add_text(&s.store, "everywhere", "Everywhere").await;
    let (targets, _) = s.store.posting_targets(s.alpha, now, now).await.unwrap();
    assert_eq!(targets.len(), 6);
    assert!(targets.iter().any(|t| t.campaign_id == all.id));
    s.store
        .set_campaign_status("everywhere", tgfleet_domain::CampaignStatus::Paused)
        .await
        .unwrap();

    // A group that can no longer post drops out.
    let lease = lease(&s.store, s.alpha, "m1", now).await;
    let claimed = claim(&s, &lease, s.groups[0], now).await;
    complete(
        &s,
        &lease,
        &claimed,
        s.groups[0],
        &Consequence::skipped(Precheck::CannotPost("PRECHECK_BROADCAST"), now),
        now,
    )
    .await
    .unwrap();
    let (targets, _) = s.store.posting_targets(s.beta, now, now).await.unwrap();
    assert_eq!(targets.len(), 2);
    assert!(targets.iter().all(|t| t.group_id != s.groups[0]));
}

#[sqlx::test(migrations = "../../migrations")]
async fn one_claim_per_round_whoever_races(pool: PgPool) {
    let s = setup(pool).await;
    let now = t0() + TimeDelta::minutes(1);
    let alpha = lease(&s.store, s.alpha, "m1", now).await;
    let beta = lease(&s.store, s.beta, "m2", now).await;
    for group in &s.groups {
        let (a, b) = tokio::join!(
            claim(&s, &alpha, *group, now),
            claim(&s, &beta, *group, now)
        );
        let claimed = [&a, &b]
            .iter()
            .filter(|c| matches!(c, Claim::Claimed(_)))
            .count();
        assert_eq!(claimed, 1, "{a:?} {b:?}");
        assert!(matches!(a, Claim::Taken) || matches!(b, Claim::Taken));
    }
    let posts = s.store.list_posts(&PostFilter::default()).await.unwrap();
    assert_eq!(posts.len(), 3);
    assert!(posts.iter().all(|p| p.state == PostState::Pending));
    let (targets, _) = s.store.posting_targets(s.alpha, now, now).await.unwrap();
    assert!(
        targets.iter().all(|t| t.in_flight),
        "every group has a post in flight"
    );
    assert!(
        posts
            .iter()
            .all(|p| p.idempotency_key == format!("{}:{}:0", s.campaign, p.group_id))
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_declined_claim_or_a_lost_lease_writes_nothing(pool: PgPool) {
    let s = setup(pool).await;
    let now = t0() + TimeDelta::minutes(1);
    let lease = lease(&s.store, s.alpha, "m1", now).await;
    let declined = s
        .store
        .claim_post(&lease, s.campaign, s.groups[0], now, |_| None)
        .await
        .unwrap();
    assert_eq!(declined, Claim::Declined);
    let expired = now + TimeDelta::seconds(121);
    let lost = s
        .store
        .claim_post(&lease, s.campaign, s.groups[0], expired, |_| {
            unreachable!("never asked without the lease")
        })
        .await
        .unwrap_err();
    assert!(matches!(lost, StoreError::LeaseLost { .. }), "{lost}");
    assert!(
        s.store
            .list_posts(&PostFilter::default())
            .await
            .unwrap()
            .is_empty()
    );

    // A zombie holder cannot complete a post either.
    let claimed = claim(&s, &lease, s.groups[0], now).await;
    let late = complete(
        &s,
        &lease,
        &claimed,
        s.groups[0],
        &Consequence::sent(None, expired),
        expired,
    )
    .await
    .unwrap_err();
    assert!(matches!(late, StoreError::LeaseLost { .. }), "{late}");
    let posts = s.store.list_posts(&PostFilter::default()).await.unwrap();
    assert_eq!(posts[0].state, PostState::Pending);
}

#[sqlx::test(migrations = "../../migrations")]
async fn failed_attempts_reopen_the_round_and_sent_ones_close_it(pool: PgPool) {
    let s = setup(pool).await;
    let now = t0() + TimeDelta::minutes(1);
    let group = s.groups[1];
    let alpha = lease(&s.store, s.alpha, "m1", now).await;
    let first = claim(&s, &alpha, group, now).await;
    let transient = Consequence {
        retry_at: Some(now + TimeDelta::minutes(5)),
        ..Consequence::sent(None, now)
    };
    let transient = Consequence {
        state: PostState::Failed,
        error_code: Some("TRANSIENT: timeout".into()),
        strikes: None,
        ..transient
    };
    complete(&s, &alpha, &first, group, &transient, now)
        .await
        .unwrap();
    s.store.release_lease(&alpha, now).await.unwrap();

    let beta = lease_for(&s.store, s.beta, "m2", now, Duration::from_secs(86_400)).await;
    assert_eq!(
        claim(&s, &beta, group, now + TimeDelta::minutes(4)).await,
        Claim::Taken,
        "not before retry_at"
    );
    let retry_at = now + TimeDelta::minutes(5);
    let second = claim(&s, &beta, group, retry_at).await;
    let Claim::Claimed(post) = &second else {
        panic!("{second:?}")
    };
    assert_eq!(post.attempts, 2);
    complete(
        &s,
        &beta,
        &second,
        group,
        &Consequence::sent(Some(60), retry_at),
        retry_at,
    )
    .await
    .unwrap();
    assert_eq!(
        claim(&s, &beta, group, retry_at + TimeDelta::hours(1)).await,
        Claim::Taken,
        "a sent round is closed"
    );
    let posts = s
        .store
        .list_posts(&PostFilter {
            group: Some(group),
            ..PostFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(posts.len(), 1);
    let post = &posts[0];
    assert_eq!(post.state, PostState::Sent);
    assert_eq!(post.account_id, s.beta);
    assert_eq!(post.telegram_message_id, Some(77));
    assert_eq!(post.sent_at, Some(retry_at));
    assert_eq!(post.retry_at, None);
    assert_eq!(post.error_code, None);

    // The sent post counts for beta's caps, the group's chat gap and its content.
    let accounts = s.store.posting_accounts(retry_at).await.unwrap();
    let beta_row = accounts.iter().find(|a| a.id == s.beta).unwrap();
    assert_eq!(beta_row.recent_posts, vec![retry_at]);
    assert_eq!(beta_row.post_strikes, 0);
    let alpha_row = accounts.iter().find(|a| a.id == s.alpha).unwrap();
    assert!(
        alpha_row.recent_posts.is_empty(),
        "failed attempts do not count"
    );
    let (targets, content) = s
        .store
        .posting_targets(s.alpha, retry_at, retry_at - TimeDelta::days(1))
        .await
        .unwrap();
    let target = targets.iter().find(|t| t.group_id == group).unwrap();
    assert_eq!(target.chat_last_post, Some(retry_at));
    assert_eq!(target.last_attempt.map(|a| a.round), Some(0));
    assert_eq!(content.len(), 1);
    let (beta_targets, _) = s
        .store
        .posting_targets(s.beta, retry_at, retry_at)
        .await
        .unwrap();
    let beta_target = beta_targets.iter().find(|t| t.group_id == group).unwrap();
    assert_eq!(
        beta_target.next_send_at,
        Some(retry_at + TimeDelta::seconds(60)),
        "slow mode starts counting for the poster"
    );
    // A day later the message leaves the 24-hour count.
    let next_day = retry_at + TimeDelta::days(1);
    let accounts = s.store.posting_accounts(next_day).await.unwrap();
    assert!(accounts.iter().all(|a| a.recent_posts.is_empty()));
}

#[sqlx::test(migrations = "../../migrations")]
async fn claims_in_one_group_are_serialised_for_the_chat_gap(pool: PgPool) {
    let s = setup(pool).await;
    add_text(&s.store, "villas", "Second text").await;
    let second = create_campaign(&s.store, "second", CampaignTarget::All, 3600).await;
    add_text(&s.store, "second", "Another offer").await;
    let now = t0() + TimeDelta::minutes(1);
    let alpha = lease(&s.store, s.alpha, "m1", now).await;
    let beta = lease(&s.store, s.beta, "m2", now).await;
    // Each claimant declines when the group already has a message (a chat gap).
    let gap_aware = |campaign: CampaignId, lease: &Lease| {
        let store = s.store.clone();
        let lease = lease.clone();
        let group = s.groups[2];
        async move {
            store
                .claim_post(&lease, campaign, group, now, |snapshot| {
                    if snapshot.target.as_ref()?.chat_last_post.is_some() {
                        return None;
                    }
                    let (_, variants) = snapshot.campaign.as_ref()?;
                    Some(PostToClaim {
                        round: 0,
                        variant: variants[0].id,
                        content_hash: variants[0].content_hash.clone(),
                    })
                })
                .await
                .unwrap()
        }
    };
    let (a, b) = tokio::join!(gap_aware(s.campaign, &alpha), gap_aware(second.id, &beta));
    let outcomes = [a, b];
    assert_eq!(
        outcomes
            .iter()
            .filter(|c| matches!(c, Claim::Claimed(_)))
            .count(),
        1,
        "{outcomes:?}"
    );
    assert!(outcomes.contains(&Claim::Declined));
}

#[sqlx::test(migrations = "../../migrations")]
async fn completions_mark_groups_accounts_and_memberships(pool: PgPool) {
    let s = setup(pool).await;
    let now = t0() + TimeDelta::minutes(1);
    let alpha = lease(&s.store, s.alpha, "m1", now).await;
    let group = s.groups[0];
    let claimed = claim(&s, &alpha, group, now).await;
    let consequence = Consequence {
        strikes: Some(2),
        cooldown_until: Some(now + TimeDelta::hours(3)),
        post_flood_until: Some(now + TimeDelta::minutes(20)),
        ..Consequence::skipped(Precheck::Banned("PRECHECK_BANNED"), now)
    };
    complete(&s, &alpha, &claimed, group, &consequence, now)
        .await
        .unwrap();
    let groups = s
        .store
        .list_groups(&GroupFilter {
            status: Some(GroupStatus::Banned),
            tag: None,
        })
        .await
        .unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].id, group);
    assert!(!groups[0].can_post);
    assert_eq!(groups[0].status_reason.as_deref(), Some("PRECHECK_BANNED"));
    let account = s.store.account_by_id(s.alpha).await.unwrap().unwrap();
    assert_eq!(account.post_strikes, 2);
    assert_eq!(account.post_cooldown_until, Some(now + TimeDelta::hours(3)));
    assert_eq!(account.post_flood_until, Some(now + TimeDelta::minutes(20)));
    assert_eq!(account.last_activity, Some(now));
    let posts = s.store.list_posts(&PostFilter::default()).await.unwrap();
    assert_eq!(posts[0].state, PostState::Skipped);
    assert_eq!(posts[0].error_code.as_deref(), Some("PRECHECK_BANNED"));
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE action = 'post'")
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    assert_eq!(events, 1);

    // Another group only loses can_post.
    let other = s.groups[1];
    let claimed = claim(&s, &alpha, other, now).await;
    let consequence = Consequence {
        group: Some(GroupMark::CannotPost("PRECHECK_NO_SEND_RIGHT".into())),
        ..Consequence::skipped(Precheck::CannotPost("PRECHECK_NO_SEND_RIGHT"), now)
    };
    complete(&s, &alpha, &claimed, other, &consequence, now)
        .await
        .unwrap();
    let group = s
        .store
        .list_groups(&GroupFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.id == other)
        .unwrap();
    assert_eq!((group.status, group.can_post), (GroupStatus::Active, false));
}

#[sqlx::test(migrations = "../../migrations")]
async fn crash_leftovers_become_unknown_and_close_their_round(pool: PgPool) {
    let s = setup(pool).await;
    let now = t0() + TimeDelta::minutes(1);
    let dead = lease(&s.store, s.alpha, "dead", now).await;
    let live = lease(&s.store, s.beta, "live", now).await;
    let orphan = claim(&s, &dead, s.groups[0], now).await;
    let in_flight = claim(&s, &live, s.groups[1], now).await;
    assert!(matches!(orphan, Claim::Claimed(_)) && matches!(in_flight, Claim::Claimed(_)));

    // Too young: nothing changes.
    let soon = now + TimeDelta::seconds(60);
    assert!(
        s.store
            .sweep_stale_pending(soon, TTL)
            .await
            .unwrap()
            .is_empty()
    );
    // The dead holder's lease expired; the live one renews.
    let later = now + TimeDelta::seconds(150);
    s.store
        .renew_lease(&live, now + TimeDelta::seconds(100), TTL)
        .await
        .unwrap();
    let swept = s.store.sweep_stale_pending(later, TTL).await.unwrap();
    assert_eq!(swept.len(), 1);
    assert_eq!(swept[0].1, "alpha");
    let posts = s.store.list_posts(&PostFilter::default()).await.unwrap();
    let state_of = |group: GroupId| posts.iter().find(|p| p.group_id == group).unwrap().state;
    assert_eq!(state_of(s.groups[0]), PostState::Unknown);
    assert_eq!(state_of(s.groups[1]), PostState::Pending);

    // An unknown post counts as possibly sent and closes its round for everyone.
    let accounts = s.store.posting_accounts(later).await.unwrap();
    assert_eq!(
        accounts
            .iter()
            .find(|a| a.id == s.alpha)
            .unwrap()
            .recent_posts,
        vec![now]
    );
    let beta_again = s
        .store
        .try_acquire_lease(s.beta, "live", later, TTL)
        .await
        .unwrap();
    assert!(beta_again.is_none(), "beta's lease is still live");
    let taken_over = lease(&s.store, s.alpha, "new", later).await;
    assert_eq!(
        claim(&s, &taken_over, s.groups[0], later).await,
        Claim::Taken
    );

    // A new holder of beta abandons beta's pending post at once.
    let beta_new = lease(&s.store, s.beta, "new", now + TimeDelta::seconds(400)).await;
    let abandoned = s
        .store
        .abandon_pending_of(&beta_new, now + TimeDelta::seconds(400))
        .await
        .unwrap();
    assert_eq!(abandoned.len(), 1);
    let posts = s.store.list_posts(&PostFilter::default()).await.unwrap();
    assert!(posts.iter().all(|p| p.state == PostState::Unknown));
}

#[sqlx::test(migrations = "../../migrations")]
async fn source_and_membership_peers_are_stored_once(pool: PgPool) {
    let s = setup(pool).await;
    assert_eq!(s.store.source_peer(s.alpha, "news").await.unwrap(), None);
    let peer = StoredPeer {
        id: 5,
        access_hash: 6,
        kind: "channel".into(),
    };
    s.store
        .save_source_peer(s.alpha, "news", &peer, t0())
        .await
        .unwrap();
    let moved = StoredPeer {
        access_hash: 9,
        ..peer.clone()
    };
    s.store
        .save_source_peer(s.alpha, "news", &moved, t0())
        .await
        .unwrap();
    assert_eq!(
        s.store.source_peer(s.alpha, "news").await.unwrap(),
        Some(moved.clone())
    );
    assert_eq!(s.store.source_peer(s.beta, "news").await.unwrap(), None);
    s.store
        .save_membership_peer(s.alpha, s.groups[0], &moved)
        .await
        .unwrap();
    let (targets, _) = s.store.posting_targets(s.alpha, t0(), t0()).await.unwrap();
    assert_eq!(
        targets
            .iter()
            .find(|t| t.group_id == s.groups[0])
            .unwrap()
            .peer,
        Some(moved)
    );
}
