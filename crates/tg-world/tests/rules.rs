//! One test per rule the world models.

mod common;

use common::{Fixture, at, err_name, open_groups};
use tg_world::{
    Budget, ChannelKind, ChatInvite, GroupSpec, Limits, MethodClass, Participant, PeerFloodPolicy,
    Right, Standing, TextBody, VanishKind, VanishSpec, names,
};

fn limits_with_join(calls: u32, per_secs: u32) -> Limits {
    Limits {
        join: Budget::new(calls, per_secs),
        ..Limits::unlimited()
    }
}

#[test]
fn joins_over_budget_answer_flood_wait_that_grows() {
    let mut f = Fixture::new(2, open_groups(10), limits_with_join(3, 3600));
    for i in 1..=3 {
        f.join(at(0), "acc1", &format!("group_{i:05}")).unwrap();
    }
    let first = f.join(at(0), "acc1", "group_00004").unwrap_err();
    assert_eq!((first.code, first.name.as_str()), (420, names::FLOOD_WAIT));
    assert_eq!(first.value, Some(1200), "one token refills in 3600/3 s");
    assert_eq!(first.message(), "FLOOD_WAIT_1200");

    let during = f.join(at(200), "acc1", "group_00004").unwrap_err();
    assert_eq!(during.value, Some(1000), "the remaining wait");
    assert!(
        f.resolve(at(200), "acc1", "group_00004").is_ok(),
        "other budgets are separate"
    );
    assert!(
        f.join(at(200), "acc2", "group_00004").is_ok(),
        "other accounts are separate"
    );

    f.join(at(1200), "acc1", "group_00004").unwrap();
    let second = f.join(at(1200), "acc1", "group_00005").unwrap_err();
    assert_eq!(second.value, Some(2400));
    f.join(at(3600), "acc1", "group_00005").unwrap();
    f.join(at(3600), "acc1", "group_00006").unwrap();
    let third = f.join(at(3600), "acc1", "group_00007").unwrap_err();
    assert_eq!(
        third.value,
        Some(4800),
        "tokens refilled during the wait, the escalation did not reset"
    );

    let counters = f.world.counters("acc1").unwrap();
    assert_eq!(counters.flood_waits_of(MethodClass::Join), 4);
    assert_eq!(counters.joins, 6);
    assert_eq!(counters.errors_named(names::FLOOD_WAIT), 4);
}

#[test]
fn slow_mode_answers_the_remaining_seconds() {
    let mut group = GroupSpec::public("slow_group");
    group.slow_mode_secs = 60;
    group.admins = vec!["acc2".into()];
    let mut f = Fixture::new(2, vec![group], Limits::unlimited());
    f.join(at(0), "acc1", "slow_group").unwrap();
    f.send(at(100), "acc1", "slow_group", "hello").unwrap();
    let wait = f.send(at(110), "acc1", "slow_group", "again").unwrap_err();
    assert_eq!(
        (wait.code, wait.message().as_str()),
        (420, "SLOWMODE_WAIT_50")
    );

    let full = f.full(at(110), "acc1", "slow_group").unwrap();
    assert_eq!(full.slowmode_seconds, Some(60));
    assert_eq!(full.slowmode_next_send_date, Some(at(160)));
    assert!(full.channel.slowmode_enabled);

    f.send(at(160), "acc1", "slow_group", "later").unwrap();
    f.send(at(161), "acc2", "slow_group", "admin 1").unwrap();
    f.send(
        at(162),
        "acc2",
        "slow_group",
        "admin 2 (admins skip slow mode)",
    )
    .unwrap();
}

#[test]
fn the_500th_membership_is_the_last() {
    let mut f = Fixture::new(1, open_groups(501), Limits::unlimited());
    assert_eq!(f.world.limits().channels_max, 500);
    for i in 1..=500 {
        f.join(at(i), "acc1", &format!("group_{i:05}")).unwrap();
    }
    let full = f.join(at(600), "acc1", "group_00501").unwrap_err();
    assert_eq!(full.name, names::CHANNELS_TOO_MUCH);

    let user = f.user("acc1");
    let peer = f.peer("acc1", "group_00001");
    f.world.channels_leave_channel(at(601), user, peer).unwrap();
    f.join(at(602), "acc1", "group_00501").unwrap();
}

#[test]
fn too_many_joins_in_a_day_answer_channels_too_much_below_the_cap() {
    let limits = Limits {
        channels_per_day: 3,
        ..Limits::unlimited()
    };
    let mut f = Fixture::new(1, open_groups(5), limits);
    for i in 1..=3 {
        f.join(at(i), "acc1", &format!("group_{i:05}")).unwrap();
    }
    let held = f.join(at(10), "acc1", "group_00004").unwrap_err();
    assert_eq!(held.name, names::CHANNELS_TOO_MUCH);
    // A day after the first join, the hold is over: three memberships, far below 500.
    f.join(at(86_402), "acc1", "group_00004").unwrap();
}

