//! Every error the port maps, produced by the world's rules (never injected) and seen by the
//! real grammers client with Telegram's name and value.

use chrono::TimeDelta;
use grammers_client::message::InputMessage;
use grammers_tl_types as tl;
use tg_world::{Budget, World, names};

use crate::support::*;

fn resolve(username: &str) -> tl::functions::contacts::ResolveUsername {
    tl::functions::contacts::ResolveUsername {
        username: username.into(),
        referer: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_wait_carries_the_worlds_seconds() {
    let mut scenario = small_scenario();
    scenario.limits.resolve = Budget::new(2, 3600);
    let sim = WorldSim::start(scenario.clone()).await;
    let test = sim.client("ayu");

    // The same calls on a twin world give the wait the world computes.
    let mut twin = World::new(&scenario).unwrap();
    let ayu = twin.user_id("ayu").unwrap();
    let now = sim.now();
    for _ in 0..2 {
        twin.contacts_resolve_username(now, ayu, "bali_market")
            .unwrap();
        test.client.invoke(&resolve("bali_market")).await.unwrap();
    }
    let twin_error = twin
        .contacts_resolve_username(now, ayu, "bali_market")
        .unwrap_err();
    let failure = rpc_failure(test.client.invoke(&resolve("bali_market")).await);
    assert_eq!(failure.0, 420);
    assert_eq!(failure.1, "FLOOD_WAIT");
    assert!(failure.2.is_some_and(|secs| secs > 0), "{failure:?}");
    assert_eq!(failure, expected(twin_error));
    assert_eq!(
        sim.world()
            .counters("ayu")
            .unwrap()
            .errors_named(names::FLOOD_WAIT),
        1
    );
    sim.finish(test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_mode_counts_down_with_the_worlds_clock() {
    let (sim, test) = joined("budi", "ubud_quiet").await;
    let client = &test.client;
    let photo = upload(client, 2048, "quiet.jpg").await;
    let peer = sim.peer_ref("budi", "ubud_quiet");
    send(
        client,
        peer,
        InputMessage::new().text("").photo(photo.clone()),
    )
    .await
    .unwrap();

    sim.clock.advance(TimeDelta::seconds(15));
    let failure = rpc_failure(
        send(
            client,
            peer,
            InputMessage::new().text("").photo(photo.clone()),
        )
        .await,
    );
    assert_eq!(failure, (420, "SLOWMODE_WAIT".to_owned(), Some(45)));

    let tl::enums::messages::ChatFull::Full(full) = client
        .invoke(&tl::functions::channels::GetFullChannel {
            channel: sim.tl_channel("budi", "ubud_quiet"),
        })
        .await
        .unwrap();
    let tl::enums::ChatFull::ChannelFull(channel_full) = &full.full_chat else {
        panic!("channelFull");
    };
    assert_eq!(channel_full.slowmode_seconds, Some(60));
    assert_eq!(
        channel_full.slowmode_next_send_date.map(i64::from),
        Some((sim.now() + TimeDelta::seconds(45)).timestamp())
    );
    let channel = only_channel(&full.chats);
    assert!(channel.slowmode_enabled && channel.join_to_send);
    let Some(tl::enums::ChatBannedRights::Rights(defaults)) = &channel.default_banned_rights else {
        panic!("default rights");
    };
    assert!(defaults.send_plain && defaults.embed_links && !defaults.send_media);

    sim.clock.advance(TimeDelta::seconds(45));
    send(client, peer, InputMessage::new().text("").photo(photo))
        .await
        .unwrap();
    sim.finish(test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_forbidden_for_broadcasts_and_links_in_captions_allowed() {
    let (sim, test) = joined("budi", "bali_news").await;
    let client = &test.client;
    let failure = rpc_failure(send(client, sim.peer_ref("budi", "bali_news"), "hello").await);
    assert_eq!(failure, (403, "CHAT_WRITE_FORBIDDEN".to_owned(), None));

    // ubud_quiet bans embedding links (and plain text): a caption has no preview, so
    // a link in it goes (tg-world's rules test the refused preview of a text).
    sim.join(&test, "budi", "ubud_quiet").await;
    let photo = upload(client, 1024, "a.jpg").await;
    let link = vec![tl::enums::MessageEntity::TextUrl(
        tl::types::MessageEntityTextUrl {
            offset: 0,
            length: 5,
            url: "https://example.com".into(),
        },
    )];
    send(
        client,
        sim.peer_ref("budi", "ubud_quiet"),
        InputMessage::new()
            .text("offer")
            .fmt_entities(link)
            .photo(photo),
    )
    .await
    .unwrap();
    sim.finish(test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restricted_and_kicked_accounts() {
    let sim = WorldSim::start(small_scenario()).await;
    let budi = sim.client("budi");
    let failure = rpc_failure(send(&budi.client, sim.peer_ref("budi", "sanur_people"), "hi").await);
    assert_eq!(failure, (400, "USER_BANNED_IN_CHANNEL".to_owned(), None));
    let tl::enums::channels::ChannelParticipant::Participant(restricted) = budi
        .client
        .invoke(&tl::functions::channels::GetParticipant {
            channel: sim.tl_channel("budi", "sanur_people"),
            participant: tl::enums::InputPeer::PeerSelf,
        })
        .await
        .unwrap();
    let tl::enums::ChannelParticipant::Banned(banned) = &restricted.participant else {
        panic!("restricted: {:?}", restricted.participant);
    };
    assert!(!banned.left);
    let channel = only_channel(&restricted.chats);
    assert!(matches!(
        &channel.banned_rights,
        Some(tl::enums::ChatBannedRights::Rights(rights)) if rights.send_messages
    ));

    // ayu was kicked from sanur_people: channelForbidden, CHANNEL_PRIVATE.
    let ayu = sim.client("ayu");
    let tl::enums::contacts::ResolvedPeer::Peer(resolved) =
        ayu.client.invoke(&resolve("sanur_people")).await.unwrap();
    assert!(matches!(
        resolved.chats.as_slice(),
        [tl::enums::Chat::ChannelForbidden(forbidden)] if forbidden.megagroup
    ));
    let failure = rpc_failure(
        ayu.client
            .invoke(&tl::functions::channels::GetFullChannel {
                channel: sim.tl_channel("ayu", "sanur_people"),
            })
            .await,
    );
    assert_eq!(failure, (400, "CHANNEL_PRIVATE".to_owned(), None));
    let failure = rpc_failure(
        ayu.client
            .join_chat(sim.peer_ref("ayu", "sanur_people"))
            .await,
    );
    assert_eq!(failure, (400, "CHANNEL_PRIVATE".to_owned(), None));
    let tl::enums::channels::ChannelParticipant::Participant(kicked) = ayu
        .client
        .invoke(&tl::functions::channels::GetParticipant {
            channel: sim.tl_channel("ayu", "sanur_people"),
            participant: tl::enums::InputPeer::PeerSelf,
        })
        .await
        .unwrap();
    assert!(matches!(
        kicked.participant,
        tl::enums::ChannelParticipant::Banned(ref banned) if banned.left
    ));
    assert!(matches!(
        kicked.chats.as_slice(),
        [tl::enums::Chat::ChannelForbidden(_)]
    ));

    // A stranger of a public group is not a participant.
    let failure = rpc_failure(
        budi.client
            .invoke(&tl::functions::channels::GetParticipant {
                channel: sim.tl_channel("budi", "bali_market"),
                participant: tl::enums::InputPeer::PeerSelf,
            })
            .await,
    );
    assert_eq!(failure, (400, "USER_NOT_PARTICIPANT".to_owned(), None));
    budi.quit().await;
    ayu.quit().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usernames_and_invites_that_lead_nowhere() {
    let (sim, test) = serving("ayu").await;
    let client = &test.client;
    let failure = rpc_failure(client.invoke(&resolve("nobody_here")).await);
    assert_eq!(failure, (400, "USERNAME_NOT_OCCUPIED".to_owned(), None));
    assert!(
        client
            .resolve_username("nobody_here")
            .await
            .unwrap()
            .is_none()
    );

    let failure = rpc_failure(
        client
            .invoke(&tl::functions::messages::CheckChatInvite {
                hash: "Old0expiredHash".into(),
            })
            .await,
    );
    assert_eq!(failure, (400, "INVITE_HASH_EXPIRED".to_owned(), None));

    let failure = rpc_failure(
        client
            .invoke(&tl::functions::messages::ImportChatInvite {
                hash: "Rq9-approvalHash".into(),
            })
            .await,
    );
    assert_eq!(failure, (400, "INVITE_REQUEST_SENT".to_owned(), None));
    assert_eq!(
        sim.world().counters("ayu").unwrap().join_requests,
        1,
        "the world recorded the request"
    );

    // lovina_chat became private at noon: its username is gone for strangers.
    client.invoke(&resolve("lovina_chat")).await.unwrap();
    sim.clock.advance(TimeDelta::hours(13));
    let failure = rpc_failure(client.invoke(&resolve("lovina_chat")).await);
    assert_eq!(failure, (400, "USERNAME_NOT_OCCUPIED".to_owned(), None));
    sim.finish(test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_channels_and_peer_flood() {
    let mut scenario = small_scenario();
    scenario.limits.channels_max = 2;
    scenario.limits.peer_flood.max_sends = 2;
    let sim = WorldSim::start(scenario).await;
    let test = sim.client("ayu");
    let client = &test.client;
    // ayu administers bali_news: one more membership reaches the cap.
    sim.join(&test, "ayu", "bali_market").await;
    let failure = rpc_failure(client.join_chat(sim.peer_ref("ayu", "seminyak_talk")).await);
    assert_eq!(failure, (400, "CHANNELS_TOO_MUCH".to_owned(), None));

    let peer = sim.peer_ref("ayu", "bali_market");
    send(client, peer, "one").await.unwrap();
    send(client, peer, "two").await.unwrap();
    let failure = rpc_failure(send(client, peer, "three").await);
    assert_eq!(failure, (400, "PEER_FLOOD".to_owned(), None));
    assert!(sim.world().spam_limited_until("ayu", sim.now()).is_some());
    sim.finish(test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_signed_out_and_deactivated_accounts() {
    let mut scenario = small_scenario();
    scenario.accounts[0].deactivated_at = Some(scenario.epoch + TimeDelta::hours(1));
    let sim = WorldSim::start(scenario).await;

    for label in ["citra", "dewi"] {
        let test = sim.client(label);
        let failure = rpc_failure(test.client.get_me().await);
        assert_eq!(
            failure,
            (401, "AUTH_KEY_UNREGISTERED".to_owned(), None),
            "{label}"
        );
        assert!(!test.client.is_authorized().await.unwrap());
        test.quit().await;
    }

    let test = sim.client("ayu");
    assert_eq!(self_id(&test.client).await.unwrap(), sim.user("ayu").0);
    sim.clock.advance(TimeDelta::hours(2));
    let failure = rpc_failure(test.client.get_me().await);
    assert_eq!(failure, (401, "USER_DEACTIVATED_BAN".to_owned(), None));
    let failure = rpc_failure(
        send(
            &test.client,
            sim.peer_ref("ayu", "bali_news"),
            "still here?",
        )
        .await,
    );
    assert_eq!(failure.1, "USER_DEACTIVATED_BAN");
    sim.finish(test).await;
}
