//! TL objects built from the world's values, in the shapes real Telegram sends.

use chrono::{DateTime, TimeDelta, Utc};
use grammers_tl_types::{self as tl, Deserializable};
use tg_world::{
    BannedRights, ChannelFull, ChannelInfo, ChannelKind, InvitePreview, MediaKind, Message,
    MessageContent, Participant, StoryItem, UserId, UserInfo,
};

use crate::shapes::{self, UserFields};

/// Seconds since the Unix epoch, as TL `int` dates.
pub(super) fn timestamp(at: DateTime<Utc>) -> i32 {
    i32::try_from(at.timestamp()).unwrap_or(if at.timestamp() < 0 { 0 } else { i32::MAX })
}

/// The user as it sees itself (`self`, with phone) or as others see it.
pub(super) fn user(info: &UserInfo, is_self: bool) -> tl::enums::User {
    let phone = info.phone.digits();
    shapes::user(UserFields {
        id: info.id.0,
        access_hash: info.access_hash,
        first_name: &info.first_name,
        last_name: info.last_name.as_deref(),
        username: info.username.as_deref(),
        phone_digits: Some(&phone),
        is_self,
    })
}

/// A group member outside the scenario (the author of generated history).
pub(super) fn stranger(id: UserId) -> tl::enums::User {
    shapes::user(UserFields {
        id: id.0,
        access_hash: mix(id.0, 0x5354_5241),
        first_name: "Member",
        last_name: None,
        username: None,
        phone_digits: None,
        is_self: false,
    })
}

/// `peerChannel`.
pub(super) fn peer_channel(channel_id: i64) -> tl::enums::Peer {
    tl::enums::Peer::Channel(tl::types::PeerChannel { channel_id })
}

/// `peerUser`.
pub(super) fn peer_user(user: UserId) -> tl::enums::Peer {
    tl::enums::Peer::User(tl::types::PeerUser { user_id: user.0 })
}

/// `channel` as the acting user sees it, or `channelForbidden` when it was kicked.
///
/// Flags: `megagroup` for supergroups and gigagroups, `broadcast` for broadcast channels,
/// `gigagroup` for gigagroups; `left` unless a member; `join_to_send`, `join_request`,
/// `slowmode_enabled`, `noforwards`, `send_paid_messages_stars` from the group.
/// `default_banned_rights` always,
/// `banned_rights` when personally restricted, `admin_rights` for admins.
pub(super) fn channel(info: &ChannelInfo) -> tl::enums::Chat {
    let broadcast = info.kind == ChannelKind::Broadcast;
    if info.basic {
        return basic_chat(info);
    }
    if info.forbidden {
        return tl::enums::Chat::ChannelForbidden(tl::types::ChannelForbidden {
            broadcast,
            megagroup: !broadcast,
            monoforum: false,
            id: info.id,
            access_hash: info.access_hash,
            title: info.title.clone(),
            until_date: None,
        });
    }
    tl::enums::Chat::Channel(tl::types::Channel {
        creator: false,
        left: info.left,
        broadcast,
        verified: false,
        megagroup: !broadcast,
        restricted: false,
        signatures: false,
        min: false,
        scam: false,
        has_link: false,
        has_geo: false,
        slowmode_enabled: info.slowmode_enabled,
        call_active: false,
        call_not_empty: false,
        fake: false,
        gigagroup: info.kind == ChannelKind::Gigagroup,
        noforwards: info.noforwards,
        join_to_send: info.join_to_send,
        join_request: info.join_request,
        forum: info.forum,
        stories_hidden: false,
        stories_hidden_min: false,
        stories_unavailable: false,
        signature_profiles: false,
        autotranslation: false,
        broadcast_messages_allowed: false,
        monoforum: false,
        forum_tabs: false,
        id: info.id,
        access_hash: Some(info.access_hash),
        title: info.title.clone(),
        username: info.username.clone(),
        photo: tl::enums::ChatPhoto::Empty,
        date: timestamp(info.date),
        restriction_reason: None,
        admin_rights: info.admin.then(admin_rights),
        banned_rights: info.my_banned.as_ref().map(banned_rights),
        default_banned_rights: Some(banned_rights(&info.default_banned)),
        participants_count: Some(count(info.participants_count)),
        usernames: None,
        stories_max_id: None,
        color: None,
        profile_color: None,
        emoji_status: None,
        level: None,
        subscription_until_date: None,
        bot_verification_icon: None,
        send_paid_messages_stars: info.paid_stars.map(i64::from),
        linked_monoforum_id: None,
        linked_community_id: None,
    })
}