#[test]
fn admins_ban_after_the_nth_ad_post() {
    let mut group = GroupSpec::public("strict_admins");
    group.ban_after_posts = Some(2);
    let mut f = Fixture::new(1, vec![group], Limits::unlimited());
    f.join(at(0), "acc1", "strict_admins").unwrap();
    f.send(at(10), "acc1", "strict_admins", "ad 1").unwrap();
    assert_eq!(
        f.world
            .standing("acc1", channel(&f, "strict_admins"), at(10)),
        Standing::Member
    );
    f.send(at(20), "acc1", "strict_admins", "ad 2").unwrap();
    assert_eq!(
        f.world
            .standing("acc1", channel(&f, "strict_admins"), at(20)),
        Standing::Banned
    );

    assert_eq!(
        err_name(f.send(at(30), "acc1", "strict_admins", "ad 3")),
        names::USER_BANNED_IN_CHANNEL
    );
    let participant = f.participant(at(30), "acc1", "strict_admins").unwrap();
    assert!(matches!(
        participant.participant,
        Participant::Banned { left: true, rights, .. } if rights.view_messages
    ));
    assert!(participant.channel.forbidden);
    assert_eq!(
        err_name(f.full(at(30), "acc1", "strict_admins")),
        names::CHANNEL_PRIVATE
    );
    assert_eq!(
        err_name(f.join(at(40), "acc1", "strict_admins")),
        names::CHANNEL_PRIVATE
    );
    assert_eq!(
        f.world.bans("acc1", at(40)),
        vec![channel(&f, "strict_admins")]
    );
    assert_eq!(f.world.counters("acc1").unwrap().ad_bans, 1);
    assert_eq!(f.world.sent_by("acc1").len(), 2);
}

#[test]
fn a_ban_can_come_some_time_after_the_post() {
    let mut group = GroupSpec::public("slow_admins");
    group.ban_after_posts = Some(1);
    group.ban_delay_secs = 600;
    let mut f = Fixture::new(1, vec![group], Limits::unlimited());
    f.join(at(0), "acc1", "slow_admins").unwrap();
    f.send(at(10), "acc1", "slow_admins", "ad").unwrap();
    f.send(at(300), "acc1", "slow_admins", "still here")
        .unwrap();
    assert_eq!(
        err_name(f.send(at(610), "acc1", "slow_admins", "gone")),
        names::USER_BANNED_IN_CHANNEL
    );
}

#[test]
fn ban_probability_is_a_per_account_roll() {
    let mut f = Fixture::new(8, probability_groups(), Limits::unlimited());
    f.join(at(0), "acc1", "always_bans").unwrap();
    f.send(at(1), "acc1", "always_bans", "ad").unwrap();
    assert_eq!(
        err_name(f.send(at(2), "acc1", "always_bans", "ad")),
        names::USER_BANNED_IN_CHANNEL
    );

    f.join(at(0), "acc1", "never_bans").unwrap();
    for i in 0..50 {
        f.send(at(10 + i), "acc1", "never_bans", "ad").unwrap();
    }

    let posts_until_ban = |f: &mut Fixture, label: &str| {
        f.join(at(0), label, "coin_bans").unwrap();
        (1..=64)
            .find(|i| f.send(at(100 + i), label, "coin_bans", "ad").is_err())
            .map(|i| i - 1)
    };
    let observed: Vec<_> = (1..=8)
        .map(|i| posts_until_ban(&mut f, &format!("acc{i}")))
        .collect();
    assert!(
        observed.iter().all(Option::is_some),
        "p = 0.5 bans within 64 posts: {observed:?}"
    );
    let distinct: std::collections::HashSet<_> = observed.iter().collect();
    assert!(
        distinct.len() > 1,
        "accounts roll independently: {observed:?}"
    );

    let mut again = Fixture::new(8, probability_groups(), Limits::unlimited());
    let replay: Vec<_> = (1..=8)
        .rev()
        .map(|i| posts_until_ban(&mut again, &format!("acc{i}")))
        .collect();
    let mut reversed = observed.clone();
    reversed.reverse();
    assert_eq!(
        reversed, replay,
        "the same seed gives the same rolls, in any order of accounts"
    );
}

fn probability_groups() -> Vec<GroupSpec> {
    let mut always = GroupSpec::public("always_bans");
    always.ban_probability = Some(1.0);
    let mut never = GroupSpec::public("never_bans");
    never.ban_probability = Some(0.0);
    let mut coin = GroupSpec::public("coin_bans");
    coin.ban_probability = Some(0.5);
    vec![always, never, coin]
}

#[test]
fn an_anti_spam_bot_bans_members_after_a_delay() {
    let mut group = GroupSpec::public("bot_guarded");
    group.kick_after_join_secs = Some(3600);
    let mut f = Fixture::new(1, vec![group], Limits::unlimited());
    f.join(at(0), "acc1", "bot_guarded").unwrap();
    let before = f.participant(at(3599), "acc1", "bot_guarded").unwrap();
    assert!(matches!(before.participant, Participant::Member { .. }));
    let after = f.participant(at(3600), "acc1", "bot_guarded").unwrap();
    assert!(matches!(
        after.participant,
        Participant::Banned { left: true, .. }
    ));
}

