//! Campaigns and variants on a real Postgres (a fresh database per test).

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use sqlx::PgPool;
use std::time::Duration;
use tgfleet_domain::campaign::{Content, SourcePost};
use tgfleet_domain::{
    BodyFormat, CampaignName, CampaignStatus, VariantContent, VariantKind, VariantText,
};
use tgfleet_store::{CampaignTarget, NewCampaign, NewVariant, Store, StoreError};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap()
}

fn campaign(name: &str, target: CampaignTarget) -> NewCampaign {
    NewCampaign {
        name: CampaignName::parse(name).unwrap(),
        target,
        repeat_interval: Duration::from_secs(86_400),
        starts_at: None,
        ends_at: None,
    }
}

fn text(body: &str) -> NewVariant {
    NewVariant {
        content: VariantContent::Text(VariantText::message(body).unwrap()),
        format: BodyFormat::Plain,
        content_hash: Content {
            kind: VariantKind::Text,
            format: BodyFormat::Plain,
            body,
            media: None,
            source: None,
        }
        .hash(),
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn campaigns_are_created_once_with_normalized_tags(pool: PgPool) {
    let store = Store::from_pool(pool);
    let created = store
        .create_campaign(
            &campaign(
                "Villas",
                CampaignTarget::Tags(vec!["Bali".into(), "bali".into(), "ubud".into()]),
            ),
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(
        created.target,
        CampaignTarget::Tags(vec!["bali".into(), "ubud".into()])
    );
    assert_eq!(created.status, CampaignStatus::Active);
    assert_eq!(created.created_at, t0(), "created at the caller's clock");
    assert_eq!(created.rounds_start(), t0());

    let again = store
        .create_campaign(&campaign("Villas", CampaignTarget::All), t0())
        .await
        .unwrap_err();
    assert!(
        matches!(&again, StoreError::Invalid { what, reason } if what.contains("Villas") && reason == "already exists"),
        "{again}"
    );
    assert_eq!(store.list_campaigns().await.unwrap().len(), 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn bad_campaigns_and_variants_write_nothing(pool: PgPool) {
    let store = Store::from_pool(pool);
    let bad = [
        (
            campaign("x", CampaignTarget::Tags(vec![])),
            "campaign target",
        ),
        (
            campaign("x", CampaignTarget::Tags(vec!["two words".into()])),
            "tag",
        ),
        (
            NewCampaign {
                repeat_interval: Duration::from_secs(10),
                ..campaign("x", CampaignTarget::All)
            },
            "repeat interval",
        ),
        (
            NewCampaign {
                starts_at: Some(t0()),
                ends_at: Some(t0() - TimeDelta::hours(1)),
                ..campaign("x", CampaignTarget::All)
            },
            "campaign period",
        ),
    ];
    for (new, field) in bad {
        let err = store.create_campaign(&new, t0()).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid { what, .. } if what.starts_with(field)),
            "{field}: {err}"
        );
    }
    assert!(store.list_campaigns().await.unwrap().is_empty());

    let missing = store.add_variant("nope", &text("hello")).await.unwrap_err();
    assert!(matches!(missing, StoreError::NotFound { .. }), "{missing}");
    store
        .create_campaign(&campaign("c", CampaignTarget::All), t0())
        .await
        .unwrap();
    // Blank texts, photos without a file and forwards with a caption cannot be built
    // (`VariantContent`); what is left to check is the fingerprint.
    let bad_variant = NewVariant {
        content_hash: "short".into(),
        ..text("x")
    };
    let err = store.add_variant("c", &bad_variant).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    let summary = &store.list_campaigns().await.unwrap()[0];
    assert_eq!(summary.variants, 0);
}

#[sqlx::test(migrations = "../../migrations")]
async fn variants_pause_resume_and_the_active_list(pool: PgPool) {
    let store = Store::from_pool(pool);
    let live = store
        .create_campaign(&campaign("live", CampaignTarget::All), t0())
        .await
        .unwrap();
    store
        .create_campaign(
            &NewCampaign {
                ends_at: Some(t0() + TimeDelta::hours(1)),
                ..campaign("ending", CampaignTarget::All)
            },
            t0(),
        )
        .await
        .unwrap();
    store.add_variant("live", &text("one")).await.unwrap();
    let source = SourcePost::parse("@news_channel/42").unwrap();
    let forward = store
        .add_variant(
            "live",
            &NewVariant {
                content: VariantContent::Forward(source.clone()),
                ..text("unused")
            },
        )
        .await
        .unwrap();
    assert_eq!(forward.source, Some(source));
    assert_eq!(store.variants_of(live.id).await.unwrap().len(), 2);

    let active = store.active_campaigns(t0()).await.unwrap();
    assert_eq!(active.len(), 2);
    assert_eq!(active[0].1.len(), 2, "live has its two variants");
    let later = store
        .active_campaigns(t0() + TimeDelta::hours(2))
        .await
        .unwrap();
    assert_eq!(later.len(), 1, "the ended campaign is gone");

    let paused = store
        .set_campaign_status("live", CampaignStatus::Paused)
        .await
        .unwrap();
    assert_eq!(
        (paused.from, paused.to),
        (CampaignStatus::Active, CampaignStatus::Paused)
    );
    assert!(
        store
            .active_campaigns(t0() + TimeDelta::hours(2))
            .await
            .unwrap()
            .is_empty()
    );
    let again = store
        .set_campaign_status("live", CampaignStatus::Paused)
        .await
        .unwrap();
    assert_eq!(again.from, again.to);
    let unknown = store
        .set_campaign_status("nope", CampaignStatus::Active)
        .await
        .unwrap_err();
    assert!(matches!(unknown, StoreError::NotFound { .. }));
    let summaries = store.list_campaigns().await.unwrap();
    assert_eq!(
        summaries
            .iter()
            .map(|s| (s.campaign.name.as_str(), s.variants))
            .collect::<Vec<_>>(),
        [("ending", 0), ("live", 2)]
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn creating_and_resuming_campaigns_notify_listeners(pool: PgPool) {
    let store = Store::from_pool(pool);
    let mut listener = store.listen_changes().await.unwrap();
    let next = async |listener: &mut tgfleet_store::ChangeListener| {
        tokio::time::timeout(Duration::from_secs(5), listener.recv())
            .await
            .expect("a notification within 5 s")
            .unwrap()
    };
    store
        .create_campaign(&campaign("c", CampaignTarget::All), t0())
        .await
        .unwrap();
    assert_eq!(next(&mut listener).await, "campaigns");
    store
        .set_campaign_status("c", CampaignStatus::Paused)
        .await
        .unwrap();
    assert_eq!(next(&mut listener).await, "campaigns");
    store
        .set_campaign_status("c", CampaignStatus::Active)
        .await
        .unwrap();
    assert_eq!(next(&mut listener).await, "campaigns");
    store.add_variant("c", &text("hi")).await.unwrap();
    assert_eq!(next(&mut listener).await, "message_variants");
}