/// A basic group as its members see it (`chat`, core.telegram.org/constructor/chat; no
/// access hash, no username), or `chatForbidden` when the user was kicked.
fn basic_chat(info: &ChannelInfo) -> tl::enums::Chat {
    if info.forbidden {
        return tl::enums::Chat::Forbidden(tl::types::ChatForbidden {
            id: info.id,
            title: info.title.clone(),
        });
    }
    tl::enums::Chat::Chat(tl::types::Chat {
        creator: false,
        left: info.left,
        deactivated: false,
        call_active: false,
        call_not_empty: false,
        noforwards: info.noforwards,
        id: info.id,
        title: info.title.clone(),
        photo: tl::enums::ChatPhoto::Empty,
        participants_count: count(info.participants_count),
        date: timestamp(info.date),
        version: 1,
        migrated_to: None,
        admin_rights: info.admin.then(admin_rights),
        default_banned_rights: Some(banned_rights(&info.default_banned)),
    })
}

/// `chatBannedRights`: the world's five rights; a banned `send_media` also bans every
/// granular media right (photos, videos, documents, stickers, ...), as Telegram shows it.
/// `until_date` 0 means forever.
pub(super) fn banned_rights(rights: &BannedRights) -> tl::enums::ChatBannedRights {
    let media = rights.send_media;
    tl::enums::ChatBannedRights::Rights(tl::types::ChatBannedRights {
        view_messages: rights.view_messages,
        send_messages: rights.send_messages,
        send_media: media,
        send_stickers: media,
        send_gifs: media,
        send_games: media,
        send_inline: media,
        embed_links: rights.embed_links,
        send_polls: media,
        change_info: false,
        invite_users: false,
        pin_messages: false,
        manage_topics: false,
        send_photos: media || rights.send_photos,
        send_videos: media || rights.send_videos,
        send_roundvideos: media,
        send_audios: media,
        send_voices: media,
        send_docs: media || rights.send_docs,
        send_plain: rights.send_plain,
        edit_rank: false,
        send_reactions: false,
        manage_linked_peers: false,
        until_date: rights.until_date.map_or(0, timestamp),
    })
}

/// The rights of the world's admins (group creators): everything a moderator does.
fn admin_rights() -> tl::enums::ChatAdminRights {
    tl::enums::ChatAdminRights::Rights(tl::types::ChatAdminRights {
        change_info: true,
        post_messages: true,
        edit_messages: true,
        delete_messages: true,
        ban_users: true,
        invite_users: true,
        pin_messages: true,
        add_admins: false,
        anonymous: false,
        manage_call: true,
        other: true,
        manage_topics: false,
        post_stories: true,
        edit_stories: true,
        delete_stories: true,
        manage_direct_messages: false,
        manage_ranks: false,
        manage_linked_peers: false,
        manage_welcome_messages: false,
    })
}