#[test]
fn an_approval_invite_sends_a_join_request() {
    let mut pending = GroupSpec::private("ApproveMe_1");
    pending.approval_required = true;
    let mut approved = GroupSpec::private("ApproveMe_2");
    approved.approval_required = true;
    approved.approve_after_secs = Some(3600);
    let mut f = Fixture::new(1, vec![pending, approved], Limits::unlimited());
    let user = f.user("acc1");

    match f
        .world
        .messages_check_chat_invite(at(0), user, "ApproveMe_1")
        .unwrap()
    {
        ChatInvite::Invite(preview) => assert!(preview.request_needed && !preview.public),
        other => panic!("expected a preview, got {other:?}"),
    }
    let request = f.import(at(0), "acc1", "ApproveMe_1").unwrap_err();
    assert_eq!(
        (request.code, request.name.as_str()),
        (400, names::INVITE_REQUEST_SENT)
    );
    assert_eq!(
        err_name(f.import(at(10), "acc1", "ApproveMe_1")),
        names::INVITE_REQUEST_SENT
    );
    let peer = f.peer("acc1", "ApproveMe_1");
    assert_eq!(
        err_name(f.world.channels_get_participant_self(at(10), user, peer)),
        names::CHANNEL_PRIVATE
    );
    assert_eq!(
        f.world.standing("acc1", peer.channel_id, at(10)),
        Standing::Requested
    );

    assert_eq!(
        err_name(f.import(at(0), "acc1", "ApproveMe_2")),
        names::INVITE_REQUEST_SENT
    );
    assert!(matches!(
        f.world
            .messages_check_chat_invite(at(3599), user, "ApproveMe_2"),
        Ok(ChatInvite::Invite(_))
    ));
    assert!(matches!(
        f.world
            .messages_check_chat_invite(at(3600), user, "ApproveMe_2"),
        Ok(ChatInvite::Already(_))
    ));
    assert_eq!(
        err_name(f.import(at(3601), "acc1", "ApproveMe_2")),
        names::USER_ALREADY_PARTICIPANT
    );
    assert_eq!(f.world.counters("acc1").unwrap().join_requests, 2);
}

#[test]
fn members_of_a_broadcast_channel_cannot_write() {
    let mut channel = GroupSpec::public("news_channel");
    channel.kind = ChannelKind::Broadcast;
    channel.admins = vec!["acc2".into()];
    let mut f = Fixture::new(2, vec![channel], Limits::unlimited());
    f.join(at(0), "acc1", "news_channel").unwrap();
    let refused = f.send(at(1), "acc1", "news_channel", "hi").unwrap_err();
    assert_eq!(
        (refused.code, refused.name.as_str()),
        (403, names::CHAT_WRITE_FORBIDDEN)
    );
    let posted = f.send(at(2), "acc2", "news_channel", "news").unwrap();
    assert_eq!(posted.from_user, Some(f.user("acc2")));
}

#[test]
fn a_group_that_became_private_is_closed_to_non_members() {
    let mut group = GroupSpec::public("closing_soon");
    group.vanish = Some(VanishSpec {
        at: at(1000),
        how: VanishKind::BecamePrivate,
    });
    let mut f = Fixture::new(2, vec![group], Limits::unlimited());
    f.join(at(0), "acc1", "closing_soon").unwrap();
    let stored = f.resolve(at(0), "acc2", "closing_soon").unwrap();
    assert_eq!(stored.username.as_deref(), Some("closing_soon"));

    assert_eq!(
        err_name(f.resolve(at(1000), "acc2", "closing_soon")),
        names::USERNAME_NOT_OCCUPIED
    );
    assert_eq!(
        err_name(f.join(at(1000), "acc2", "closing_soon")),
        names::CHANNEL_PRIVATE
    );
    let user = f.user("acc2");
    let peer = f.peer("acc2", "closing_soon");
    assert_eq!(
        err_name(f.world.messages_get_history(at(1000), user, peer, 0, 10)),
        names::CHANNEL_PRIVATE
    );
    f.send(at(1001), "acc1", "closing_soon", "members keep access")
        .unwrap();
}

#[test]
fn a_released_username_stops_resolving_but_stored_peers_still_work() {
    let mut group = GroupSpec::public("renamed_group");
    group.vanish = Some(VanishSpec {
        at: at(1000),
        how: VanishKind::UsernameReleased,
    });
    let mut f = Fixture::new(1, vec![group], Limits::unlimited());
    f.resolve(at(0), "acc1", "renamed_group").unwrap();
    assert_eq!(
        err_name(f.resolve(at(1000), "acc1", "renamed_group")),
        names::USERNAME_NOT_OCCUPIED
    );
    let joined = f.join(at(1001), "acc1", "renamed_group").unwrap();
    assert_eq!(joined.username, None);
}

#[test]
fn a_deleted_group_is_private_to_everyone() {
    let mut group = GroupSpec::public("doomed_group");
    group.invite = Some("DoomedInvite".into());
    group.vanish = Some(VanishSpec {
        at: at(1000),
        how: VanishKind::Deleted,
    });
    let mut f = Fixture::new(1, vec![group], Limits::unlimited());
    f.join(at(0), "acc1", "doomed_group").unwrap();
    f.send(at(999), "acc1", "doomed_group", "last words")
        .unwrap();
    assert_eq!(
        err_name(f.send(at(1000), "acc1", "doomed_group", "hello?")),
        names::CHANNEL_PRIVATE
    );
    let user = f.user("acc1");
    assert_eq!(
        err_name(
            f.world
                .messages_check_chat_invite(at(1000), user, "DoomedInvite")
        ),
        names::INVITE_HASH_EXPIRED
    );
    assert_eq!(
        err_name(f.resolve(at(1000), "acc1", "doomed_group")),
        names::USERNAME_NOT_OCCUPIED
    );
}

