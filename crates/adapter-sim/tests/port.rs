//! The port over the simulated world: every call through `TelegramAccount`,
//! errors arriving as the right `TgError` variants.

use chrono::{DateTime, TimeDelta, Utc};
use std::sync::Arc;
use std::time::Duration;
use tg_world::{
    AccountSpec, Budget, ChannelKind, GeneratorSpec, GroupMix, GroupSpec, Limits, PeerFloodPolicy,
    Profile, Right, Scenario, VanishKind, VanishSpec, World, default_epoch, generate,
};
use tgfleet_adapter_sim::{SharedWorld, SimConnector, share};
use tgfleet_domain::{AccountId, Clock, GroupHandle};
use tgfleet_telegram::{
    ChatKind, Connector, JoinTarget, MediaKind, MemberStatus, OutgoingMessage, PeerKind, PeerRef,
    Resolved, TelegramAccount, TextFormat, TgError, TimedConnector,
};

/// Wall time = the scenario epoch + tokio's (paused) elapsed time.
#[derive(Debug)]
struct TokioClock {
    start: DateTime<Utc>,
    origin: tokio::time::Instant,
}

impl TokioClock {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            start: default_epoch(),
            origin: tokio::time::Instant::now(),
        })
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        self.start + TimeDelta::from_std(self.origin.elapsed()).expect("a small duration")
    }
}

fn account_ref(label: &str) -> tgfleet_telegram::AccountRef {
    tgfleet_telegram::AccountRef {
        id: AccountId(1),
        label: label.to_owned(),
    }
}

fn scenario() -> Scenario {
    let mut scenario = Scenario::new(77);
    scenario.limits = Limits::unlimited();
    let mut deactivated = AccountSpec::new("gone", "+6281200000003");
    deactivated.deactivated = true;
    let mut revoked = AccountSpec::new("revoked", "+6281200000004");
    revoked.revoked = true;
    scenario.accounts = vec![
        AccountSpec::new("ayu", "+6281200000001"),
        AccountSpec::new("budi", "+6281200000002"),
        deactivated,
        revoked,
    ];
    let mut slow = GroupSpec::public("slow_market");
    slow.slow_mode_secs = 60;
    let mut channel = GroupSpec::public("news_channel");
    channel.kind = ChannelKind::Broadcast;
    channel.admins = vec!["budi".into()];
    let mut approval = GroupSpec::private("NeedsApproval");
    approval.approval_required = true;
    let mut no_text = GroupSpec::public("no_text_here");
    no_text.default_banned = vec![Right::SendPlain];
    let mut strict = GroupSpec::public("strict_admins");
    strict.ban_after_posts = Some(1);
    let mut vanishing = GroupSpec::public("vanishing_group");
    vanishing.vanish = Some(VanishSpec {
        at: default_epoch() + TimeDelta::hours(1),
        how: VanishKind::Deleted,
    });
    let mut expired = GroupSpec::private("OldInvite");
    expired.invite_expires_at = Some(default_epoch());
    let mut stories = GroupSpec::public("story_market");
    stories.stories = 2;
    scenario.groups = vec![
        GroupSpec::public("open_market"),
        slow,
        channel,
        approval,
        no_text,
        strict,
        vanishing,
        expired,
        stories,
        GroupSpec::private("PrivateInvite"),
    ];
    scenario
}

fn connector(world: &SharedWorld) -> SimConnector {
    SimConnector::new(Arc::clone(world), TokioClock::new())
}

async fn connect(connector: &SimConnector, label: &str) -> Box<dyn TelegramAccount> {
    connector
        .connect(&account_ref(label))
        .await
        .expect("connected")
}

async fn joined(account: &dyn TelegramAccount, username: &str) -> PeerRef {
    let handle = GroupHandle::parse(username).unwrap();
    let Resolved::Chat(chat) = account.resolve(&handle).await.unwrap() else {
        panic!("a public chat");
    };
    account
        .join(&JoinTarget::Public(chat.peer))
        .await
        .unwrap()
        .peer
}

