//! `tgfleet campaigns ...` through the real binary: bad input names the flag and writes
//! nothing; creating and resuming notify running marketers.

mod common;

use common::{Run, database_url, tgfleet};
use sqlx::PgPool;
use std::time::Duration;
use tgfleet_domain::campaign::Content;
use tgfleet_domain::{BodyFormat, CampaignStatus, VariantKind};
use tgfleet_store::{CampaignTarget, Store};

fn assert_refused(run: &Run, flag: &str) {
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains(flag),
        "stderr should name {flag}: {run:?}"
    );
    assert!(run.stdout.is_empty(), "{run:?}");
}

#[sqlx::test(migrations = "../../migrations")]
async fn bad_campaigns_name_the_flag_and_write_nothing(pool: PgPool) {
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    let cases: &[(&[&str], &str)] = &[
        (
            &["campaigns", "create", "c", "--all", "--interval", "24x"],
            "--interval",
        ),
        (
            &["campaigns", "create", "c", "--all", "--interval", "10s"],
            "--interval",
        ),
        (&["campaigns", "create", "c", "--tag", "two words"], "--tag"),
        (
            &["campaigns", "create", "c", "--all", "--starts", "tomorrow"],
            "--starts",
        ),
        (
            &[
                "campaigns",
                "create",
                "c",
                "--all",
                "--starts",
                "2026-02-01T00:00:00Z",
                "--ends",
                "2026-01-01T00:00:00+07:00",
            ],
            "--ends",
        ),
        (&["campaigns", "create", "c"], "--all"),
        (
            &["campaigns", "create", "c", "--all", "--tag", "bali"],
            "--tag",
        ),
        (&["campaigns", "create", "   ", "--all"], "NAME"),
    ];
    for (args, flag) in cases {
        let run = tgfleet(&url, args);
        assert_refused(&run, flag);
    }
    assert!(store.list_campaigns().await.unwrap().is_empty());
    let usage = tgfleet(&url, &["campaigns", "create", "c"]);
    assert_eq!(
        usage.code, 2,
        "a missing target is a usage error: {usage:?}"
    );
    let bad_value = tgfleet(
        &url,
        &["campaigns", "create", "c", "--all", "--interval", "1w"],
    );
    assert_eq!(
        bad_value.code, 1,
        "a bad value is a failed command: {bad_value:?}"
    );

    let created = tgfleet(
        &url,
        &[
            "campaigns",
            "create",
            "villas",
            "--tag",
            "Bali",
            "--tag",
            "ubud",
            "--interval",
            "12h",
        ],
    );
    assert_eq!(created.code, 0, "{created:?}");
    assert!(
        created
            .stdout
            .contains("Created campaign villas: groups tagged bali or ubud, every 12h"),
        "{created:?}"
    );
    let again = tgfleet(&url, &["campaigns", "create", "villas", "--all"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("already exists"), "{again:?}");
    let campaign = store.campaign_by_name("villas").await.unwrap().unwrap();
    assert_eq!(
        campaign.target,
        CampaignTarget::Tags(vec!["bali".into(), "ubud".into()])
    );
    assert_eq!(campaign.repeat_interval_secs, 12 * 3600);
}

#[sqlx::test(migrations = "../../migrations")]
async fn bad_variants_name_the_flag_and_write_nothing(pool: PgPool) {
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    assert_eq!(
        tgfleet(&url, &["campaigns", "create", "villas", "--all"]).code,
        0
    );
    let directory = tempfile::tempdir().unwrap();
    let dir = directory.path().to_str().unwrap();
    let empty = directory.path().join("empty.jpg");
    std::fs::write(&empty, b"").unwrap();
    let missing = directory.path().join("missing.jpg");
    // One byte above Telegram's 10 MB photo limit (the same file goes as a document).
    let huge = directory.path().join("huge.jpg");
    std::fs::write(&huge, vec![0xFF; 10 * 1024 * 1024 + 1]).unwrap();
    let long = "x".repeat(4097);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--photo", missing.to_str().unwrap()], "--photo"),
        (vec!["--photo", dir], "--photo"),
        (
            vec!["--photo", huge.to_str().unwrap()],
            "10 MB (10485760 bytes)",
        ),
        (vec!["--document", empty.to_str().unwrap()], "--document"),
        (vec!["--text", "   "], "--text"),
        (vec!["--text", &long], "--text"),
        (vec!["--text", "hi", "--caption", "c"], "--caption"),
        (vec!["--text", "hi", "--format", "rtf"], "--format"),
        (vec!["--forward", "@news_channel"], "--forward"),
        (vec!["--copy", "https://t.me/c/123/4"], "--copy"),
        (
            vec!["--text", "hi", "--forward", "@news_channel/1"],
            "--forward",
        ),
        (vec![], "--text"),
    ];
    for (flags, flag) in cases {
        let mut args = vec!["campaigns", "add-variant", "villas"];
        args.extend(flags);
        assert_refused(&tgfleet(&url, &args), flag);
    }
    let unknown = tgfleet(&url, &["campaigns", "add-variant", "nope", "--text", "hi"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("campaign \"nope\" not found"),
        "{unknown:?}"
    );
    let campaign = store.campaign_by_name("villas").await.unwrap().unwrap();
    assert!(store.variants_of(campaign.id).await.unwrap().is_empty());
}

#[sqlx::test(migrations = "../../migrations")]
async fn variants_store_their_content_hash_and_campaigns_pause_and_resume(pool: PgPool) {
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    let mut listener = store.listen_changes().await.unwrap();
    let next_change = async |listener: &mut tgfleet_store::ChangeListener| {
        tokio::time::timeout(Duration::from_secs(5), listener.recv())
            .await
            .expect("a notification within 5 s")
            .unwrap()
    };

    let created = tgfleet(
        &url,
        &[
            "campaigns",
            "create",
            "villas",
            "--all",
            "--starts",
            "2026-01-10T09:00:00+07:00",
            "--ends",
            "2026-03-01T00:00:00+07:00",
        ],
    );
    assert_eq!(created.code, 0, "{created:?}");
    assert_eq!(
        next_change(&mut listener).await,
        "campaigns",
        "create notifies"
    );

    let photo = tempfile::Builder::new().suffix(".jpg").tempfile().unwrap();
    std::fs::write(photo.path(), b"\xFF\xD8 a photo").unwrap();
    let runs = [
        tgfleet(
            &url,
            &[
                "campaigns",
                "add-variant",
                "villas",
                "--text",
                "**Villa** for rent",
                "--format",
                "markdown",
            ],
        ),
        tgfleet(
            &url,
            &[
                "campaigns",
                "add-variant",
                "villas",
                "--photo",
                photo.path().to_str().unwrap(),
                "--caption",
                "See https://example.com",
            ],
        ),
        tgfleet(
            &url,
            &[
                "campaigns",
                "add-variant",
                "villas",
                "--forward",
                "t.me/news_channel/42",
            ],
        ),
        tgfleet(
            &url,
            &[
                "campaigns",
                "add-variant",
                "villas",
                "--copy",
                "@news_channel/42",
            ],
        ),
    ];
    for run in &runs {
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.starts_with("Added variant"), "{run:?}");
    }
    assert!(runs[1].stdout.contains("contains a link"), "{:?}", runs[1]);
    let campaign = store.campaign_by_name("villas").await.unwrap().unwrap();
    let variants = store.variants_of(campaign.id).await.unwrap();
    assert_eq!(
        variants.iter().map(|v| v.kind).collect::<Vec<_>>(),
        [
            VariantKind::Text,
            VariantKind::Photo,
            VariantKind::Forward,
            VariantKind::Copy
        ]
    );
    let photo_path = std::fs::canonicalize(photo.path()).unwrap();
    assert_eq!(variants[1].media_path.as_deref(), photo_path.to_str());
    assert_eq!(
        variants[1].content_hash,
        Content {
            kind: VariantKind::Photo,
            format: BodyFormat::Plain,
            body: "See https://example.com",
            media: Some(b"\xFF\xD8 a photo"),
            source: None,
        }
        .hash()
    );
    assert_eq!(variants[0].format, BodyFormat::Markdown);
    assert_ne!(
        variants[2].content_hash, variants[3].content_hash,
        "forward is not copy"
    );

    let paused = tgfleet(&url, &["campaigns", "pause", "villas"]);
    assert_eq!(
        paused.stdout, "Campaign villas: active -> paused.\n",
        "{paused:?}"
    );
    let again = tgfleet(&url, &["campaigns", "pause", "villas"]);
    assert_eq!(again.stdout, "Campaign villas is already paused.\n");
    // Drain the notifications of the variants and the pause.
    while tokio::time::timeout(Duration::from_millis(300), listener.recv())
        .await
        .is_ok()
    {}
    let resumed = tgfleet(&url, &["campaigns", "resume", "villas"]);
    assert_eq!(resumed.code, 0, "{resumed:?}");
    assert_eq!(
        next_change(&mut listener).await,
        "campaigns",
        "resume notifies"
    );
    let campaign = store.campaign_by_name("villas").await.unwrap().unwrap();
    assert_eq!(campaign.status, CampaignStatus::Active);
    let missing = tgfleet(&url, &["campaigns", "resume", "nope"]);
    assert_eq!(missing.code, 1);

    let list = tgfleet(&url, &["campaigns", "list"]);
    assert_eq!(list.code, 0, "{list:?}");
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert!(lines[0].starts_with("NAME"), "{list:?}");
    assert!(lines[1].starts_with("villas  active  all"), "{list:?}");
    assert!(lines[1].contains("2026-01-10 09:00"), "{list:?}");
    assert_eq!(lines.last(), Some(&"1 campaign(s)"));
}