#[test]
fn a_deactivated_account_is_refused_everywhere() {
    let mut scenario = common::scenario(2, open_groups(1), Limits::unlimited());
    scenario.accounts[0].deactivated = true;
    scenario.accounts[1].deactivated_at = Some(at(500));
    let mut f = Fixture::from_scenario(&scenario);

    let user = f.user("acc1");
    let error = f.world.users_get_users_self(at(0), user).unwrap_err();
    assert_eq!(
        (error.code, error.name.as_str()),
        (401, names::USER_DEACTIVATED_BAN)
    );
    assert_eq!(
        err_name(f.join(at(0), "acc1", "group_00001")),
        names::USER_DEACTIVATED_BAN
    );
    let key = f.world.preshared_auth_key("acc1").unwrap().id();
    assert_eq!(
        err_name(f.world.authorize(at(0), key)),
        names::USER_DEACTIVATED_BAN
    );
    assert_eq!(
        err_name(f.world.auth_send_code(at(0), 99, "+6281200000001")),
        names::PHONE_NUMBER_BANNED
    );

    f.join(at(499), "acc2", "group_00001").unwrap();
    assert_eq!(
        err_name(f.send(at(500), "acc2", "group_00001", "hi")),
        names::USER_DEACTIVATED_BAN
    );
}

#[test]
fn a_revoked_session_is_unregistered_until_a_new_login() {
    let mut scenario = common::scenario(2, open_groups(1), Limits::unlimited());
    scenario.accounts[0].revoked = true;
    scenario.accounts[1].revoked_at = Some(at(500));
    let mut f = Fixture::from_scenario(&scenario);

    let key1 = f.world.preshared_auth_key("acc1").unwrap().id();
    let error = f.world.authorize(at(0), key1).unwrap_err();
    assert_eq!(
        (error.code, error.name.as_str()),
        (401, names::AUTH_KEY_UNREGISTERED)
    );

    let key2 = f.world.preshared_auth_key("acc2").unwrap().id();
    assert_eq!(f.world.authorize(at(499), key2), Ok(f.user("acc2")));
    assert_eq!(
        err_name(f.world.authorize(at(500), key2)),
        names::AUTH_KEY_UNREGISTERED
    );

    let fresh_key = 123_456_789;
    f.world.register_auth_key(fresh_key);
    assert_eq!(
        err_name(f.world.authorize(at(0), fresh_key)),
        names::AUTH_KEY_UNREGISTERED
    );
    let sent = f
        .world
        .auth_send_code(at(10), fresh_key, "+62 812 0000 0001")
        .unwrap();
    assert_eq!(sent.code_length, 5);
    let me = f
        .world
        .auth_sign_in(
            at(11),
            fresh_key,
            "+6281200000001",
            &sent.phone_code_hash,
            "12345",
        )
        .unwrap();
    assert_eq!(me.id, f.user("acc1"));
    assert_eq!(f.world.authorize(at(12), fresh_key), Ok(f.user("acc1")));
    assert_eq!(
        err_name(f.world.authorize(at(12), key1)),
        names::AUTH_KEY_UNREGISTERED
    );
}

#[test]
fn a_burst_of_sends_gets_the_account_spam_limited() {
    let limits = Limits {
        peer_flood: PeerFloodPolicy {
            max_sends: 5,
            window_secs: 600,
            block_secs: 3600,
        },
        ..Limits::unlimited()
    };
    let mut f = Fixture::new(2, open_groups(8), limits);
    for i in 1..=8 {
        f.join(at(0), "acc1", &format!("group_{i:05}")).unwrap();
        f.join(at(0), "acc2", &format!("group_{i:05}")).unwrap();
    }
    for i in 1..=5 {
        f.send(at(i), "acc1", &format!("group_{i:05}"), "ad")
            .unwrap();
    }
    let flood = f.send(at(6), "acc1", "group_00006", "ad").unwrap_err();
    assert_eq!(
        (flood.code, flood.name.as_str(), flood.value),
        (400, names::PEER_FLOOD, None)
    );
    assert_eq!(
        err_name(f.send(at(3605), "acc1", "group_00007", "ad")),
        names::PEER_FLOOD
    );
    assert_eq!(f.world.spam_limited_until("acc1", at(7)), Some(at(3606)));
    f.send(at(7), "acc2", "group_00007", "others are unaffected")
        .unwrap();
    f.send(at(3606), "acc1", "group_00007", "ad").unwrap();
    assert_eq!(f.world.counters("acc1").unwrap().peer_floods, 1);

    let spread = Limits {
        peer_flood: limits.peer_flood,
        ..Limits::unlimited()
    };
    let mut slow = Fixture::new(1, open_groups(8), spread);
    for i in 1..=8 {
        slow.join(at(0), "acc1", &format!("group_{i:05}")).unwrap();
        slow.send(at(i * 200), "acc1", &format!("group_{i:05}"), "ad")
            .unwrap();
    }
}