fn text(body: &str) -> OutgoingMessage {
    OutgoingMessage::Text {
        text: body.to_owned(),
        format: TextFormat::Markdown,
        link_preview: true,
    }
}

#[tokio::test(start_paused = true)]
async fn whoami_resolve_join_send_and_read() {
    let world = share(World::new(&scenario()).unwrap());
    let connector = connector(&world);
    let ayu = connect(&connector, "ayu").await;
    let me = ayu.whoami().await.unwrap();
    assert_eq!(me.user_id, 7_000_000_001);
    assert_eq!(me.phone.as_deref(), Some("+6281200000001"));

    let peer = joined(ayu.as_ref(), "@open_market").await;
    assert_eq!(peer.kind, PeerKind::Channel);
    let sent = ayu
        .send(&peer, &text("**Promo** https://t.me/shop"), 101)
        .await
        .unwrap();
    assert_eq!(sent.message_id, 51);
    assert_eq!(sent.date, default_epoch());

    let photo = OutgoingMessage::Media {
        kind: MediaKind::Photo,
        file_name: "promo.jpg".into(),
        bytes: Arc::new(vec![0; 2048]),
        caption: "caption".into(),
        format: TextFormat::Plain,
    };
    tokio::time::advance(Duration::from_secs(5)).await;
    let media = ayu.send(&peer, &photo, 102).await.unwrap();
    assert_eq!(media.message_id, 52);
    assert_eq!(media.date, default_epoch() + TimeDelta::seconds(5));

    let recent = ayu.recent_messages(&peer, 3).await.unwrap();
    assert_eq!(
        recent.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![52, 51, 50]
    );
    assert!(recent[0].outgoing && !recent[2].outgoing);
    ayu.mark_read(&peer, 52).await.unwrap();
    ayu.react(&peer, 50, "👍").await.unwrap();

    let inspect = world.lock().unwrap();
    let sent = inspect.sent_by("ayu");
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].text, "**Promo** https://t.me/shop");
    assert!(matches!(
        &sent[1].kind,
        tg_world::SentKind::Media { size: 2048, .. }
    ));
    assert_eq!(inspect.counters("ayu").unwrap().reads, 1);
}

#[tokio::test(start_paused = true)]
async fn invites_preview_join_and_request() {
    let world = share(World::new(&scenario()).unwrap());
    let ayu = connect(&connector(&world), "ayu").await;

    let private = GroupHandle::parse("https://t.me/+PrivateInvite").unwrap();
    let Resolved::Invite(preview) = ayu.resolve(&private).await.unwrap() else {
        panic!("a preview for a non-member");
    };
    assert!(!preview.request_needed && !preview.broadcast);
    let chat = ayu
        .join(&JoinTarget::Invite("PrivateInvite".into()))
        .await
        .unwrap();
    assert_eq!(chat.kind, ChatKind::Supergroup);
    assert!(
        matches!(ayu.resolve(&private).await.unwrap(), Resolved::Chat(c) if c.peer == chat.peer)
    );
    assert_eq!(
        ayu.join(&JoinTarget::Invite("PrivateInvite".into())).await,
        Err(TgError::from_rpc(400, "USER_ALREADY_PARTICIPANT", None))
    );

    let approval = GroupHandle::parse("t.me/joinchat/NeedsApproval").unwrap();
    assert!(
        matches!(ayu.resolve(&approval).await.unwrap(), Resolved::Invite(p) if p.request_needed)
    );
    assert_eq!(
        ayu.join(&JoinTarget::Invite("NeedsApproval".into())).await,
        Err(TgError::from_rpc(400, "INVITE_REQUEST_SENT", None))
    );
    assert_eq!(
        ayu.join(&JoinTarget::Invite("OldInvite".into())).await,
        Err(TgError::from_rpc(400, "INVITE_HASH_EXPIRED", None))
    );
    assert_eq!(
        ayu.resolve(&GroupHandle::parse("+NoSuchInvite").unwrap())
            .await,
        Err(TgError::from_rpc(400, "INVITE_HASH_INVALID", None))
    );
}