/// `messages.chatFull` with `channelFull` (slow mode, read position, reactions) and the
/// channel in `chats`.
pub(super) fn chat_full(full: &ChannelFull, me: &UserInfo) -> tl::enums::messages::ChatFull {
    let unread = (full.top_message_id - full.read_inbox_max_id).max(0);
    let available_reactions = if full.reactions_disabled {
        tl::enums::ChatReactions::None
    } else {
        tl::enums::ChatReactions::All(tl::types::ChatReactionsAll {
            allow_custom: false,
        })
    };
    let channel_full = tl::types::ChannelFull {
        can_view_participants: full.channel.kind == ChannelKind::Supergroup,
        can_set_username: false,
        can_set_stickers: false,
        hidden_prehistory: false,
        can_set_location: false,
        has_scheduled: false,
        can_view_stats: false,
        blocked: false,
        can_delete_channel: false,
        antispam: false,
        participants_hidden: false,
        translations_disabled: false,
        stories_pinned_available: full.has_stories,
        view_forum_as_messages: false,
        restricted_sponsored: false,
        can_view_revenue: false,
        paid_media_allowed: false,
        can_view_stars_revenue: false,
        paid_reactions_available: false,
        stargifts_available: false,
        paid_messages_available: false,
        has_welcome_messages: false,
        id: full.channel.id,
        about: full.about.clone(),
        participants_count: Some(count(full.participants_count)),
        admins_count: None,
        kicked_count: None,
        banned_count: None,
        online_count: None,
        read_inbox_max_id: full.read_inbox_max_id,
        read_outbox_max_id: full.top_message_id,
        unread_count: unread,
        chat_photo: tl::enums::Photo::Empty(tl::types::PhotoEmpty { id: 0 }),
        notify_settings: notify_settings(),
        exported_invite: None,
        bot_info: Vec::new(),
        migrated_from_chat_id: None,
        migrated_from_max_id: None,
        pinned_msg_id: None,
        stickerset: None,
        available_min_id: None,
        folder_id: None,
        linked_chat_id: None,
        location: None,
        slowmode_seconds: full.slowmode_seconds.map(count),
        slowmode_next_send_date: full.slowmode_next_send_date.map(timestamp),
        stats_dc: None,
        pts: full.top_message_id.max(1),
        call: None,
        ttl_period: None,
        pending_suggestions: None,
        groupcall_default_join_as: None,
        theme_emoticon: None,
        requests_pending: None,
        recent_requesters: None,
        default_send_as: None,
        available_reactions: Some(available_reactions),
        reactions_limit: None,
        stories: None,
        wallpaper: None,
        boosts_applied: None,
        boosts_unrestrict: None,
        emojiset: None,
        bot_verification: None,
        stargifts_count: None,
        send_paid_messages_stars: None,
        main_tab: None,
        guard_bot_id: None,
    };
    tl::enums::messages::ChatFull::Full(tl::types::messages::ChatFull {
        full_chat: tl::enums::ChatFull::ChannelFull(channel_full),
        chats: vec![channel(&full.channel)],
        users: vec![user(me, true)],
    })
}

/// Default notification settings (nothing overridden).
pub(super) fn notify_settings() -> tl::enums::PeerNotifySettings {
    tl::enums::PeerNotifySettings::Settings(tl::types::PeerNotifySettings {
        show_previews: None,
        silent: None,
        mute_until: None,
        ios_sound: None,
        android_sound: None,
        other_sound: None,
        stories_muted: None,
        stories_hide_sender: None,
        stories_ios_sound: None,
        stories_android_sound: None,
        stories_other_sound: None,
    })
}

/// `userFull` with nothing set beyond the required fields: no about, photos, bot info,
/// business profile or common chats.
pub(super) fn user_full(id: i64) -> tl::enums::UserFull {
    tl::enums::UserFull::Full(tl::types::UserFull {
        blocked: false,
        phone_calls_available: false,
        phone_calls_private: false,
        can_pin_message: true,
        has_scheduled: false,
        video_calls_available: false,
        voice_messages_forbidden: false,
        translations_disabled: false,
        stories_pinned_available: false,
        blocked_my_stories_from: false,
        wallpaper_overridden: false,
        contact_require_premium: false,
        read_dates_private: false,
        sponsored_enabled: false,
        can_view_revenue: false,
        bot_can_manage_emoji_status: false,
        display_gifts_button: false,
        noforwards_my_enabled: false,
        noforwards_peer_enabled: false,
        unofficial_security_risk: false,
        id,
        about: None,
        settings: tl::enums::PeerSettings::Settings(tl::types::PeerSettings {
            report_spam: false,
            add_contact: false,
            block_contact: false,
            share_contact: false,
            need_contacts_exception: false,
            report_geo: false,
            autoarchived: false,
            invite_members: false,
            request_chat_broadcast: false,
            business_bot_paused: false,
            business_bot_can_reply: false,
            geo_distance: None,
            request_chat_title: None,
            request_chat_date: None,
            business_bot_id: None,
            business_bot_manage_url: None,
            charge_paid_message_stars: None,
            registration_month: None,
            phone_country: None,
            name_change_date: None,
            photo_change_date: None,
        }),
        personal_photo: None,
        profile_photo: None,
        fallback_photo: None,
        notify_settings: notify_settings(),
        bot_info: None,
        pinned_msg_id: None,
        common_chats_count: 0,
        folder_id: None,
        ttl_period: None,
        theme: None,
        private_forward_name: None,
        bot_group_admin_rights: None,
        bot_broadcast_admin_rights: None,
        wallpaper: None,
        stories: None,
        business_work_hours: None,
        business_location: None,
        business_greeting_message: None,
        business_away_message: None,
        business_intro: None,
        birthday: None,
        personal_channel_id: None,
        personal_channel_message: None,
        stargifts_count: None,
        starref_program: None,
        bot_verification: None,
        send_paid_messages_stars: None,
        disallowed_gifts: None,
        stars_rating: None,
        stars_my_pending_rating: None,
        stars_my_pending_rating_date: None,
        main_tab: None,
        saved_music: None,
        note: None,
        bot_manager_id: None,
    })
}