#[test]
fn default_rights_forbid_text_media_or_links() {
    let mut no_text = GroupSpec::public("no_text_group");
    no_text.default_banned = vec![Right::SendPlain];
    let mut no_media = GroupSpec::public("no_media_group");
    no_media.default_banned = vec![Right::SendMedia];
    let mut no_links = GroupSpec::public("no_links_group");
    no_links.default_banned = vec![Right::EmbedLinks];
    let mut read_only = GroupSpec::public("read_only_group");
    read_only.default_banned = vec![Right::SendMessages];
    read_only.admins = vec!["acc2".into()];
    let mut f = Fixture::new(
        2,
        vec![no_text, no_media, no_links, read_only],
        Limits::unlimited(),
    );
    for group in [
        "no_text_group",
        "no_media_group",
        "no_links_group",
        "read_only_group",
    ] {
        f.join(at(0), "acc1", group).unwrap();
    }
    let plain = f.send(at(1), "acc1", "no_text_group", "text").unwrap_err();
    assert_eq!(
        (plain.code, plain.name.as_str()),
        (403, names::CHAT_SEND_PLAIN_FORBIDDEN)
    );
    f.send_photo(at(2), "acc1", "no_text_group", "a caption is fine")
        .unwrap();

    assert_eq!(
        err_name(f.send_photo(at(3), "acc1", "no_media_group", "photo")),
        names::CHAT_SEND_MEDIA_FORBIDDEN
    );
    f.send(at(4), "acc1", "no_media_group", "text is fine")
        .unwrap();

    assert_eq!(
        err_name(f.send(at(5), "acc1", "no_links_group", "see https://example.com")),
        names::CHAT_SEND_WEBPAGE_FORBIDDEN
    );
    let user = f.user("acc1");
    let peer = f.peer("acc1", "no_links_group");
    let hidden_link = TextBody {
        text: "click here".into(),
        entities: vec![1, 2, 3],
        has_link_entity: true,
        no_webpage: false,
    };
    assert_eq!(
        err_name(
            f.world
                .messages_send_message(at(6), user, peer, hidden_link.clone())
        ),
        names::CHAT_SEND_WEBPAGE_FORBIDDEN
    );
    // The same link without its preview goes (as TDLib sends it).
    let without_preview = TextBody {
        no_webpage: true,
        ..hidden_link
    };
    f.world
        .messages_send_message(at(6), user, peer, without_preview)
        .unwrap();
    f.send(at(7), "acc1", "no_links_group", "no link here")
        .unwrap();

    assert_eq!(
        err_name(f.send(at(8), "acc1", "read_only_group", "x")),
        names::CHAT_WRITE_FORBIDDEN
    );
    f.send(at(9), "acc2", "read_only_group", "admins may")
        .unwrap();

    let full = f
        .world
        .channels_get_full_channel(at(10), user, f.peer("acc1", "no_media_group"))
        .unwrap();
    assert!(full.channel.default_banned.send_media && !full.channel.default_banned.send_plain);
}

#[test]
fn a_restricted_member_may_not_send() {
    let mut group = GroupSpec::public("muted_here");
    group.restricted = vec!["acc1".into()];
    let mut f = Fixture::new(1, vec![group], Limits::unlimited());
    f.join(at(0), "acc1", "muted_here").unwrap();
    assert_eq!(
        err_name(f.send(at(1), "acc1", "muted_here", "hi")),
        names::USER_BANNED_IN_CHANNEL
    );
    let participant = f.participant(at(1), "acc1", "muted_here").unwrap();
    assert!(matches!(
        participant.participant,
        Participant::Banned { left: false, rights, .. } if rights.send_messages
    ));
}

#[test]
fn non_members_must_join_to_send() {
    let mut guarded = GroupSpec::public("join_first");
    guarded.join_to_send = true;
    let mut f = Fixture::new(
        1,
        vec![guarded, GroupSpec::public("plain_group")],
        Limits::unlimited(),
    );
    let guest = f.send(at(0), "acc1", "join_first", "hi").unwrap_err();
    assert_eq!(
        (guest.code, guest.name.as_str()),
        (403, names::CHAT_GUEST_SEND_FORBIDDEN)
    );
    assert_eq!(
        err_name(f.send(at(0), "acc1", "plain_group", "hi")),
        names::CHAT_WRITE_FORBIDDEN
    );
    let info = f.join(at(1), "acc1", "join_first").unwrap();
    assert!(info.join_to_send);
    f.send(at(2), "acc1", "join_first", "hi").unwrap();
}

#[test]
fn an_expired_invite_answers_invite_hash_expired() {
    let mut group = GroupSpec::private("ExpiresSoon");
    group.invite_expires_at = Some(at(1000));
    let mut f = Fixture::new(2, vec![group], Limits::unlimited());
    let user = f.user("acc1");
    assert!(
        f.world
            .messages_check_chat_invite(at(999), user, "ExpiresSoon")
            .is_ok()
    );
    f.import(at(999), "acc2", "ExpiresSoon").unwrap();
    assert_eq!(
        err_name(
            f.world
                .messages_check_chat_invite(at(1000), user, "ExpiresSoon")
        ),
        names::INVITE_HASH_EXPIRED
    );
    assert_eq!(
        err_name(f.import(at(1000), "acc1", "ExpiresSoon")),
        names::INVITE_HASH_EXPIRED
    );
    assert_eq!(
        err_name(f.import(at(0), "acc1", "NeverExisted")),
        names::INVITE_HASH_INVALID
    );
}

