//! What reaches the group for each kind of variant: formatted text, a document with
//! its caption, a forward that keeps the source's author, a copy that does not.

mod common;

use common::*;
use sqlx::PgPool;
use std::time::Duration;
use tg_world::{GroupMix, MethodClass, Profile, SentKind};
use tgfleet_domain::campaign::SourcePost;
use tgfleet_domain::{PostState, VariantKind};

#[sqlx::test(migrations = "../../migrations")]
async fn forwards_keep_the_author_copies_do_not_and_files_arrive_whole(pool: PgPool) {
    let mix = GroupMix::default()
        .with(Profile::Open, 2)
        .with(Profile::Broadcast, 1);
    let fleet = fleet(
        pool,
        spec(51, 1, mix),
        "[posting]\nwindows = \"0-24\"\nmin_gap_account_secs = 0\nmin_gap_chat_secs = 0\netiquette_last_messages = 0",
    )
    .await;
    let groups = join_groups(&fleet, &["acc0001"], &[Profile::Open]).await;
    let source = fleet
        .generated
        .handles_of(Profile::Broadcast)
        .first()
        .map(|handle| (handle.username.clone().unwrap(), handle.channel_id.unwrap()))
        .unwrap();
    let post = SourcePost::parse(&format!("@{}/7", source.0)).unwrap();
    let resolves_before = calls(&fleet, "acc0001", MethodClass::Resolve);

    let document = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
    std::fs::write(document.path(), vec![7u8; 4096]).unwrap();
    variant_campaign(
        &fleet,
        "forward",
        VariantKind::Forward,
        "",
        None,
        Some(post.clone()),
    )
    .await;
    variant_campaign(&fleet, "copy", VariantKind::Copy, "", None, Some(post)).await;
    variant_campaign(
        &fleet,
        "brochure",
        VariantKind::Document,
        "Our brochure",
        Some(document.path().to_str().unwrap()),
        None,
    )
    .await;

    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 6)],
        Duration::from_secs(3600),
    )
    .await;

    let records = sent(&fleet);
    assert_eq!(records.len(), 6, "three campaigns in two groups");
    for group in &groups {
        let kinds: Vec<&SentKind> = records
            .iter()
            .filter(|(_, r)| r.channel_id == group.channel_id)
            .map(|(_, r)| &r.kind)
            .collect();
        assert!(kinds.contains(&&SentKind::Forward {
            from_channel_id: source.1,
            from_message_id: 7
        }));
        assert!(
            kinds.iter().any(
                |kind| matches!(kind, SentKind::Media { file_name, size, .. }
                if file_name.ends_with(".pdf") && *size == 4096)
            ),
            "{kinds:?}"
        );
        assert_eq!(
            kinds
                .iter()
                .filter(|kind| !matches!(kind, SentKind::Forward { .. } | SentKind::Media { .. }))
                .count(),
            1,
            "the copy arrives as the account's own message: {kinds:?}"
        );
    }
    assert!(
        records
            .iter()
            .any(|(_, r)| r.text == "Our brochure" && matches!(r.kind, SentKind::Media { .. }))
    );
    let resolves_after = calls(&fleet, "acc0001", MethodClass::Resolve);
    assert_eq!(
        resolves_after - resolves_before,
        1,
        "the source channel is resolved once, then stored"
    );
    assert!(
        posts(&fleet.store)
            .await
            .iter()
            .all(|p| p.state == PostState::Sent)
    );
    resume_time();
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_file_changed_after_it_was_added_is_never_sent(pool: PgPool) {
    let (logs, _guard) = Logs::capture();
    let fleet = fleet(
        pool,
        spec(52, 1, GroupMix::default().with(Profile::Open, 1)),
        "[posting]\nwindows = \"0-24\"\nmin_gap_account_secs = 0\nmin_gap_chat_secs = 0\netiquette_last_messages = 0",
    )
    .await;
    join_groups(&fleet, &["acc0001"], &[]).await;
    let photo = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(photo.path(), b"original").unwrap();
    variant_campaign(
        &fleet,
        "photo",
        VariantKind::Photo,
        "",
        Some(photo.path().to_str().unwrap()),
        None,
    )
    .await;
    std::fs::write(photo.path(), b"replaced behind our back").unwrap();

    run_replicas(
        &fleet,
        vec![spawn_marketer(&fleet, 7)],
        Duration::from_secs(600),
    )
    .await;

    assert!(sent(&fleet).is_empty());
    assert!(
        posts(&fleet.store).await.is_empty(),
        "nothing was even claimed"
    );
    let errors = logs.lines_with("left out");
    assert_eq!(errors.len(), 1, "reported once: {errors:?}");
    assert!(errors[0].contains("changed since the variant was added"));
    resume_time();
}