/// The id of the admin who kicks or restricts scenario accounts (a group member outside the
/// scenario).
const MODERATOR_ID: i64 = 100_000;

/// The acting user's `channelParticipant*`: `channelParticipantSelf` for members,
/// `channelParticipantAdmin` (`self`) for admins, `channelParticipantBanned` (`left` when
/// kicked) for kicked or restricted users.
pub(super) fn participant(participant: &Participant, me: UserId) -> tl::enums::ChannelParticipant {
    match participant {
        Participant::Member { since } => {
            tl::enums::ChannelParticipant::ParticipantSelf(tl::types::ChannelParticipantSelf {
                via_request: false,
                user_id: me.0,
                inviter_id: me.0,
                date: timestamp(*since),
                subscription_until_date: None,
                rank: None,
            })
        }
        Participant::Admin { since } => {
            tl::enums::ChannelParticipant::Admin(tl::types::ChannelParticipantAdmin {
                can_edit: false,
                is_self: true,
                user_id: me.0,
                inviter_id: Some(me.0),
                promoted_by: me.0,
                date: timestamp(*since),
                admin_rights: admin_rights(),
                rank: None,
            })
        }
        Participant::Banned {
            since,
            left,
            rights,
        } => tl::enums::ChannelParticipant::Banned(tl::types::ChannelParticipantBanned {
            left: *left,
            peer: peer_user(me),
            kicked_by: MODERATOR_ID,
            date: timestamp(*since),
            banned_rights: banned_rights(rights),
            rank: None,
        }),
    }
}

/// `chatInvite` for a non-member: `channel`, `broadcast` / `megagroup`, `public`,
/// `request_needed`, title and member count. A basic group's invite has none of
/// `channel`, `broadcast`, `public`, `megagroup` (core.telegram.org/constructor/chatInvite;
/// TDLib td/telegram/DialogInviteLinkManager.cpp logs them on a non-channel invite as wrong).
pub(super) fn chat_invite(preview: &InvitePreview) -> tl::enums::ChatInvite {
    let channel = !preview.basic;
    let broadcast = channel && preview.kind == ChannelKind::Broadcast;
    tl::enums::ChatInvite::Invite(tl::types::ChatInvite {
        channel,
        broadcast,
        public: channel && preview.public,
        megagroup: channel && !broadcast,
        request_needed: preview.request_needed,
        verified: false,
        scam: false,
        fake: false,
        can_refulfill_subscription: false,
        title: preview.title.clone(),
        about: None,
        photo: tl::enums::Photo::Empty(tl::types::PhotoEmpty { id: 0 }),
        participants_count: count(preview.participants_count),
        participants: None,
        color: 0,
        subscription_pricing: None,
        subscription_form_id: None,
        bot_verification: None,
    })
}

/// `messages.forumTopics` with the topics asked for: `forumTopic` (General: not hidden, its
/// top message the group's first) or `forumTopicDeleted`, and the channel in `chats`.
pub(super) fn forum_topics(
    topics: &[tg_world::ForumTopic],
    chats: Vec<tl::enums::Chat>,
    channel_id: i64,
    now: DateTime<Utc>,
) -> tl::enums::messages::ForumTopics {
    let topics: Vec<tl::enums::ForumTopic> = topics
        .iter()
        .map(|topic| {
            if topic.deleted {
                return tl::enums::ForumTopic::Deleted(tl::types::ForumTopicDeleted {
                    id: topic.id,
                });
            }
            tl::enums::ForumTopic::Topic(tl::types::ForumTopic {
                my: false,
                closed: topic.closed,
                pinned: false,
                short: false,
                hidden: false,
                title_missing: false,
                id: topic.id,
                date: timestamp(now),
                peer: peer_channel(channel_id),
                title: topic.title.clone(),
                icon_color: 0x6F_B9F0,
                icon_emoji_id: None,
                top_message: topic.id,
                read_inbox_max_id: 0,
                read_outbox_max_id: 0,
                unread_count: 0,
                unread_mentions_count: 0,
                unread_reactions_count: 0,
                unread_poll_votes_count: 0,
                from_id: peer_channel(channel_id),
                notify_settings: notify_settings(),
                draft: None,
            })
        })
        .collect();
    tl::enums::messages::ForumTopics::Topics(tl::types::messages::ForumTopics {
        order_by_create_date: false,
        count: i32::try_from(topics.len()).unwrap_or(i32::MAX),
        topics,
        messages: Vec::new(),
        chats,
        users: Vec::new(),
        pts: 0,
    })
}