#[tokio::test(start_paused = true)]
async fn rights_combine_participant_and_full_channel() {
    let world = share(World::new(&scenario()).unwrap());
    let connector = connector(&world);
    let ayu = connect(&connector, "ayu").await;

    let handle = GroupHandle::parse("slow_market").unwrap();
    let Resolved::Chat(slow) = ayu.resolve(&handle).await.unwrap() else {
        panic!()
    };
    let before = ayu.rights(&slow.peer).await.unwrap();
    assert_eq!(before.status, MemberStatus::Left);
    assert_eq!(before.slow_mode_secs, Some(60));

    ayu.join(&JoinTarget::Public(slow.peer)).await.unwrap();
    ayu.send(&slow.peer, &text("hi"), 103).await.unwrap();
    tokio::time::advance(Duration::from_secs(10)).await;
    let member = ayu.rights(&slow.peer).await.unwrap();
    assert_eq!(member.status, MemberStatus::Member);
    assert_eq!(
        member.slow_mode_next_send_at,
        Some(default_epoch() + TimeDelta::seconds(60))
    );
    assert_eq!(
        ayu.send(&slow.peer, &text("again"), 104).await,
        Err(TgError::from_rpc(420, "SLOWMODE_WAIT", Some(50)))
    );

    let no_text = joined(ayu.as_ref(), "no_text_here").await;
    let restricted = ayu.rights(&no_text).await.unwrap();
    let defaults = restricted.default_banned;
    assert!(defaults.send_plain && !defaults.send_messages && !defaults.send_media);
    assert_eq!(
        ayu.send(&no_text, &text("x"), 105).await,
        Err(TgError::from_rpc(403, "CHAT_SEND_PLAIN_FORBIDDEN", None))
    );

    let channel = joined(ayu.as_ref(), "news_channel").await;
    assert_eq!(
        ayu.rights(&channel).await.unwrap().kind,
        ChatKind::Broadcast
    );
    assert_eq!(
        ayu.send(&channel, &text("x"), 106).await,
        Err(TgError::from_rpc(403, "CHAT_WRITE_FORBIDDEN", None))
    );
    let budi = connect(&connector, "budi").await;
    let budi_channel = joined(budi.as_ref(), "news_channel").await;
    assert_eq!(
        budi.rights(&budi_channel).await.unwrap().status,
        MemberStatus::Admin
    );

    let strict = joined(ayu.as_ref(), "strict_admins").await;
    ayu.send(&strict, &text("ad"), 107).await.unwrap();
    let banned = ayu.rights(&strict).await.unwrap();
    assert_eq!(banned.status, MemberStatus::Banned);
    assert!(banned.my_banned.unwrap().view_messages);
    assert_eq!(
        ayu.send(&strict, &text("ad"), 108).await,
        Err(TgError::from_rpc(400, "USER_BANNED_IN_CHANNEL", None))
    );
}

