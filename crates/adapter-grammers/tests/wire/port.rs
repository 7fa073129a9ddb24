//! Every port method through the real grammers client against tg-sim's world.

use crate::support::*;

#[sqlx::test(migrations = "../../migrations")]
async fn every_port_method_round_trips(pool: PgPool) {
    let sim = SimWorld::start().await;
    let store = Store::from_pool(pool);
    let ayu = enrol(&store, &sim, "ayu").await;
    let tg = test_connector(store.clone()).connect(&ayu).await.unwrap();

    let me = tg.whoami().await.unwrap();
    assert_eq!(me.user_id, sim.user_id("ayu"));
    assert_eq!(me.username.as_deref(), Some("ayu_sim"));

    let market = resolve_chat(tg.as_ref(), "@bali_market").await;
    assert_eq!(market.title, "Bali Market");
    assert_eq!(market.kind, ChatKind::Supergroup);
    assert_eq!(market.peer.kind, PeerKind::Channel);
    assert_eq!(
        Some(market.peer.id),
        sim.world().channel_by_username("bali_market")
    );
    assert_eq!(
        tg.rights(&market.peer).await.unwrap().status,
        MemberStatus::Left
    );

    let joined = tg.join(&JoinTarget::Public(market.peer)).await.unwrap();
    assert_eq!(joined.peer, market.peer);
    let rights = tg.rights(&market.peer).await.unwrap();
    assert_eq!(rights.status, MemberStatus::Member);
    assert_eq!(rights.my_banned, None);
    assert_eq!(rights.default_banned, BannedRights::default());
    assert_eq!((rights.join_to_send, rights.slow_mode_secs), (false, None));

    let text = OutgoingMessage::Text {
        text: "**Sale** at https://shop.example".to_owned(),
        format: TextFormat::Markdown,
        link_preview: true,
    };
    let sent = tg.send(&market.peer, &text, 101).await.unwrap();
    let record = last_sent(&sim, "ayu");
    assert_eq!(
        (record.channel_id, record.message_id),
        (market.peer.id, sent.message_id)
    );
    assert_eq!(record.kind, SentKind::Text);
    assert_eq!(
        record.text, "Sale at https://shop.example",
        "markdown became entities"
    );
    assert_eq!(sent.date, record.date);

    let photo_bytes = vec![9u8; 700 * 1024];
    let photo = OutgoingMessage::Media {
        kind: MediaKind::Photo,
        file_name: "offer.jpg".to_owned(),
        bytes: Arc::new(photo_bytes.clone()),
        caption: "<b>New</b> offer".to_owned(),
        format: TextFormat::Html,
    };
    let sent_photo = tg.send(&market.peer, &photo, 102).await.unwrap();
    let record = last_sent(&sim, "ayu");
    assert_eq!(record.message_id, sent_photo.message_id);
    assert_eq!(
        record.kind,
        SentKind::Media {
            kind: tg_world::MediaKind::Photo,
            file_name: "offer.jpg".to_owned(),
            size: photo_bytes.len() as u64,
        }
    );
    assert_eq!(record.text, "New offer");

    let news = resolve_chat(tg.as_ref(), "bali_news").await;
    assert_eq!(news.kind, ChatKind::Broadcast);
    let forward = OutgoingMessage::Forward {
        from: news.peer,
        message_id: 3,
        drop_author: false,
    };
    let forwarded = tg.send(&market.peer, &forward, 103).await.unwrap();
    let record = last_sent(&sim, "ayu");
    assert_eq!(record.message_id, forwarded.message_id);
    assert_eq!(
        record.kind,
        SentKind::Forward {
            from_channel_id: news.peer.id,
            from_message_id: 3,
        }
    );
    let copy = OutgoingMessage::Forward {
        from: news.peer,
        message_id: 4,
        drop_author: true,
    };
    let copied = tg.send(&market.peer, &copy, 104).await.unwrap();
    let record = last_sent(&sim, "ayu");
    assert_eq!(record.message_id, copied.message_id);
    assert!(
        !matches!(record.kind, SentKind::Forward { .. }),
        "a copy drops the author: {:?}",
        record.kind
    );

    let recent = tg.recent_messages(&market.peer, 5).await.unwrap();
    assert_eq!(recent.len(), 5);
    assert_eq!(recent[0].id, copied.message_id, "newest first");
    assert!(recent[0].outgoing);
    tg.mark_read(&market.peer, recent[0].id).await.unwrap();
    let membership = sim
        .world()
        .membership("ayu", market.peer.id, sim.backend.now())
        .unwrap();
    assert_eq!(membership.read_max_id, recent[0].id);

    let stories = tg.active_stories(&market.peer).await.unwrap();
    assert_eq!(stories.len(), 2);
    let newest_story = *stories.iter().max().unwrap();
    tg.view_stories(&market.peer, newest_story).await.unwrap();
    tg.react(&market.peer, sent.message_id, "👍").await.unwrap();
    {
        let world = sim.world();
        let counters = world.counters("ayu").unwrap();
        assert_eq!((counters.stories_viewed, counters.reactions), (2, 1));
    }

    let invite = GroupHandle::parse("https://t.me/+Xk3_privateHash").unwrap();
    let Resolved::Invite(preview) = tg.resolve(&invite).await.unwrap() else {
        panic!("a private group the account is not in resolves to its invite preview");
    };
    assert_eq!(preview.title, "Private Circle");
    assert!(!preview.request_needed);
    let private = tg
        .join(&JoinTarget::Invite("Xk3_privateHash".to_owned()))
        .await
        .unwrap();
    assert_eq!(private.title, "Private Circle");
    let Resolved::Chat(again) = tg.resolve(&invite).await.unwrap() else {
        panic!("a joined invite resolves to the chat");
    };
    assert_eq!(again.peer, private.peer);

    tg.leave(&market.peer).await.unwrap();
    assert_eq!(
        tg.rights(&market.peer).await.unwrap().status,
        MemberStatus::Left
    );

    tg.close().await;
    assert!(tg.whoami().await.is_err_and(|error| error.is_transient()));
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_rights_pre_check_sees_defaults_join_to_send_and_slow_mode(pool: PgPool) {
    let sim = SimWorld::start().await;
    let store = Store::from_pool(pool);
    let ayu = enrol(&store, &sim, "ayu").await;
    let tg = test_connector(store).connect(&ayu).await.unwrap();

    let quiet = resolve_chat(tg.as_ref(), "ubud_quiet").await;
    let rights = tg.rights(&quiet.peer).await.unwrap();
    assert_eq!(rights.status, MemberStatus::Left);
    assert_eq!(rights.kind, ChatKind::Supergroup);
    assert!(rights.default_banned.send_plain, "send_plain banned");
    assert!(!rights.default_banned.send_messages);
    assert!(rights.default_banned.embed_links);
    assert!(!rights.default_banned.send_media);
    assert!(rights.join_to_send);
    assert_eq!(rights.slow_mode_secs, Some(60));

    let refused = tg
        .send(
            &quiet.peer,
            &OutgoingMessage::Text {
                text: "hello".to_owned(),
                format: TextFormat::Plain,
                link_preview: true,
            },
            105,
        )
        .await
        .unwrap_err();
    // CHAT_GUEST_SEND_FORBIDDEN: about the membership (join first), not the group.
    assert_eq!(
        (refused.name.as_str(), refused.outcome()),
        ("CHAT_GUEST_SEND_FORBIDDEN", "join_first")
    );

    let missing = tg
        .resolve(&GroupHandle::parse("nobody_here_at_all").unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        missing,
        TgError::from_rpc(400, "USERNAME_NOT_OCCUPIED", None)
    );
    tg.close().await;
}