/// A `message` of a channel as `viewer` sees it.
pub(super) fn message(message: &Message) -> tl::enums::Message {
    let text = message.content.text();
    let entities = decode_entities(&text.entities);
    let media = match &message.content {
        MessageContent::Text(_) => None,
        MessageContent::Media { media, .. } => Some(media_of(
            message.channel_id,
            message.id,
            message.date,
            media,
        )),
    };
    tl::enums::Message::Message(tl::types::Message {
        out: message.out,
        mentioned: false,
        media_unread: false,
        silent: false,
        post: message.from_user.is_none(),
        from_scheduled: false,
        legacy: false,
        edit_hide: false,
        pinned: false,
        noforwards: message.noforwards,
        invert_media: false,
        offline: false,
        video_processing_pending: false,
        paid_suggested_post_stars: false,
        paid_suggested_post_ton: false,
        id: message.id,
        from_id: message.from_user.map(peer_user),
        from_boosts_applied: None,
        from_rank: None,
        peer_id: peer_channel(message.channel_id),
        saved_peer_id: None,
        fwd_from: message.forward.map(|header| {
            tl::enums::MessageFwdHeader::Header(tl::types::MessageFwdHeader {
                imported: false,
                saved_out: false,
                from_id: Some(peer_channel(header.from_channel_id)),
                from_name: None,
                date: timestamp(header.date),
                channel_post: Some(header.from_message_id),
                post_author: None,
                saved_from_peer: None,
                saved_from_msg_id: None,
                saved_from_id: None,
                saved_from_name: None,
                saved_date: None,
                psa_type: None,
            })
        }),
        via_bot_id: None,
        via_business_bot_id: None,
        guestchat_via_from: None,
        reply_to: None,
        date: timestamp(message.date),
        message: text.text.clone(),
        media,
        reply_markup: None,
        entities,
        views: None,
        forwards: None,
        replies: None,
        edit_date: message.edit_date.map(timestamp),
        post_author: None,
        grouped_id: message.grouped_id,
        reactions: None,
        restriction_reason: None,
        ttl_period: None,
        quick_reply_shortcut_id: None,
        effect: None,
        factcheck: None,
        report_delivery_until_date: None,
        paid_message_stars: None,
        suggested_post: None,
        schedule_repeat_period: None,
        summary_from_language: None,
        rich_message: None,
    })
}

/// `messageMediaPhoto` or `messageMediaDocument` (with a `documentAttributeFilename`) for an
/// uploaded file. Ids and access hashes derive from the channel and message ids.
fn media_of(
    channel_id: i64,
    message_id: i32,
    date: DateTime<Utc>,
    media: &tg_world::UploadedMedia,
) -> tl::enums::MessageMedia {
    let (id, access_hash) = tg_world::media_ref(channel_id, message_id);
    let size = i64::try_from(media.size).unwrap_or(i64::MAX);
    match media.kind {
        MediaKind::Photo => tl::enums::MessageMedia::Photo(tl::types::MessageMediaPhoto {
            spoiler: false,
            live_photo: false,
            photo: Some(photo(id, access_hash, date, size)),
            ttl_seconds: None,
            video: None,
        }),
        // A video is a document with `documentAttributeVideo`
        // (core.telegram.org/constructor/documentAttributeVideo).
        MediaKind::Document | MediaKind::Video => {
            tl::enums::MessageMedia::Document(tl::types::MessageMediaDocument {
                nopremium: false,
                spoiler: false,
                video: media.kind == MediaKind::Video,
                round: false,
                voice: false,
                document: Some(tl::enums::Document::Document(tl::types::Document {
                    id,
                    access_hash,
                    file_reference: Vec::new(),
                    date: timestamp(date),
                    mime_type: mime_type(&media.file_name).to_owned(),
                    size,
                    thumbs: None,
                    video_thumbs: None,
                    dc_id: 2,
                    attributes: std::iter::once(tl::enums::DocumentAttribute::Filename(
                        tl::types::DocumentAttributeFilename {
                            file_name: media.file_name.clone(),
                        },
                    ))
                    .chain((media.kind == MediaKind::Video).then_some(
                        tl::enums::DocumentAttribute::Video(tl::types::DocumentAttributeVideo {
                            round_message: false,
                            supports_streaming: true,
                            nosound: false,
                            duration: 10.0,
                            w: 640,
                            h: 360,
                            preload_prefix_size: None,
                            video_start_ts: None,
                            video_codec: None,
                        }),
                    ))
                    .collect(),
                })),
                alt_documents: None,
                video_cover: None,
                video_timestamp: None,
                ttl_seconds: None,
            })
        }
    }
}

