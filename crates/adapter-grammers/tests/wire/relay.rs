//! What a relay needs, through the real grammers client against tg-sim: a channel's
//! posts read forward from a message id (`messages.getHistory` with `min_id`), their
//! content (text, file reference, `noforwards`), forwards with one random id per
//! message, and copies of a protected channel's posts.

use crate::support::*;
use chrono::TimeDelta;
use tgfleet_telegram::{ChannelPost, PostContent};

/// tg-sim with `ayu` connected through grammers, a member of `@bali_market`.
async fn ayu_in_the_market(pool: PgPool) -> (SimWorld, Box<dyn TelegramAccount>, ResolvedChat) {
    let sim = SimWorld::start().await;
    let store = Store::from_pool(pool);
    let ayu = enrol(&store, &sim, "ayu").await;
    let tg = test_connector(store.clone()).connect(&ayu).await.unwrap();
    let market = resolve_chat(tg.as_ref(), "@bali_market").await;
    tg.join(&JoinTarget::Public(market.peer)).await.unwrap();
    (sim, tg, market)
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_relay_reads_forwards_and_copies_over_the_wire(pool: PgPool) {
    let (sim, tg, market) = ayu_in_the_market(pool).await;
    let deals = resolve_chat(tg.as_ref(), "@bali_deals").await;
    assert_eq!(deals.kind, ChatKind::Broadcast);

    // Two posts published (every ten minutes from the epoch), read forward from the
    // generated history's last id.
    sim.clock.advance(TimeDelta::minutes(25));
    let posts: Vec<ChannelPost> = tg.channel_posts(&deals.peer, 10, 20).await.unwrap();
    let ids: Vec<i32> = posts.iter().map(|post| post.id).collect();
    assert_eq!(ids, [11, 12], "oldest first, only after the cursor");
    assert!(posts.iter().all(|post| post.noforwards));
    assert_eq!(posts[0].content.text, "Bali Deals post 1: villa for rent");
    assert!(posts[0].content.media.is_none());
    let photo = posts[1]
        .content
        .media
        .as_ref()
        .expect("the second post is a photo");
    assert_eq!(photo.kind, MediaKind::Photo);
    assert_eq!(posts[1].content.text, "Bali Deals post 2: market news");
    let after = tg.channel_posts(&deals.peer, 11, 20).await.unwrap();
    assert_eq!(after.iter().map(|post| post.id).collect::<Vec<_>>(), [12]);
    assert!(
        tg.channel_posts(&deals.peer, 12, 20)
            .await
            .unwrap()
            .is_empty()
    );

    // A protected channel refuses forwards.
    let refused = tg
        .forward(&deals.peer, &[11], &market.peer, &[201])
        .await
        .unwrap_err();
    assert_eq!(refused.name, "CHAT_FORWARDS_RESTRICTED");

    // Its posts are copied: the text as it was, the photo re-sent by reference.
    let copy = OutgoingMessage::Copy {
        content: posts[1].content.clone(),
        link_preview: true,
    };
    let copied = tg.send(&market.peer, &copy, 202).await.unwrap();
    let record = last_sent(&sim, "ayu");
    assert_eq!(record.message_id, copied.message_id);
    assert_eq!(
        record.kind,
        SentKind::Media {
            kind: tg_world::MediaKind::Photo,
            file_name: "post-2.jpg".to_owned(),
            size: 10_002,
        }
    );
    assert_eq!(record.text, "Bali Deals post 2: market news");
    let text = OutgoingMessage::Copy {
        content: PostContent {
            text: posts[0].content.text.clone(),
            entities: Vec::new(),
            media: None,
        },
        link_preview: true,
    };
    tg.send(&market.peer, &text, 203).await.unwrap();
    assert_eq!(last_sent(&sim, "ayu").kind, SentKind::Text);

    // An open channel's posts are forwarded, one random id per message, and a repeat
    // of the same random ids posts nothing new.
    let news = resolve_chat(tg.as_ref(), "@bali_news").await;
    let forwarded = tg
        .forward(&news.peer, &[3, 4], &market.peer, &[301, 302])
        .await
        .unwrap();
    assert_eq!(forwarded.len(), 2);
    let before = sim.world().sent_by("ayu").len();
    let again = tg
        .forward(&news.peer, &[3, 4], &market.peer, &[301, 302])
        .await
        .unwrap();
    assert_eq!(
        again, forwarded,
        "the same random ids answer the same messages"
    );
    assert_eq!(sim.world().sent_by("ayu").len(), before);
}

#[sqlx::test(migrations = "../../migrations")]
async fn albums_are_read_forwarded_and_copied_as_albums_over_the_wire(pool: PgPool) {
    let (sim, tg, market) = ayu_in_the_market(pool).await;
    let albums = resolve_chat(tg.as_ref(), "@bali_albums").await;

    // An album (a photo, a video, a photo: one grouped_id), then a video.
    sim.clock.advance(TimeDelta::minutes(25));
    let posts = tg.channel_posts(&albums.peer, 10, 20).await.unwrap();
    let ids: Vec<i32> = posts.iter().map(|post| post.id).collect();
    assert_eq!(ids, [11, 12, 13, 14]);
    let grouped: Vec<Option<i64>> = posts.iter().map(|post| post.grouped_id).collect();
    assert!(grouped[0].is_some() && grouped[..3].iter().all(|id| *id == grouped[0]));
    assert_eq!(grouped[3], None);
    let kinds: Vec<Option<MediaKind>> = posts
        .iter()
        .map(|post| post.content.media.as_ref().map(|media| media.kind))
        .collect();
    use MediaKind::{Photo, Video};
    assert_eq!(kinds, [Some(Photo), Some(Video), Some(Photo), Some(Video)]);
    assert_eq!(posts[0].content.text, "Bali Albums post 1: villa for rent");

    // Copied as one album (messages.sendMultiMedia, the files by reference).
    let album =
        OutgoingMessage::Album(posts[..3].iter().map(|post| post.content.clone()).collect());
    let copied = tg.send(&market.peer, &album, 401).await.unwrap();
    let again = tg.send(&market.peer, &album, 401).await.unwrap();
    assert_eq!(again, copied, "the same random ids post nothing new");
    let sent: Vec<SentRecord> = sim.world().sent_by("ayu").into_iter().cloned().collect();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0].message_id, copied.message_id);
    assert_eq!(sent[0].text, "Bali Albums post 1: villa for rent");
    assert!(matches!(
        sent[1].kind,
        SentKind::Media {
            kind: tg_world::MediaKind::Video,
            ..
        }
    ));

    // Forwarded in one call: the three stay one album in the group.
    let forwarded = tg
        .forward(&albums.peer, &[11, 12, 13], &market.peer, &[501, 502, 503])
        .await
        .unwrap();
    assert_eq!(forwarded.len(), 3);
    let shown = tg
        .channel_posts(&market.peer, copied.message_id - 1, 20)
        .await
        .unwrap();
    let grouped: Vec<Option<i64>> = shown.iter().map(|post| post.grouped_id).collect();
    assert_eq!(grouped.len(), 6, "{shown:#?}");
    assert!(grouped[0].is_some() && grouped[..3].iter().all(|id| *id == grouped[0]));
    assert!(grouped[3].is_some() && grouped[3..].iter().all(|id| *id == grouped[3]));
    assert_ne!(grouped[0], grouped[3], "two albums");
}
