//! A simulated day of posting: windows in each account's zone, caps and gaps, as the
//! world recorded what was actually sent.

mod common;

use chrono::TimeDelta;
use common::*;
use sqlx::PgPool;
use std::collections::HashSet;
use std::time::Duration;
use tg_world::{GroupMix, Profile};
use tgfleet_domain::{ActivityWindows, PostState};
use tgfleet_store::CampaignTarget;
use tgfleet_store::posting_fixtures::set_account_time_zone;

#[sqlx::test(migrations = "../../migrations")]
async fn a_day_keeps_windows_caps_and_gaps_in_each_accounts_zone(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let metrics = recorder.handle();
    let _recording = metrics::set_default_local_recorder(&recorder);
    let fleet = fleet(
        pool,
        spec(11, 3, GroupMix::default().with(Profile::Open, 30)),
        "[posting]\nwindows = \"5-10,18-24\"\nper_day = 40\nper_hour = 8\nmin_gap_account_secs = 90\nmin_gap_chat_secs = 2400",
    )
    .await;
    let joined = join_groups(&fleet, &["acc0001", "acc0002", "acc0003"], &[]).await;
    assert_eq!(joined.len(), 30);
    set_account_time_zone(&fleet.store, account_id(&fleet, "acc0003"), "Europe/Moscow")
        .await
        .unwrap();
    campaign(
        &fleet,
        "villas",
        CampaignTarget::All,
        Duration::from_secs(2 * 3600),
    )
    .await;
    for body in ["Villa A", "Villa B", "Villa C"] {
        add_text(&fleet.store, "villas", body).await;
    }
    text_campaign(
        &fleet,
        "scooters",
        Duration::from_secs(3 * 3600),
        "Scooter rental",
    )
    .await;

    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 1)],
        Duration::from_secs(36 * 3600),
    )
    .await;

    let records = sent(&fleet);
    let windows = ActivityWindows::parse("5-10,18-24").unwrap();
    for (zone, labels) in [
        (chrono_tz::Asia::Jakarta, ["acc0001", "acc0002"].as_slice()),
        (chrono_tz::Europe::Moscow, ["acc0003"].as_slice()),
    ] {
        let own: Vec<_> = records
            .iter()
            .filter(|(label, _)| labels.contains(&label.as_str()))
            .cloned()
            .collect();
        assert!(!own.is_empty(), "{labels:?} posted");
        let limits = RunLimits {
            windows: windows.clone(),
            zone,
            per_day: 40,
            per_hour: 8,
            gap_account: TimeDelta::seconds(90),
            gap_chat: TimeDelta::zero(),
        };
        let found = violations(&own, &limits);
        assert!(found.is_empty(), "{found:#?}");
    }
    let fleet_wide = RunLimits {
        windows: ActivityWindows::always(),
        zone: chrono_tz::UTC,
        per_day: usize::MAX,
        per_hour: usize::MAX,
        gap_account: TimeDelta::zero(),
        gap_chat: TimeDelta::minutes(40),
    };
    let found = violations(&records, &fleet_wide);
    assert!(found.is_empty(), "{found:#?}");

    let posts = posts(&fleet.store).await;
    let sent_posts: Vec<_> = posts
        .iter()
        .filter(|p| p.state == PostState::Sent)
        .collect();
    assert_eq!(
        sent_posts.len(),
        records.len(),
        "every sent post is in the world and vice versa"
    );
    let ids: HashSet<(i64, i32)> = records
        .iter()
        .map(|(_, record)| (record.channel_id, record.message_id))
        .collect();
    for post in &sent_posts {
        let group = joined.iter().find(|g| g.id == post.group_id).unwrap();
        assert!(ids.contains(&(group.channel_id, post.telegram_message_id.unwrap())));
    }
    // The accounts work hard: caps bind (three accounts, 40 a day each at most).
    assert!(records.len() > 60, "{} posts", records.len());
    assert_eq!(logs.lines_with("Sent to").len(), records.len());
    assert!(logs.lines_with("ERROR").is_empty(), "{}", logs.text());
    let rendered = metrics.render();
    assert!(
        rendered.contains(&format!(
            "tgfleet_posts_total{{outcome=\"sent\"}} {}",
            records.len()
        )),
        "{rendered}"
    );
    resume_time();
}