fn photo(id: i64, access_hash: i64, date: DateTime<Utc>, size: i64) -> tl::enums::Photo {
    tl::enums::Photo::Photo(tl::types::Photo {
        has_stickers: false,
        id,
        access_hash,
        file_reference: Vec::new(),
        date: timestamp(date),
        sizes: vec![tl::enums::PhotoSize::Size(tl::types::PhotoSize {
            r#type: "x".to_owned(),
            w: 800,
            h: 800,
            size: i32::try_from(size).unwrap_or(i32::MAX),
        })],
        video_sizes: None,
        dc_id: 2,
    })
}

/// The MIME type a file name suggests (the world keeps names, not types).
fn mime_type(file_name: &str) -> &'static str {
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, extension)| extension.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "mp4" => "video/mp4",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

/// A channel's active story: a photo with a caption.
pub(super) fn story(item: &StoryItem, channel_id: i64) -> tl::enums::StoryItem {
    let id = mix(channel_id, i64::from(item.id) << 32);
    tl::enums::StoryItem::Item(Box::new(tl::types::StoryItem {
        pinned: false,
        public: true,
        close_friends: false,
        min: false,
        noforwards: false,
        edited: false,
        contacts: false,
        selected_contacts: false,
        out: false,
        id: item.id,
        date: timestamp(item.date),
        from_id: None,
        fwd_from: None,
        expire_date: timestamp(item.expire_date),
        caption: Some(item.caption.clone()),
        entities: None,
        media: tl::enums::MessageMedia::Photo(tl::types::MessageMediaPhoto {
            spoiler: false,
            live_photo: false,
            photo: Some(photo(id, mix(id, 0x5354_4f52), item.date, 64 * 1024)),
            ttl_seconds: None,
            video: None,
        }),
        media_areas: None,
        privacy: None,
        views: None,
        sent_reaction: None,
        albums: None,
        music: None,
    }))
}

/// `updates` with the given updates, users and chats.
pub(super) fn updates(
    updates: Vec<tl::enums::Update>,
    users: Vec<tl::enums::User>,
    chats: Vec<tl::enums::Chat>,
    now: DateTime<Utc>,
) -> tl::enums::Updates {
    tl::enums::Updates::Updates(tl::types::Updates {
        updates,
        users,
        chats,
        date: timestamp(now),
        seq: 0,
    })
}

/// `updateChannel`: the user's view of a channel changed (joined, left).
pub(super) fn update_channel(channel_id: i64) -> tl::enums::Update {
    tl::enums::Update::Channel(tl::types::UpdateChannel { channel_id })
}

/// `updateMessageID` + `updateNewChannelMessage` for one sent message. The channel's `pts`
/// is its newest message id.
pub(super) fn sent_message_updates(message: &Message, random_id: i64) -> [tl::enums::Update; 2] {
    [
        tl::enums::Update::MessageId(tl::types::UpdateMessageId {
            id: message.id,
            random_id,
        }),
        tl::enums::Update::NewChannelMessage(tl::types::UpdateNewChannelMessage {
            message: self::message(message),
            pts: message.id,
            pts_count: 1,
        }),
    ]
}

/// Member counts as TL `int`.
fn count(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// The entities a client sent, kept by the world as serialized TL.
fn decode_entities(bytes: &[u8]) -> Option<Vec<tl::enums::MessageEntity>> {
    if bytes.is_empty() {
        return None;
    }
    Vec::<tl::enums::MessageEntity>::from_bytes(bytes).ok()
}

/// A deterministic 64-bit value from two (SplitMix64's finalizer).
fn mix(a: i64, b: i64) -> i64 {
    let mut z =
        (a.cast_unsigned() ^ b.cast_unsigned().rotate_left(29)).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)).cast_signed()
}

/// When a peek into a group a non-member can read anyway ends (Telegram sends a date).
pub(super) fn peek_expires(now: DateTime<Utc>) -> i32 {
    timestamp(now + TimeDelta::days(1))
}
