//! Every method the port uses, through `client.invoke` and grammers' own helpers, against the
//! world of `scenarios/small.toml`.

use grammers_client::message::{InputMessage, InputReactions};
use grammers_client::peer::Peer;
use grammers_tl_types::{self as tl, Identifiable};
use tg_world::{MediaKind, SentKind, Standing};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_and_its_update_state() {
    let (sim, test) = serving("ayu").await;
    let ayu = sim.user("ayu");

    let me = test.client.get_me().await.unwrap();
    assert_eq!(me.id().bare_id(), Some(ayu.0));
    assert_eq!(me.first_name(), Some("Ayu"));
    assert_eq!(me.username(), Some("ayu_sim"));

    let users = test
        .client
        .invoke(&tl::functions::users::GetUsers {
            id: vec![tl::enums::InputUser::UserSelf],
        })
        .await
        .unwrap();
    let [tl::enums::User::User(user)] = users.as_slice() else {
        panic!("one user: {users:?}");
    };
    let info = sim.world().user_info_of(ayu).unwrap();
    assert!(user.is_self && !user.min);
    assert_eq!(user.access_hash, Some(info.access_hash));
    assert_eq!(user.phone.as_deref(), Some("6281200000001"));

    let tl::enums::updates::State::State(state) = test
        .client
        .invoke(&tl::functions::updates::GetState {})
        .await
        .unwrap();
    assert_eq!(i64::from(state.date), sim.now().timestamp());
    assert_eq!(state.pts, 0, "no events yet");
    assert!(test.client.is_authorized().await.unwrap());

    let unserved = tl::functions::help::GetNearestDc {};
    assert_eq!(
        rpc_failure(test.client.invoke(&unserved).await),
        (
            400,
            "INPUT_METHOD_INVALID".to_owned(),
            Some(tl::functions::help::GetNearestDc::CONSTRUCTOR_ID)
        )
    );
    sim.finish(test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_join_inspect_and_leave_a_public_group() {
    let (sim, test) = serving("budi").await;
    let client = &test.client;
    let expected = sim.input_channel("budi", "bali_market");

    let tl::enums::contacts::ResolvedPeer::Peer(resolved) = client
        .invoke(&tl::functions::contacts::ResolveUsername {
            username: "bali_market".into(),
            referer: None,
        })
        .await
        .unwrap();
    assert_eq!(
        resolved.peer,
        tl::enums::Peer::Channel(tl::types::PeerChannel {
            channel_id: expected.channel_id
        })
    );
    let channel = only_channel(&resolved.chats);
    assert_eq!(channel.access_hash, Some(expected.access_hash));
    assert!(channel.megagroup && !channel.broadcast && channel.left);
    assert_eq!(channel.title, "Bali Market");
    assert_eq!(channel.username.as_deref(), Some("bali_market"));
    assert_eq!(channel.participants_count, Some(5400));

    // grammers' helper reads the same answer into a peer it can address.
    let Some(Peer::Group(group)) = client.resolve_username("bali_market").await.unwrap() else {
        panic!("a supergroup resolves to a group");
    };
    assert!(group.is_megagroup());
    let peer = group.to_ref().await.unwrap().expect("an access hash");
    assert_eq!(peer.auth.hash(), expected.access_hash);

    let tl::enums::messages::ChatInviteJoinResult::Ok(joined) = client
        .invoke(&tl::functions::channels::JoinChannel {
            channel: sim.tl_channel("budi", "bali_market"),
        })
        .await
        .unwrap()
    else {
        panic!("joined");
    };
    let joined = updates_of(joined.updates);
    assert!(!only_channel(&joined.chats).left);
    assert!(matches!(
        joined.updates.as_slice(),
        [tl::enums::Update::Channel(update)] if update.channel_id == expected.channel_id
    ));
    assert_eq!(
        sim.world().standing("budi", expected.channel_id, sim.now()),
        Standing::Member
    );

    let tl::enums::channels::ChannelParticipant::Participant(participant) = client
        .invoke(&tl::functions::channels::GetParticipant {
            channel: sim.tl_channel("budi", "bali_market"),
            participant: tl::enums::InputPeer::PeerSelf,
        })
        .await
        .unwrap();
    let tl::enums::ChannelParticipant::ParticipantSelf(me) = &participant.participant else {
        panic!("a plain member: {:?}", participant.participant);
    };
    assert_eq!(me.user_id, sim.user("budi").0);
    assert_eq!(i64::from(me.date), sim.now().timestamp());
    assert!(!only_channel(&participant.chats).left);
    assert_eq!(participant.users.len(), 1);

    let tl::enums::messages::ChatFull::Full(full) = client
        .invoke(&tl::functions::channels::GetFullChannel {
            channel: sim.tl_channel("budi", "bali_market"),
        })
        .await
        .unwrap();
    let tl::enums::ChatFull::ChannelFull(channel_full) = &full.full_chat else {
        panic!("channelFull");
    };
    assert_eq!(channel_full.id, expected.channel_id);
    assert_eq!(channel_full.slowmode_seconds, None);
    assert_eq!(channel_full.participants_count, Some(5401), "budi joined");
    assert!(matches!(
        channel_full.available_reactions,
        Some(tl::enums::ChatReactions::All(_))
    ));
    let channel = only_channel(&full.chats);
    let Some(tl::enums::ChatBannedRights::Rights(defaults)) = &channel.default_banned_rights else {
        panic!("default banned rights are always sent");
    };
    assert!(!defaults.send_messages && !defaults.send_plain && !defaults.embed_links);
    assert_eq!(channel.banned_rights, None);

    let left = updates_of(
        client
            .invoke(&tl::functions::channels::LeaveChannel {
                channel: sim.tl_channel("budi", "bali_market"),
            })
            .await
            .unwrap(),
    );
    assert!(only_channel(&left.chats).left);
    assert_eq!(
        sim.world().standing("budi", expected.channel_id, sim.now()),
        Standing::Left
    );

    // grammers' join helper over the same method.
    let joined = client
        .join_chat(sim.peer_ref("budi", "seminyak_talk"))
        .await
        .unwrap();
    assert!(matches!(joined, Some(Peer::Group(_))));
    sim.finish(test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invites_are_checked_imported_and_then_already_joined() {
    let (sim, test) = serving("ayu").await;
    let client = &test.client;
    let check = |hash: &str| tl::functions::messages::CheckChatInvite { hash: hash.into() };

    let tl::enums::ChatInvite::Invite(invite) =
        client.invoke(&check("Xk3_privateHash")).await.unwrap()
    else {
        panic!("a preview for a non-member");
    };
    assert!(invite.channel && invite.megagroup && !invite.public && !invite.request_needed);
    assert_eq!(invite.title, "Group 3");
    assert_eq!(invite.participants_count, 1000);

    let tl::enums::ChatInvite::Invite(approval) =
        client.invoke(&check("Rq9-approvalHash")).await.unwrap()
    else {
        panic!("a preview");
    };
    assert!(approval.request_needed);

    let tl::enums::messages::ChatInviteJoinResult::Ok(joined) = client
        .invoke(&tl::functions::messages::ImportChatInvite {
            hash: "Xk3_privateHash".into(),
        })
        .await
        .unwrap()
    else {
        panic!("joined");
    };
    let joined = updates_of(joined.updates);
    let channel = only_channel(&joined.chats);
    assert_eq!(channel.id, 1_900_500_001);
    assert!(!channel.left && channel.username.is_none());

    let tl::enums::ChatInvite::Already(already) =
        client.invoke(&check("Xk3_privateHash")).await.unwrap()
    else {
        panic!("already a member");
    };
    assert_eq!(already.chat.id(), 1_900_500_001);
    sim.finish(test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_to_a_group_readable_without_joining_is_a_peek() {
    let mut scenario = small_scenario();
    scenario.groups[0].invite = Some("Pk1-publicInvite".into());
    let sim = WorldSim::start(scenario).await;
    let test = sim.client("budi");
    let tl::enums::ChatInvite::Peek(peek) = test
        .client
        .invoke(&tl::functions::messages::CheckChatInvite {
            hash: "Pk1-publicInvite".into(),
        })
        .await
        .unwrap()
    else {
        panic!("a peek");
    };
    let tl::enums::Chat::Channel(channel) = &peek.chat else {
        panic!("the channel");
    };
    assert!(channel.left && channel.megagroup);
    assert_eq!(
        channel.access_hash,
        Some(sim.input_channel("budi", "bali_market").access_hash)
    );
    assert!(i64::from(peek.expires) > sim.now().timestamp());
    sim.finish(test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_is_sent_and_read_back_from_history() {
    let (sim, test) = joined("budi", "bali_market").await;
    let client = &test.client;

    // grammers' helper maps updateMessageID + updateNewChannelMessage back to the message.
    let sent = send(
        client,
        sim.peer_ref("budi", "bali_market"),
        "Fresh mangoes today",
    )
    .await
    .unwrap();
    assert_eq!(sent.id(), 201, "after 200 messages of history");
    assert_eq!(sent.text(), "Fresh mangoes today");
    assert!(sent.outgoing());

    let entities = vec![tl::enums::MessageEntity::Bold(
        tl::types::MessageEntityBold {
            offset: 0,
            length: 4,
        },
    )];
    let updates = updates_of(
        client
            .invoke(&send_message(
                sim.tl_peer("budi", "bali_market"),
                "Bold offer",
                99,
                Some(entities.clone()),
            ))
            .await
            .unwrap(),
    );
    let [
        tl::enums::Update::MessageId(id),
        tl::enums::Update::NewChannelMessage(new),
    ] = updates.updates.as_slice()
    else {
        panic!(
            "updateMessageID + updateNewChannelMessage: {:?}",
            updates.updates
        );
    };
    assert_eq!((id.id, id.random_id), (202, 99));
    let tl::enums::Message::Message(message) = &new.message else {
        panic!("a message");
    };
    assert_eq!(message.entities.as_ref(), Some(&entities));
    assert_eq!(
        message.from_id,
        Some(tl::enums::Peer::User(tl::types::PeerUser {
            user_id: sim.user("budi").0
        }))
    );
    assert_eq!(updates.users.len(), 1);
    assert_eq!(
        only_channel(&updates.chats).id,
        sim.input_channel("budi", "bali_market").channel_id
    );

    let tl::enums::messages::Messages::ChannelMessages(history) = client
        .invoke(&tl::functions::messages::GetHistory {
            peer: sim.tl_peer("budi", "bali_market"),
            offset_id: 0,
            offset_date: 0,
            add_offset: 0,
            limit: 3,
            max_id: 0,
            min_id: 0,
            hash: 0,
        })
        .await
        .unwrap()
    else {
        panic!("channelMessages");
    };
    assert_eq!(history.count, 202);
    let ids: Vec<i32> = history.messages.iter().map(|m| m.id()).collect();
    assert_eq!(ids, [202, 201, 200]);
    let tl::enums::Message::Message(newest) = &history.messages[0] else {
        panic!("a message");
    };
    assert!(newest.out);
    assert_eq!(
        newest.entities.as_ref(),
        Some(&entities),
        "entities come back"
    );
    assert_eq!(history.users.len(), 2, "budi and the author of #200");
    assert!(history.users.iter().all(|user| matches!(
        user,
        tl::enums::User::User(user) if user.access_hash.is_some()
    )));

    // grammers' iterator pages through the same method.
    let mut messages = client
        .iter_messages(sim.peer_ref("budi", "bali_market"))
        .limit(150);
    let mut seen = Vec::new();
    while let Some(message) = messages.next().await.unwrap() {
        seen.push(message.id());
    }
    assert_eq!(seen.len(), 150);
    assert_eq!(seen[0], 202);
    assert!(seen.windows(2).all(|pair| pair[0] == pair[1] + 1));

    assert!(
        client
            .invoke(&tl::functions::channels::ReadHistory {
                channel: sim.tl_channel("budi", "bali_market"),
                max_id: 201,
            })
            .await
            .unwrap()
    );
    let tl::enums::messages::ChatFull::Full(full) = client
        .invoke(&tl::functions::channels::GetFullChannel {
            channel: sim.tl_channel("budi", "bali_market"),
        })
        .await
        .unwrap();
    let tl::enums::ChatFull::ChannelFull(channel_full) = &full.full_chat else {
        panic!("channelFull");
    };
    assert_eq!(
        (channel_full.read_inbox_max_id, channel_full.unread_count),
        (201, 1)
    );
    sim.finish(test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploaded_photos_and_documents_are_sent_with_captions() {
    let (sim, test) = joined("budi", "bali_market").await;
    let client = &test.client;
    let peer = sim.peer_ref("budi", "bali_market");

    // grammers' helpers: upload.saveFilePart + messages.sendMedia.
    let photo = upload(client, 700 * 1024, "mango.jpg").await;
    let sent = send(
        client,
        peer,
        InputMessage::new().text("Mango photo").photo(photo),
    )
    .await
    .unwrap();
    assert_eq!(sent.text(), "Mango photo");
    assert!(sent.photo().is_some());

    let document = upload(client, 3000, "price-list.pdf").await;
    let sent = send(
        client,
        peer,
        InputMessage::new().text("Prices").document(document),
    )
    .await
    .unwrap();
    assert!(matches!(
        sent.media(),
        Some(grammers_client::media::Media::Document(_))
    ));

    // upload.saveBigFilePart, then messages.sendMedia with inputFileBig.
    for part in 0..3 {
        assert!(
            client
                .invoke(&tl::functions::upload::SaveBigFilePart {
                    file_id: 555,
                    file_part: part,
                    file_total_parts: 3,
                    bytes: vec![1; 1024],
                })
                .await
                .unwrap()
        );
    }
    let big = tl::enums::InputMedia::UploadedDocument(tl::types::InputMediaUploadedDocument {
        nosound_video: false,
        force_file: true,
        spoiler: false,
        file: tl::enums::InputFile::Big(tl::types::InputFileBig {
            id: 555,
            parts: 3,
            name: "upload.bin".into(),
        }),
        thumb: None,
        mime_type: "application/zip".into(),
        attributes: vec![tl::enums::DocumentAttribute::Filename(
            tl::types::DocumentAttributeFilename {
                file_name: "catalogue.zip".into(),
            },
        )],
        stickers: None,
        video_cover: None,
        video_timestamp: None,
        ttl_seconds: None,
    });
    let updates = updates_of(
        client
            .invoke(&send_media(
                sim.tl_peer("budi", "bali_market"),
                big,
                "Catalogue",
                None,
            ))
            .await
            .unwrap(),
    );
    let Some(tl::enums::Update::NewChannelMessage(new)) = updates.updates.get(1) else {
        panic!("updateNewChannelMessage: {:?}", updates.updates);
    };
    let tl::enums::Message::Message(message) = &new.message else {
        panic!("a message");
    };
    let Some(tl::enums::MessageMedia::Document(media)) = &message.media else {
        panic!("a document: {:?}", message.media);
    };
    let Some(tl::enums::Document::Document(document)) = &media.document else {
        panic!("a document");
    };
    assert_eq!(
        (document.size, document.mime_type.as_str()),
        (3072, "application/zip")
    );

    let kinds: Vec<SentKind> = sim
        .world()
        .sent_by("budi")
        .into_iter()
        .map(|record| record.kind.clone())
        .collect();
    let media = |kind, name: &str, size| SentKind::Media {
        kind,
        file_name: name.to_owned(),
        size,
    };
    assert_eq!(
        kinds,
        [
            media(MediaKind::Photo, "mango.jpg", 700 * 1024),
            media(MediaKind::Document, "price-list.pdf", 3000),
            media(MediaKind::Document, "catalogue.zip", 3072),
        ]
    );
    let texts: Vec<String> = sim
        .world()
        .sent_by("budi")
        .iter()
        .map(|r| r.text.clone())
        .collect();
    assert_eq!(texts, ["Mango photo", "Prices", "Catalogue"]);

    let error = rpc_error(
        client
            .invoke(&send_media(
                sim.tl_peer("budi", "bali_market"),
                tl::enums::InputMedia::UploadedPhoto(tl::types::InputMediaUploadedPhoto {
                    spoiler: false,
                    live_photo: false,
                    file: tl::enums::InputFile::File(tl::types::InputFile {
                        id: 404,
                        parts: 2,
                        name: "missing.jpg".into(),
                        md5_checksum: String::new(),
                    }),
                    stickers: None,
                    ttl_seconds: None,
                    video: None,
                }),
                "",
                None,
            ))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (error.name.as_str(), error.value),
        ("FILE_PART_MISSING", Some(0))
    );
    sim.finish(test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_are_forwarded_or_copied() {
    let (sim, test) = joined("ayu", "bali_market").await;
    let client = &test.client;
    let news = sim.input_channel("ayu", "bali_news");

    // grammers' helper keeps the author.
    let forwarded = client
        .forward_messages(
            sim.peer_ref("ayu", "bali_market"),
            &[50],
            sim.peer_ref("ayu", "bali_news"),
        )
        .await
        .unwrap();
    let [Some(forwarded)] = forwarded.as_slice() else {
        panic!("one forwarded message: {forwarded:?}");
    };
    let Some(tl::enums::MessageFwdHeader::Header(header)) = forwarded.forward_header() else {
        panic!("a forward header");
    };
    assert_eq!(
        header.from_id,
        Some(tl::enums::Peer::Channel(tl::types::PeerChannel {
            channel_id: news.channel_id
        }))
    );
    assert_eq!(header.channel_post, Some(50));
    assert_eq!(forwarded.text(), "bali_news #50");

    let copied = updates_of(
        client
            .invoke(&forward(
                sim.tl_peer("ayu", "bali_news"),
                49,
                sim.tl_peer("ayu", "bali_market"),
                true,
            ))
            .await
            .unwrap(),
    );
    let Some(tl::enums::Update::NewChannelMessage(new)) = copied.updates.get(1) else {
        panic!("updateNewChannelMessage");
    };
    let tl::enums::Message::Message(message) = &new.message else {
        panic!("a message");
    };
    assert_eq!(message.fwd_from, None, "drop_author copies");
    assert_eq!(message.message, "bali_news #49");
    assert_eq!(copied.chats.len(), 2, "target and source channels");
    let sent = sim.world().sent_by("ayu").len();
    assert_eq!(sent, 2);
    sim.finish(test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stories_are_listed_and_read_and_messages_get_reactions() {
    let (sim, test) = serving("budi").await;
    let client = &test.client;

    let tl::enums::stories::PeerStories::Stories(stories) = client
        .invoke(&tl::functions::stories::GetPeerStories {
            peer: sim.tl_peer("budi", "bali_market"),
        })
        .await
        .unwrap();
    let tl::enums::PeerStories::Stories(peer_stories) = &stories.stories;
    let ids: Vec<i32> = peer_stories
        .stories
        .iter()
        .map(|story| match story {
            tl::enums::StoryItem::Item(item) => {
                assert!(item.expire_date > item.date);
                assert!(item.caption.as_deref().unwrap().contains("story"));
                item.id
            }
            other => panic!("a story item: {other:?}"),
        })
        .collect();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(
        only_channel(&stories.chats).id,
        sim.input_channel("budi", "bali_market").channel_id
    );

    let read = client
        .invoke(&tl::functions::stories::ReadStories {
            peer: sim.tl_peer("budi", "bali_market"),
            max_id: 2,
        })
        .await
        .unwrap();
    assert_eq!(read, [1, 2]);
    assert_eq!(sim.world().counters("budi").unwrap().stories_viewed, 2);

    let reacted = updates_of(
        client
            .invoke(&tl::functions::messages::SendReaction {
                big: false,
                add_to_recent: true,
                peer: sim.tl_peer("budi", "bali_market"),
                msg_id: 200,
                reaction: Some(vec![tl::enums::Reaction::Emoji(tl::types::ReactionEmoji {
                    emoticon: "👍".into(),
                })]),
            })
            .await
            .unwrap(),
    );
    assert!(matches!(
        reacted.updates.as_slice(),
        [tl::enums::Update::MessageReactions(update)] if update.msg_id == 200
    ));
    // grammers' helper over the same method.
    client
        .send_reactions(
            sim.peer_ref("budi", "bali_market"),
            199,
            InputReactions::emoticon("🔥"),
        )
        .await
        .unwrap();
    assert_eq!(sim.world().counters("budi").unwrap().reactions, 2);
    sim.finish(test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_out_unbinds_the_key() {
    let (sim, test) = serving("ayu").await;
    assert!(test.client.is_authorized().await.unwrap());
    test.client.sign_out().await.unwrap();
    assert!(!test.client.is_authorized().await.unwrap());
    let (code, name, _) = rpc_failure(self_id(&test.client).await);
    assert_eq!((code, name.as_str()), (401, "AUTH_KEY_UNREGISTERED"));
    sim.finish(test).await;
}
