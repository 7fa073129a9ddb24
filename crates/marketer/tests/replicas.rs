//! Several marketer replicas over one fleet never post twice, and a replica killed
//! between claim and send loses nothing and repeats nothing.

mod common;

use chrono::TimeDelta;
use common::*;
use sqlx::PgPool;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;
use tg_world::{GroupMix, Profile};
use tgfleet_config::Service;
use tgfleet_domain::{MembershipState, PostState};
use tgfleet_testkit::{Fault, FaultAction, Faulty};

#[sqlx::test(migrations = "../../migrations")]
async fn three_replicas_over_a_thousand_pairs_never_post_twice(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let fleet = fleet(
        pool,
        spec(31, 10, GroupMix::default().with(Profile::Open, 200)),
        "[posting]\nwindows = \"0-24\"\nper_day = 100\nper_hour = 30\nmin_gap_account_secs = 60\nmin_gap_chat_secs = 0\netiquette_last_messages = 0",
    )
    .await;
    // Each group is joined by five of the ten accounts: 1,000 (account, group) pairs.
    let labels: Vec<String> = fleet.accounts.iter().map(|a| a.label.clone()).collect();
    let joined = join_groups_by(&fleet, &[], |index| {
        (0..5).map(|k| labels[(index + k) % 10].clone()).collect()
    })
    .await;
    assert_eq!(joined.len(), 200);
    let pairs = fleet
        .store
        .count_memberships(MembershipState::Joined)
        .await
        .unwrap();
    assert_eq!(pairs, 1_000);
    for name in ["villas", "scooters"] {
        text_campaign(
            &fleet,
            name,
            Duration::from_secs(86_400),
            &format!("Offer: {name}"),
        )
        .await;
    }

    let replicas = (0..3).map(|seed| spawn_marketer(&fleet, seed)).collect();
    run_replicas(&fleet, replicas, Duration::from_secs(6 * 3600)).await;

    let posts = posts(&fleet.store).await;
    assert_eq!(
        posts.len(),
        400,
        "one post per (campaign, group) in round 0"
    );
    assert!(
        posts
            .iter()
            .all(|p| p.state == PostState::Sent && p.round == 0)
    );
    let holders: HashSet<&str> = posts.iter().map(|p| p.claimed_by.as_str()).collect();
    assert!(
        holders.len() >= 2,
        "the replicas shared the work: {holders:?}"
    );

    let records = sent(&fleet);
    assert_eq!(records.len(), 400);
    let mut per_group_and_text: BTreeMap<(i64, &str), usize> = BTreeMap::new();
    for (_, record) in &records {
        *per_group_and_text
            .entry((record.channel_id, record.text.as_str()))
            .or_default() += 1;
    }
    assert_eq!(
        per_group_and_text.len(),
        400,
        "no group saw a campaign twice"
    );
    assert!(per_group_and_text.values().all(|count| *count == 1));
    // One holder per account: its messages keep their gap whatever replica sent them.
    let limits = RunLimits {
        windows: tgfleet_domain::ActivityWindows::always(),
        zone: chrono_tz::UTC,
        per_day: 100,
        per_hour: 30,
        gap_account: TimeDelta::seconds(60),
        gap_chat: TimeDelta::zero(),
    };
    let found = violations(&records, &limits);
    assert!(found.is_empty(), "{found:#?}");
    assert_eq!(logs.lines_with("Sent to").len(), 400);
    assert!(logs.lines_with("ERROR").is_empty(), "{}", logs.text());
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_replica_killed_between_claim_and_send_loses_nothing_and_repeats_nothing(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let fleet = fleet(
        pool,
        spec(32, 3, GroupMix::default().with(Profile::Open, 6)),
        "[posting]\nwindows = \"0-24\"\nper_day = 100\nper_hour = 30\nmin_gap_account_secs = 60\nmin_gap_chat_secs = 0\netiquette_last_messages = 0",
    )
    .await;
    let joined = join_groups(&fleet, &["acc0001", "acc0002", "acc0003"], &[]).await;
    let interval = TimeDelta::hours(2);
    let villas = text_campaign(
        &fleet,
        "villas",
        interval.to_std().unwrap(),
        "Villa for rent",
    )
    .await;

    // Replica A: acc0001's first send never happens (killed before it), acc0002's
    // first send reaches the group but the replica dies before recording it.
    let hang = |account: &str, action: FaultAction| Fault::send(account, None, action, 1);
    let faulty = Faulty::with_faults(
        fleet.connector.clone(),
        vec![
            hang("acc0001", FaultAction::HangBefore),
            hang("acc0002", FaultAction::HangAfter),
        ],
    );
    let a = spawn_replica(faulty.context(&fleet, Service::Marketer), 1);
    while !faulty.remaining().is_empty() {
        run_for(&fleet, Duration::from_secs(1)).await;
    }
    a.abort();
    assert!(a.await.unwrap_err().is_cancelled(), "replica A was killed");
    settle().await;

    let pending: Vec<_> = posts(&fleet.store)
        .await
        .into_iter()
        .filter(|p| p.state == PostState::Pending)
        .collect();
    assert_eq!(
        pending.len(),
        2,
        "two claims left without an outcome: {pending:?}"
    );
    let group_of = |post: &tgfleet_store::Post| {
        joined
            .iter()
            .find(|g| g.id == post.group_id)
            .unwrap()
            .clone()
    };
    let unsent = group_of(
        pending
            .iter()
            .find(|p| p.account_id == account_id(&fleet, "acc0001"))
            .unwrap(),
    );
    let sent_unrecorded = group_of(
        pending
            .iter()
            .find(|p| p.account_id == account_id(&fleet, "acc0002"))
            .unwrap(),
    );
    let in_group = |channel: i64| {
        sent(&fleet)
            .into_iter()
            .filter(move |(_, r)| r.channel_id == channel)
            .collect::<Vec<_>>()
    };
    assert!(in_group(unsent.channel_id).is_empty());
    assert_eq!(in_group(sent_unrecorded.channel_id).len(), 1);

    // Replica B starts after the crash and runs five hours (rounds 0, 1 and 2).
    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 2)],
        Duration::from_secs(5 * 3600),
    )
    .await;

    let posts = posts(&fleet.store).await;
    let crashed: Vec<_> = posts
        .iter()
        .filter(|p| pending.iter().any(|q| q.id == p.id))
        .collect();
    assert!(
        crashed.iter().all(|p| p.state == PostState::Unknown),
        "crash leftovers become unknown: {crashed:?}"
    );
    assert!(posts.iter().all(|p| p.state != PostState::Pending));

    // No group saw the campaign twice in a round; every group got rounds 1 and 2, and
    // every group but the one whose claim died unsent got round 0.
    let round_of = |at: chrono::DateTime<chrono::Utc>| {
        (at - villas.rounds_start()).num_seconds() / interval.num_seconds()
    };
    for group in &joined {
        let rounds: Vec<i64> = in_group(group.channel_id)
            .iter()
            .map(|(_, r)| round_of(r.date))
            .collect();
        let expected: Vec<i64> = if group.id == unsent.id {
            vec![1, 2]
        } else {
            vec![0, 1, 2]
        };
        assert_eq!(rounds, expected, "{}", group.handle);
    }
    // The crashed accounts were not left stuck: both posted again after the restart.
    for label in ["acc0001", "acc0002"] {
        assert!(
            sent(&fleet).iter().any(|(l, _)| l == label),
            "{label} posted after the restart"
        );
    }
    assert_eq!(
        posts.iter().filter(|p| p.state == PostState::Sent).count(),
        sent(&fleet).len() - 1,
        "every message is recorded as sent, except the one whose record the crash lost"
    );
    assert_eq!(logs.lines_with("left pending by a crash").len(), 2);
    resume_time();
}