#[tokio::test(start_paused = true)]
async fn errors_arrive_as_the_right_variants() {
    let world = share(World::new(&scenario()).unwrap());
    let connector = connector(&world);
    let ayu = connect(&connector, "ayu").await;

    assert_eq!(
        connector.connect(&account_ref("gone")).await.err(),
        Some(TgError::from_rpc(401, "USER_DEACTIVATED_BAN", None))
    );
    assert_eq!(
        connector.connect(&account_ref("revoked")).await.err(),
        Some(TgError::from_rpc(401, "AUTH_KEY_UNREGISTERED", None))
    );
    assert_eq!(
        connector.connect(&account_ref("nobody")).await.err(),
        Some(TgError::from_rpc(401, "AUTH_KEY_UNREGISTERED", None))
    );
    assert_eq!(
        ayu.resolve(&GroupHandle::parse("missing_group").unwrap())
            .await,
        Err(TgError::from_rpc(400, "USERNAME_NOT_OCCUPIED", None))
    );

    let vanishing = joined(ayu.as_ref(), "vanishing_group").await;
    tokio::time::advance(Duration::from_secs(3600)).await;
    assert_eq!(
        ayu.send(&vanishing, &text("x"), 109).await,
        Err(TgError::from_rpc(400, "CHANNEL_PRIVATE", None))
    );
    assert_eq!(
        ayu.rights(&vanishing).await,
        Err(TgError::from_rpc(400, "CHANNEL_PRIVATE", None))
    );

    let open = joined(ayu.as_ref(), "open_market").await;
    let forged = PeerRef {
        access_hash: open.access_hash ^ 1,
        ..open
    };
    assert_eq!(
        ayu.send(&forged, &text("x"), 110).await,
        Err(TgError::from_rpc(400, "CHANNEL_INVALID", None))
    );
    let basic = PeerRef {
        kind: PeerKind::Chat,
        ..open
    };
    assert_eq!(
        ayu.leave(&basic).await,
        Err(TgError::from_rpc(400, "PEER_ID_INVALID", None))
    );

    {
        let mut inspect = world.lock().unwrap();
        let user = inspect.user_id("ayu").unwrap();
        let now = inspect.epoch() + TimeDelta::hours(2);
        inspect.deactivate_account(user, now);
    }
    tokio::time::advance(Duration::from_secs(3600)).await;
    let error = ayu.whoami().await.unwrap_err();
    assert_eq!(error, TgError::from_rpc(401, "USER_DEACTIVATED_BAN", None));
    assert!(error.is_account_fatal());

    ayu.close().await;
    assert!(ayu.whoami().await.is_err_and(|error| error.is_transient()));
}

#[tokio::test(start_paused = true)]
async fn flood_wait_peer_flood_and_the_membership_cap() {
    let mut scenario = Scenario::new(5);
    scenario.accounts = vec![AccountSpec::new("ayu", "+6281200000001")];
    scenario.groups = (1..=12)
        .map(|i| GroupSpec::public(format!("group_{i:05}")))
        .collect();
    scenario.limits = Limits {
        join: Budget::new(10, 3600),
        peer_flood: PeerFloodPolicy {
            max_sends: 3,
            window_secs: 600,
            block_secs: 3600,
        },
        channels_max: 11,
        ..Limits::unlimited()
    };
    let world = share(World::new(&scenario).unwrap());
    let ayu = connect(&connector(&world), "ayu").await;
    let mut peers = Vec::new();
    for i in 1..=10 {
        peers.push(joined(ayu.as_ref(), &format!("group_{i:05}")).await);
    }
    let Resolved::Chat(eleventh) = ayu
        .resolve(&GroupHandle::parse("group_00011").unwrap())
        .await
        .unwrap()
    else {
        panic!()
    };
    let flood = ayu
        .join(&JoinTarget::Public(eleventh.peer))
        .await
        .unwrap_err();
    assert_eq!(flood, TgError::flood_wait(360));
    tokio::time::advance(flood.wait().unwrap()).await;
    ayu.join(&JoinTarget::Public(eleventh.peer)).await.unwrap();
    tokio::time::advance(Duration::from_secs(3600)).await;
    let Resolved::Chat(twelfth) = ayu
        .resolve(&GroupHandle::parse("group_00012").unwrap())
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        ayu.join(&JoinTarget::Public(twelfth.peer)).await,
        Err(TgError::from_rpc(400, "CHANNELS_TOO_MUCH", None))
    );

    for (random_id, peer) in (200..).zip(&peers[..3]) {
        ayu.send(peer, &text("ad"), random_id).await.unwrap();
    }
    assert_eq!(
        ayu.send(&peers[3], &text("ad"), 111).await,
        Err(TgError::from_rpc(400, "PEER_FLOOD", None))
    );
}