/// A campaign created without `--starts` starts at the configured clock's "now" (the
/// services' time), not the wall clock's: with `[clock]` an hour behind the wall
/// clock, the campaign starts an hour ago.
#[sqlx::test(migrations = "../../migrations")]
async fn a_campaign_starts_on_the_configured_clock(pool: PgPool) {
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    // origin an hour ahead at twice real speed: the clock reads an hour behind now.
    let wall = chrono::Utc::now();
    let origin = (wall + chrono::TimeDelta::hours(1)).to_rfc3339();
    let created = common::tgfleet_with_env(
        &["campaigns", "create", "behind", "--all"],
        &[
            ("DATABASE_URL", url.as_str()),
            ("TGFLEET__CLOCK__SCALE", "2"),
            ("TGFLEET__CLOCK__ORIGIN", origin.as_str()),
        ],
    );
    assert_eq!(created.code, 0, "{created:?}");
    let campaign = store.campaign_by_name("behind").await.unwrap().unwrap();
    let behind = wall - campaign.rounds_start();
    assert!(
        (chrono::TimeDelta::minutes(59)..=chrono::TimeDelta::minutes(61)).contains(&behind),
        "the campaign starts {behind} before the wall clock, not an hour"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn relay_campaigns_name_a_bad_argument_and_store_nothing(pool: PgPool) {
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    let relay = |extra: &[&'static str]| {
        let mut args = vec![
            "campaigns",
            "create",
            "news",
            "--all",
            "--relay",
            "@bali_news",
        ];
        args.extend_from_slice(extra);
        args
    };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            relay(&["--exclude", "(unclosed"]),
            "--exclude \"(unclosed\"",
        ),
        (relay(&["--include", "[a-"]), "--include"),
        (relay(&["--delay", "soon"]), "--delay \"soon\""),
        (relay(&["--delay", "8d"]), "--delay"),
        (relay(&["--max-age", "10s"]), "--max-age"),
        (relay(&["--mode", "mirror"]), "--mode"),
        (
            vec![
                "campaigns",
                "create",
                "news",
                "--all",
                "--relay",
                "https://t.me/+AbCdEf",
            ],
            "--relay",
        ),
    ];
    for (args, named) in &cases {
        let run = tgfleet(&url, args);
        assert_refused(&run, named);
    }
    let without_source = tgfleet(
        &url,
        &["campaigns", "create", "news", "--all", "--mode", "copy"],
    );
    assert_eq!(
        without_source.code, 2,
        "--mode needs --relay: {without_source:?}"
    );
    assert!(store.list_campaigns().await.unwrap().is_empty());

    let created = tgfleet(
        &url,
        &relay(&[
            "--mode",
            "copy",
            "--include",
            "villa",
            "--exclude",
            "(?i)sponsored",
            "--delay",
            "5m",
            "--max-age",
            "12h",
            "--allow-copy-fallback",
        ]),
    );
    assert_eq!(created.code, 0, "{created:?}");
    assert!(
        created
            .stdout
            .contains("Created relay campaign news: new posts of @bali_news copied to all groups"),
        "{created:?}"
    );
    let campaign = store.campaign_by_name("news").await.unwrap().unwrap();
    let config = store.relay_of(campaign.id).await.unwrap().unwrap();
    assert_eq!(config.mode, tgfleet_domain::relay::RelayMode::Copy);
    assert_eq!((config.include.len(), config.exclude.len()), (1, 1));
    assert_eq!((config.delay_secs, config.max_age_secs), (300, 12 * 3600));
    assert!(config.allow_copy_fallback);
    assert_eq!(config.last_message_id, 0);

    // A relay without a reader says why in the listing.
    let listed = tgfleet(&url, &["campaigns", "list"]);
    assert!(!listed.stdout.contains("waits"), "{listed:?}");
    store
        .await_relay_reader(campaign.id, "no reader is a member of @bali_news yet")
        .await
        .unwrap();
    let listed = tgfleet(&url, &["campaigns", "list"]);
    assert!(
        listed
            .stdout
            .contains("news: relaying @bali_news waits: no reader is a member of @bali_news yet"),
        "{listed:?}"
    );
}