#[test]
fn a_wrong_access_hash_is_channel_invalid() {
    let mut f = Fixture::new(2, open_groups(1), Limits::unlimited());
    let mine = f.resolve(at(0), "acc1", "group_00001").unwrap();
    let theirs = f.resolve(at(0), "acc2", "group_00001").unwrap();
    assert_eq!(mine.id, theirs.id);
    assert_ne!(
        mine.access_hash, theirs.access_hash,
        "access hashes are per user"
    );

    let user = f.user("acc1");
    let borrowed = tg_world::InputChannel {
        channel_id: theirs.id,
        access_hash: theirs.access_hash,
    };
    let error = f
        .world
        .channels_join_channel(at(1), user, borrowed)
        .unwrap_err();
    assert_eq!(
        (error.code, error.name.as_str()),
        (400, names::CHANNEL_INVALID)
    );
    let unknown = tg_world::InputChannel {
        channel_id: 42,
        access_hash: 0,
    };
    assert_eq!(
        err_name(f.world.channels_join_channel(at(1), user, unknown)),
        names::CHANNEL_INVALID
    );
    let own = tg_world::InputChannel {
        channel_id: mine.id,
        access_hash: mine.access_hash,
    };
    f.world.channels_join_channel(at(2), user, own).unwrap();
}

#[test]
fn usernames_are_checked_and_looked_up() {
    let mut f = Fixture::new(1, open_groups(1), Limits::unlimited());
    assert_eq!(
        err_name(f.resolve(at(0), "acc1", "ab")),
        names::USERNAME_INVALID
    );
    assert_eq!(
        err_name(f.resolve(at(0), "acc1", "nobody_here")),
        names::USERNAME_NOT_OCCUPIED
    );
    let info = f.resolve(at(0), "acc1", "GROUP_00001").unwrap();
    assert_eq!((info.kind, info.left), (ChannelKind::Supergroup, true));
}

#[test]
fn history_is_generated_lazily_and_includes_sent_messages() {
    let mut group = GroupSpec::public("chatty_group");
    group.history = 120;
    let mut f = Fixture::new(1, vec![group], Limits::unlimited());
    f.join(at(0), "acc1", "chatty_group").unwrap();
    let sent = f.send(at(5), "acc1", "chatty_group", "mine").unwrap();
    assert_eq!(sent.id, 121);
    let user = f.user("acc1");
    let peer = f.peer("acc1", "chatty_group");
    let page = f
        .world
        .messages_get_history(at(6), user, peer, 0, 5)
        .unwrap();
    assert_eq!(page.count, 121);
    let ids: Vec<i32> = page.messages.iter().map(|m| m.id).collect();
    assert_eq!(ids, vec![121, 120, 119, 118, 117]);
    assert!(page.messages[0].out && !page.messages[1].out);
    assert!(page.messages[1].date > page.messages[2].date);
    let older = f
        .world
        .messages_get_history(at(6), user, peer, 3, 100)
        .unwrap();
    assert_eq!(
        older.messages.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![2, 1]
    );
    let again = f
        .world
        .messages_get_history(at(7), user, peer, 0, 5)
        .unwrap();
    assert_eq!(page.messages, again.messages, "generated history is stable");

    assert!(
        f.world
            .channels_read_history(at(8), user, peer, 119)
            .unwrap()
    );
    let full = f
        .world
        .channels_get_full_channel(at(8), user, peer)
        .unwrap();
    assert_eq!((full.read_inbox_max_id, full.top_message_id), (119, 121));
}