#[tokio::test(start_paused = true)]
async fn stories_forwards_and_leaving() {
    let world = share(World::new(&scenario()).unwrap());
    let ayu = connect(&connector(&world), "ayu").await;
    let stories = joined(ayu.as_ref(), "story_market").await;
    assert_eq!(ayu.active_stories(&stories).await.unwrap(), vec![1, 2]);
    ayu.view_stories(&stories, 2).await.unwrap();
    assert_eq!(
        world
            .lock()
            .unwrap()
            .counters("ayu")
            .unwrap()
            .stories_viewed,
        2
    );

    let Resolved::Chat(source) = ayu
        .resolve(&GroupHandle::parse("news_channel").unwrap())
        .await
        .unwrap()
    else {
        panic!()
    };
    let forward = |drop_author| OutgoingMessage::Forward {
        from: source.peer,
        message_id: 10,
        drop_author,
    };
    ayu.send(&stories, &forward(false), 112).await.unwrap();
    ayu.send(&stories, &forward(true), 113).await.unwrap();
    {
        let inspect = world.lock().unwrap();
        let sent = inspect.sent_by("ayu");
        assert!(matches!(
            sent[0].kind,
            tg_world::SentKind::Forward {
                from_message_id: 10,
                ..
            }
        ));
        assert_eq!(sent[1].kind, tg_world::SentKind::Text);
    }

    ayu.leave(&stories).await.unwrap();
    assert_eq!(
        ayu.rights(&stories).await.unwrap().status,
        MemberStatus::Left
    );
    assert_eq!(
        ayu.leave(&stories).await,
        Err(TgError::from_rpc(400, "USER_NOT_PARTICIPANT", None))
    );
}

#[tokio::test(start_paused = true)]
async fn many_accounts_work_concurrently_through_timed_connections() {
    let mut spec = GeneratorSpec::new(8, 20, GroupMix::typical(150));
    spec.limits = Limits::unlimited();
    let generated = generate(&spec).unwrap();
    let world = share(World::new(&generated.scenario).unwrap());
    let connector = Arc::new(TimedConnector::new(
        connector(&world).with_latency(Duration::from_millis(40)),
        Duration::from_secs(30),
    ));
    let handles: Vec<GroupHandle> = generated
        .handles
        .iter()
        .map(|h| {
            GroupHandle::parse(&h.line).expect("generated handles parse as an operator's would")
        })
        .collect();
    let handles = Arc::new(handles);

    let mut tasks = Vec::new();
    for i in 1..=20 {
        let connector = Arc::clone(&connector);
        let handles = Arc::clone(&handles);
        tasks.push(tokio::spawn(async move {
            let account = connector
                .connect(&account_ref(&format!("acc{i:04}")))
                .await
                .unwrap();
            let mut outcomes = Vec::new();
            for handle in handles.iter().skip(i).step_by(20).take(7) {
                let outcome = match account.resolve(handle).await {
                    Ok(Resolved::Chat(chat)) => account
                        .join(&JoinTarget::Public(chat.peer))
                        .await
                        .map(|_| "joined".to_owned()),
                    Ok(Resolved::Invite(_)) => account
                        .join(&JoinTarget::for_handle(handle, None).unwrap())
                        .await
                        .map(|_| "joined".to_owned()),
                    Err(error) => Err(error),
                };
                outcomes.push(outcome.unwrap_or_else(|e| e.outcome().to_owned()));
            }
            account.close().await;
            outcomes
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    assert_eq!(all.len(), 140);
    assert!(all.iter().any(|o| o == "joined"));
    assert!(all.iter().any(|o| o == "inaccessible"));
    let joins: u32 = (1..=20)
        .map(|i| {
            world
                .lock()
                .unwrap()
                .counters(&format!("acc{i:04}"))
                .unwrap()
                .joins
        })
        .sum();
    assert_eq!(
        joins as usize,
        all.iter().filter(|o| *o == "joined").count()
    );
    let profiles: std::collections::HashSet<Profile> =
        generated.handles.iter().map(|h| h.profile).collect();
    assert!(profiles.contains(&Profile::Approval));
}