#[test]
fn stories_can_be_listed_and_viewed() {
    let mut group = GroupSpec::public("story_group");
    group.stories = 3;
    let mut f = Fixture::new(
        1,
        vec![group, GroupSpec::public("quiet_group")],
        Limits::unlimited(),
    );
    let user = f.user("acc1");
    let peer = f.peer("acc1", "story_group");
    let stories = f.world.stories_get_peer_stories(at(0), user, peer).unwrap();
    assert_eq!(
        stories.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(stories.iter().all(|s| s.expire_date > at(0)));
    assert_eq!(
        f.world.stories_read_stories(at(1), user, peer, 2).unwrap(),
        vec![1, 2]
    );
    assert_eq!(
        f.world.stories_read_stories(at(2), user, peer, 10).unwrap(),
        vec![3]
    );
    assert_eq!(f.world.counters("acc1").unwrap().stories_viewed, 3);
    let quiet = f.peer("acc1", "quiet_group");
    assert!(
        f.world
            .stories_get_peer_stories(at(3), user, quiet)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn reactions_need_a_message_and_allowed_reactions() {
    let mut closed = GroupSpec::public("no_reactions");
    closed.reactions_disabled = true;
    let mut f = Fixture::new(
        1,
        vec![closed, GroupSpec::public("open_reactions")],
        Limits::unlimited(),
    );
    let user = f.user("acc1");
    let open = f.peer("acc1", "open_reactions");
    f.world
        .messages_send_reaction(at(0), user, open, 50, "👍")
        .unwrap();
    assert_eq!(
        err_name(f.world.messages_send_reaction(at(1), user, open, 51, "👍")),
        names::MESSAGE_ID_INVALID
    );
    let closed = f.peer("acc1", "no_reactions");
    assert_eq!(
        err_name(f.world.messages_send_reaction(at(2), user, closed, 1, "👍")),
        names::REACTION_INVALID
    );
    assert_eq!(f.world.counters("acc1").unwrap().reactions, 1);
}

#[test]
fn forwards_keep_or_drop_the_author() {
    let mut source = GroupSpec::public("source_channel");
    source.kind = ChannelKind::Broadcast;
    let mut protected = GroupSpec::public("protected_src");
    protected.kind = ChannelKind::Broadcast;
    protected.noforwards = true;
    let mut f = Fixture::new(
        1,
        vec![source, protected, GroupSpec::public("target_group")],
        Limits::unlimited(),
    );
    f.join(at(0), "acc1", "target_group").unwrap();
    let user = f.user("acc1");
    let from = f.peer("acc1", "source_channel");
    let to = f.peer("acc1", "target_group");
    let forwarded = f
        .world
        .messages_forward_messages(at(1), user, from, &[50], to, false)
        .unwrap();
    let header = forwarded[0].forward.expect("a forward header");
    assert_eq!(
        (header.from_channel_id, header.from_message_id),
        (from.channel_id, 50)
    );
    let copied = f
        .world
        .messages_forward_messages(at(2), user, from, &[49], to, true)
        .unwrap();
    assert_eq!(copied[0].forward, None);
    assert_eq!(copied[0].content.text().text, "source_channel #49");
    assert_eq!(
        err_name(
            f.world
                .messages_forward_messages(at(3), user, from, &[999], to, false)
        ),
        names::MESSAGE_ID_INVALID
    );
    let protected = f.peer("acc1", "protected_src");
    assert_eq!(
        err_name(
            f.world
                .messages_forward_messages(at(4), user, protected, &[1], to, false)
        ),
        names::CHAT_FORWARDS_RESTRICTED
    );
    let sent = f.world.sent_by("acc1");
    assert_eq!(sent.len(), 2);
    assert!(matches!(
        sent[0].kind,
        tg_world::SentKind::Forward {
            from_message_id: 50,
            ..
        }
    ));
    assert_eq!(sent[1].kind, tg_world::SentKind::Text);
}

#[test]
fn leaving_ends_the_membership() {
    let mut f = Fixture::new(1, open_groups(1), Limits::unlimited());
    let user = f.user("acc1");
    let peer = f.peer("acc1", "group_00001");
    assert_eq!(
        err_name(f.world.channels_leave_channel(at(0), user, peer)),
        names::USER_NOT_PARTICIPANT
    );
    f.join(at(1), "acc1", "group_00001").unwrap();
    assert_eq!(
        f.world
            .channels_get_full_channel(at(1), user, peer)
            .unwrap()
            .participants_count,
        1001
    );
    f.world.channels_leave_channel(at(2), user, peer).unwrap();
    assert_eq!(
        f.world.standing("acc1", peer.channel_id, at(2)),
        Standing::Left
    );
    assert_eq!(
        err_name(f.world.channels_get_participant_self(at(3), user, peer)),
        names::USER_NOT_PARTICIPANT
    );
    assert_eq!(f.world.memberships("acc1", at(3)).len(), 1);
}

fn channel(f: &Fixture, username: &str) -> i64 {
    f.world.channel_by_username(username).unwrap()
}

#[test]
fn a_repeated_random_id_answers_the_original_message() {
    let mut f = Fixture::new(1, open_groups(1), Limits::unlimited());
    f.join(at(0), "acc1", "group_00001").unwrap();
    let user = f.user("acc1");
    let peer = f.peer("acc1", "group_00001");
    let send = |f: &mut Fixture, secs, random_id| {
        f.world.send_once(user, random_id, |w| {
            w.messages_send_message(at(secs), user, peer, TextBody::plain("once"))
        })
    };
    let first = send(&mut f, 10, 77).unwrap();
    let again = send(&mut f, 20, 77).unwrap();
    assert_eq!(again, first, "the original message, not a new one");
    let other = send(&mut f, 30, 78).unwrap();
    assert_ne!(other.id, first.id);
    assert_eq!(f.world.sent().len(), 2);
}

#[test]
fn a_spam_limited_account_is_refused_by_every_supergroup_whose_rights_show_nothing() {
    let mut f = Fixture::new(2, open_groups(3), Limits::unlimited());
    for handle in ["group_00001", "group_00002", "group_00003"] {
        f.join(at(0), "acc1", handle).unwrap();
        f.join(at(0), "acc2", handle).unwrap();
    }
    let user = f.user("acc1");
    f.world.limit_for_spam(user, at(5));
    f.send(at(1), "acc1", "group_00001", "before").unwrap();
    for handle in ["group_00001", "group_00002", "group_00003"] {
        assert_eq!(
            err_name(f.send(at(10), "acc1", handle, "after")),
            names::USER_BANNED_IN_CHANNEL
        );
        let full = f.full(at(10), "acc1", handle).unwrap();
        assert_eq!(
            full.channel.my_banned, None,
            "the group's rights show nothing"
        );
        f.send(at(10), "acc2", handle, "another account").unwrap();
    }
}

#[test]
fn a_frozen_account_may_only_read() {
    let mut f = Fixture::new(1, open_groups(2), Limits::unlimited());
    f.join(at(0), "acc1", "group_00001").unwrap();
    let user = f.user("acc1");
    f.world.freeze_account(user, at(5));
    let refused = f.send(at(10), "acc1", "group_00001", "x").unwrap_err();
    assert_eq!(
        (refused.code, refused.name.as_str(), refused.value),
        (420, names::FROZEN_METHOD_INVALID, None),
        "a 420 that is no wait"
    );
    assert_eq!(
        err_name(f.join(at(10), "acc1", "group_00002")),
        names::FROZEN_METHOD_INVALID
    );
    assert!(
        f.full(at(10), "acc1", "group_00001").is_ok(),
        "reading still works"
    );
}

#[test]
fn granular_rights_refuse_photos_but_not_text() {
    let mut group = GroupSpec::public("no_photos");
    group.default_banned = vec![Right::SendPhotos];
    let mut f = Fixture::new(1, vec![group], Limits::unlimited());
    f.join(at(0), "acc1", "no_photos").unwrap();
    assert_eq!(
        err_name(f.send_photo(at(1), "acc1", "no_photos", "villa")),
        names::CHAT_SEND_PHOTOS_FORBIDDEN
    );
    f.send(at(2), "acc1", "no_photos", "text goes").unwrap();
    let full = f.full(at(3), "acc1", "no_photos").unwrap();
    assert!(full.channel.default_banned.send_photos && !full.channel.default_banned.send_media);
}

#[test]
fn a_restriction_with_an_end_lifts_by_itself() {
    let mut f = Fixture::new(1, open_groups(1), Limits::unlimited());
    f.join(at(0), "acc1", "group_00001").unwrap();
    let user = f.user("acc1");
    let channel = f.world.channel_by_username("group_00001").unwrap();
    f.world
        .restrict_member(user, channel, Some(at(3600)), at(0));
    assert_eq!(
        err_name(f.send(at(10), "acc1", "group_00001", "x")),
        names::USER_BANNED_IN_CHANNEL
    );
    let full = f.full(at(10), "acc1", "group_00001").unwrap();
    let mine = full.channel.my_banned.expect("restricted");
    assert_eq!(mine.until_date, Some(at(3600)));
    f.send(at(3600), "acc1", "group_00001", "after the end")
        .unwrap();
    assert_eq!(
        f.full(at(3601), "acc1", "group_00001")
            .unwrap()
            .channel
            .my_banned,
        None
    );
}

#[test]
fn a_basic_group_invite_shows_a_chat_and_no_channel_method_reaches_it() {
    let mut basic = GroupSpec::private("OldChat_1");
    basic.basic = true;
    let mut f = Fixture::new(2, vec![basic], Limits::unlimited());
    let user = f.user("acc1");
    match f
        .world
        .messages_check_chat_invite(at(0), user, "OldChat_1")
        .unwrap()
    {
        ChatInvite::Invite(preview) => assert!(preview.basic && !preview.public),
        other => panic!("expected a preview, got {other:?}"),
    }
    // Importing the invite makes the user a member of the `chat`.
    let joined = f.import(at(1), "acc1", "OldChat_1").unwrap();
    assert!(joined.basic && !joined.left);
    assert!(matches!(
        f.world.messages_check_chat_invite(at(2), user, "OldChat_1"),
        Ok(ChatInvite::Already(info)) if info.basic
    ));
    assert_eq!(f.world.counters("acc1").unwrap().joins, 1);
    // A basic group is no channel.
    assert_eq!(
        err_name(f.participant(at(3), "acc1", "OldChat_1")),
        names::CHANNEL_INVALID
    );
    // A basic group has no username and is no forum.
    let mut named = GroupSpec::public("old_chat_named");
    named.basic = true;
    assert!(tg_world::World::new(&common::scenario(1, vec![named], Limits::unlimited())).is_err());
}

#[test]
fn a_closed_general_topic_refuses_members_but_not_admins() {
    let mut closed = GroupSpec::public("closed_forum");
    closed.forum = true;
    closed.general_closed = true;
    closed.admins = vec!["acc2".into()];
    let mut open = GroupSpec::public("open_forum");
    open.forum = true;
    let plain = GroupSpec::public("plain_group");
    let mut f = Fixture::new(2, vec![closed, open, plain], Limits::unlimited());
    for group in ["closed_forum", "open_forum", "plain_group"] {
        f.join(at(0), "acc1", group).unwrap();
    }
    assert!(f.full(at(0), "acc1", "closed_forum").unwrap().channel.forum);
    let refused = f.send(at(1), "acc1", "closed_forum", "hi").unwrap_err();
    assert_eq!(
        (refused.code, refused.name.as_str()),
        (400, names::TOPIC_CLOSED)
    );
    f.send(at(2), "acc2", "closed_forum", "admins post")
        .unwrap();
    f.send(at(3), "acc1", "open_forum", "hi").unwrap();

    let topics = f
        .on("acc1", "closed_forum", |w, user, peer| {
            w.messages_get_forum_topics_by_id(at(4), user, peer, &[tg_world::GENERAL_TOPIC, 7])
        })
        .unwrap();
    assert_eq!(topics.len(), 2);
    assert!(topics[0].id == 1 && topics[0].closed && !topics[0].deleted);
    assert!(topics[1].deleted);
    let open_general = f
        .on("acc1", "open_forum", |w, user, peer| {
            w.messages_get_forum_topics_by_id(at(4), user, peer, &[1])
        })
        .unwrap();
    assert!(!open_general[0].closed);
    assert_eq!(
        err_name(f.on("acc1", "plain_group", |w, user, peer| {
            w.messages_get_forum_topics_by_id(at(4), user, peer, &[1])
        })),
        names::CHANNEL_FORUM_MISSING
    );
}
