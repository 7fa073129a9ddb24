//! Telegram's TL types onto the port's values, and port peers onto input peers.

use chrono::{DateTime, Utc};
use grammers_tl_types as tl;
use tgfleet_telegram::{
    About, BannedRights, ChannelPost, ChatKind, GroupAnswer, InvitePreview, MediaKind, MediaRef,
    MessageRef, PeerKind, PeerRef, PostContent, ResolvedChat, TgError,
};

/// The error for a peer kind a channel-only method cannot take (as Telegram answers it).
pub(crate) fn not_a_channel() -> TgError {
    TgError::from_rpc(400, "PEER_ID_INVALID", None)
}

/// The input peer for a stored peer reference.
pub(crate) fn input_peer(peer: &PeerRef) -> tl::enums::InputPeer {
    match peer.kind {
        PeerKind::Channel => tl::types::InputPeerChannel {
            channel_id: peer.id,
            access_hash: peer.access_hash,
        }
        .into(),
        PeerKind::Chat => tl::types::InputPeerChat { chat_id: peer.id }.into(),
        PeerKind::User => tl::types::InputPeerUser {
            user_id: peer.id,
            access_hash: peer.access_hash,
        }
        .into(),
    }
}

/// The input channel for a channel or supergroup; other peers are refused.
pub(crate) fn input_channel(peer: &PeerRef) -> Result<tl::enums::InputChannel, TgError> {
    match peer.kind {
        PeerKind::Channel => Ok(tl::types::InputChannel {
            channel_id: peer.id,
            access_hash: peer.access_hash,
        }
        .into()),
        PeerKind::Chat | PeerKind::User => Err(not_a_channel()),
    }
}

fn channel_kind(channel: &tl::types::Channel) -> ChatKind {
    if channel.gigagroup {
        ChatKind::Gigagroup
    } else if channel.megagroup {
        ChatKind::Supergroup
    } else {
        ChatKind::Broadcast
    }
}

/// The kind of a chat as Telegram describes it, when it is a group or channel.
pub(crate) fn chat_kind(chat: &tl::enums::Chat) -> Option<ChatKind> {
    match chat {
        tl::enums::Chat::Channel(channel) => Some(channel_kind(channel)),
        tl::enums::Chat::ChannelForbidden(forbidden) => Some(if forbidden.megagroup {
            ChatKind::Supergroup
        } else {
            ChatKind::Broadcast
        }),
        tl::enums::Chat::Chat(_) | tl::enums::Chat::Forbidden(_) => Some(ChatKind::BasicGroup),
        _ => None,
    }
}

/// A chat the account can address, or why it cannot.
pub(crate) fn resolved_chat(chat: &tl::enums::Chat) -> Result<ResolvedChat, TgError> {
    match chat {
        tl::enums::Chat::Channel(channel) => Ok(ResolvedChat {
            peer: PeerRef {
                id: channel.id,
                access_hash: channel.access_hash.unwrap_or(0),
                kind: PeerKind::Channel,
            },
            title: channel.title.clone(),
            kind: channel_kind(channel),
            username: channel.username.clone(),
        }),
        tl::enums::Chat::Chat(chat) => Ok(ResolvedChat {
            peer: PeerRef {
                id: chat.id,
                access_hash: 0,
                kind: PeerKind::Chat,
            },
            title: chat.title.clone(),
            kind: ChatKind::BasicGroup,
            username: None,
        }),
        tl::enums::Chat::ChannelForbidden(_) | tl::enums::Chat::Forbidden(_) => Err(TgError::new(
            About::Group(GroupAnswer::BannedUs),
            "CHANNEL_FORBIDDEN",
        )),
        _ => Err(TgError::new(About::Group(GroupAnswer::Gone), "CHAT_EMPTY")),
    }
}

/// The chat with `id` among those an answer carries.
pub(crate) fn find_chat(chats: &[tl::enums::Chat], id: i64) -> Option<&tl::enums::Chat> {
    chats.iter().find(|chat| chat.id() == id)
}

/// What an invite shows before joining.
pub(crate) fn invite_preview(invite: &tl::types::ChatInvite) -> InvitePreview {
    InvitePreview {
        title: invite.title.clone(),
        request_needed: invite.request_needed,
        broadcast: invite.broadcast,
        // core.telegram.org/constructor/chatInvite: `channel` "Whether this is a
        // channel/supergroup or a normal group" (TDLib DialogInviteLinkManager.cpp:
        // `is_chat = !chat_invite->channel_`).
        basic_group: !invite.channel,
        participants: invite.participants_count,
    }
}

/// What a peekable invite (a chat visible before joining) shows.
pub(crate) fn peek_preview(chat: &tl::enums::Chat) -> InvitePreview {
    let (title, broadcast, participants) = match chat {
        tl::enums::Chat::Channel(channel) => (
            channel.title.clone(),
            channel_kind(channel) == ChatKind::Broadcast,
            channel.participants_count.unwrap_or(0),
        ),
        tl::enums::Chat::Chat(chat) => (chat.title.clone(), false, chat.participants_count),
        _ => (String::new(), false, 0),
    };
    InvitePreview {
        title,
        request_needed: false,
        broadcast,
        basic_group: matches!(chat, tl::enums::Chat::Chat(_)),
        participants,
    }
}

/// The chats an `Updates` answer carries.
pub(crate) fn updates_chats(updates: &tl::enums::Updates) -> &[tl::enums::Chat] {
    match updates {
        tl::enums::Updates::Updates(updates) => &updates.chats,
        tl::enums::Updates::Combined(updates) => &updates.chats,
        _ => &[],
    }
}

/// A Unix timestamp as a UTC instant (0 and out-of-range values give `None`).
pub(crate) fn timestamp(seconds: i32) -> Option<DateTime<Utc>> {
    (seconds > 0)
        .then(|| DateTime::from_timestamp(i64::from(seconds), 0))
        .flatten()
}

/// Telegram's banned rights onto the port's, read as TDLib reads them: the legacy
/// `send_messages` bans everything, the legacy `send_media` every kind of file.
pub(crate) fn banned_rights(rights: &tl::enums::ChatBannedRights) -> BannedRights {
    let tl::enums::ChatBannedRights::Rights(rights) = rights;
    BannedRights::as_tdlib_reads(BannedRights {
        view_messages: rights.view_messages,
        send_messages: rights.send_messages,
        send_plain: rights.send_plain,
        send_media: rights.send_media,
        send_photos: rights.send_photos,
        send_videos: rights.send_videos,
        send_docs: rights.send_docs,
        send_audios: rights.send_audios,
        send_voices: rights.send_voices,
        send_roundvideos: rights.send_roundvideos,
        send_stickers: rights.send_stickers,
        send_gifs: rights.send_gifs,
        send_polls: rights.send_polls,
        send_inline: rights.send_inline,
        send_games: rights.send_games,
        embed_links: rights.embed_links,
        until: timestamp(rights.until_date),
    })
}

/// Messages of a history answer, newest first as Telegram sends them.
pub(crate) fn history(messages: tl::enums::messages::Messages) -> Vec<MessageRef> {
    let messages = match messages {
        tl::enums::messages::Messages::Messages(answer) => answer.messages,
        tl::enums::messages::Messages::Slice(answer) => answer.messages,
        tl::enums::messages::Messages::ChannelMessages(answer) => answer.messages,
        tl::enums::messages::Messages::NotModified(_) => Vec::new(),
    };
    messages
        .into_iter()
        .filter_map(|message| match message {
            tl::enums::Message::Message(message) => Some(MessageRef {
                id: message.id,
                date: timestamp(message.date).unwrap_or_default(),
                outgoing: message.out,
                sender: message.from_id.as_ref().and_then(user_of),
            }),
            tl::enums::Message::Service(message) => Some(MessageRef {
                id: message.id,
                date: timestamp(message.date).unwrap_or_default(),
                outgoing: message.out,
                sender: message.from_id.as_ref().and_then(user_of),
            }),
            tl::enums::Message::Empty(_) => None,
        })
        .collect()
}

/// The id and date of the message a send created, from the `Updates` answer:
/// `updateShortSentMessage`, or the new message whose `updateMessageID` carries
/// `random_id` (the first new message when there is none).
pub(crate) fn sent_message(
    updates: &tl::enums::Updates,
    random_id: i64,
) -> Option<(i32, DateTime<Utc>)> {
    let (list, date) = match updates {
        tl::enums::Updates::UpdateShortSentMessage(sent) => {
            return Some((sent.id, timestamp(sent.date)?));
        }
        tl::enums::Updates::Updates(updates) => (updates.updates.as_slice(), updates.date),
        tl::enums::Updates::Combined(updates) => (updates.updates.as_slice(), updates.date),
        tl::enums::Updates::UpdateShort(short) => (std::slice::from_ref(&short.update), short.date),
        _ => return None,
    };
    let assigned = list.iter().find_map(|update| match update {
        tl::enums::Update::MessageId(assigned) if assigned.random_id == random_id => {
            Some(assigned.id)
        }
        _ => None,
    });
    let new_messages = list.iter().filter_map(|update| match update {
        tl::enums::Update::NewChannelMessage(new) => Some(&new.message),
        tl::enums::Update::NewMessage(new) => Some(&new.message),
        _ => None,
    });
    let mut first = None;
    for message in new_messages {
        let tl::enums::Message::Message(message) = message else {
            continue;
        };
        if assigned.is_none_or(|id| id == message.id) {
            first = Some((message.id, message.date));
            break;
        }
    }
    let (id, date) = match (first, assigned) {
        (Some(found), _) => found,
        (None, Some(id)) => (id, date),
        (None, None) => return None,
    };
    Some((
        id,
        timestamp(date).or_else(|| timestamp(list_date(updates)))?,
    ))
}

fn list_date(updates: &tl::enums::Updates) -> i32 {
    match updates {
        tl::enums::Updates::Updates(updates) => updates.date,
        tl::enums::Updates::Combined(updates) => updates.date,
        tl::enums::Updates::UpdateShort(short) => short.date,
        _ => 0,
    }
}

fn user_of(peer: &tl::enums::Peer) -> Option<i64> {
    match peer {
        tl::enums::Peer::User(user) => Some(user.user_id),
        _ => None,
    }
}

/// The posts of a history answer (messages only; service messages and empties left
/// out), as a relay reads them: text, entities (TL-serialized, as they came), the
/// photo or document by reference, album and protection flags.
pub(crate) fn channel_posts(messages: tl::enums::messages::Messages) -> Vec<ChannelPost> {
    let messages = match messages {
        tl::enums::messages::Messages::Messages(answer) => answer.messages,
        tl::enums::messages::Messages::Slice(answer) => answer.messages,
        tl::enums::messages::Messages::ChannelMessages(answer) => answer.messages,
        tl::enums::messages::Messages::NotModified(_) => Vec::new(),
    };
    messages
        .into_iter()
        .filter_map(|message| match message {
            tl::enums::Message::Message(message) => Some(ChannelPost {
                id: message.id,
                date: timestamp(message.date).unwrap_or_default(),
                edit_date: message.edit_date.and_then(timestamp),
                content: PostContent {
                    entities: message
                        .entities
                        .as_ref()
                        .filter(|entities| !entities.is_empty())
                        .map(|entities| {
                            use grammers_tl_types::Serializable as _;
                            entities.to_bytes()
                        })
                        .unwrap_or_default(),
                    text: message.message,
                    media: message.media.as_ref().and_then(media_ref),
                },
                grouped_id: message.grouped_id,
                noforwards: message.noforwards,
            }),
            tl::enums::Message::Service(_) | tl::enums::Message::Empty(_) => None,
        })
        .collect()
}

fn media_ref(media: &tl::enums::MessageMedia) -> Option<MediaRef> {
    match media {
        tl::enums::MessageMedia::Photo(photo) => match photo.photo.as_ref()? {
            tl::enums::Photo::Photo(photo) => Some(MediaRef {
                kind: MediaKind::Photo,
                id: photo.id,
                access_hash: photo.access_hash,
                file_reference: photo.file_reference.clone(),
            }),
            tl::enums::Photo::Empty(_) => None,
        },
        tl::enums::MessageMedia::Document(document) => {
            match document.document.as_ref()? {
                tl::enums::Document::Document(document) => Some(MediaRef {
                    // A video is a document with `documentAttributeVideo`
                    // (core.telegram.org/constructor/documentAttributeVideo).
                    kind: if document.attributes.iter().any(|attribute| {
                        matches!(attribute, tl::enums::DocumentAttribute::Video(_))
                    }) {
                        MediaKind::Video
                    } else {
                        MediaKind::Document
                    },
                    id: document.id,
                    access_hash: document.access_hash,
                    file_reference: document.file_reference.clone(),
                }),
                tl::enums::Document::Empty(_) => None,
            }
        }
        _ => None,
    }
}

/// A post's file re-sent by reference (`inputMediaPhoto` / `inputMediaDocument`).
pub(crate) fn input_media_ref(media: &MediaRef) -> tl::enums::InputMedia {
    match media.kind {
        MediaKind::Photo => tl::enums::InputMedia::Photo(tl::types::InputMediaPhoto {
            spoiler: false,
            live_photo: false,
            id: tl::enums::InputPhoto::Photo(tl::types::InputPhoto {
                id: media.id,
                access_hash: media.access_hash,
                file_reference: media.file_reference.clone(),
            }),
            ttl_seconds: None,
            video: None,
        }),
        MediaKind::Document | MediaKind::Video => {
            tl::enums::InputMedia::Document(tl::types::InputMediaDocument {
                spoiler: false,
                id: tl::enums::InputDocument::Document(tl::types::InputDocument {
                    id: media.id,
                    access_hash: media.access_hash,
                    file_reference: media.file_reference.clone(),
                }),
                video_cover: None,
                video_timestamp: None,
                ttl_seconds: None,
                query: None,
            })
        }
    }
}

/// Entities as a copy sends them back: the TL-serialized vector a read produced.
pub(crate) fn entities_from_bytes(bytes: &[u8]) -> Option<Vec<tl::enums::MessageEntity>> {
    use grammers_tl_types::Deserializable as _;
    if bytes.is_empty() {
        return None;
    }
    Vec::<tl::enums::MessageEntity>::from_bytes(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rights(edit: impl FnOnce(&mut tl::types::ChatBannedRights)) -> tl::enums::ChatBannedRights {
        let mut rights = tl::types::ChatBannedRights {
            view_messages: false,
            send_messages: false,
            send_media: false,
            send_stickers: false,
            send_gifs: false,
            send_games: false,
            send_inline: false,
            embed_links: false,
            send_polls: false,
            change_info: false,
            invite_users: false,
            pin_messages: false,
            manage_topics: false,
            send_photos: false,
            send_videos: false,
            send_roundvideos: false,
            send_audios: false,
            send_voices: false,
            send_docs: false,
            send_plain: false,
            edit_rank: false,
            send_reactions: false,
            manage_linked_peers: false,
            until_date: 0,
        };
        edit(&mut rights);
        rights.into()
    }

    #[test]
    fn banned_rights_follow_telegrams_implications() {
        assert_eq!(banned_rights(&rights(|_| {})), BannedRights::default());
        let all = banned_rights(&rights(|r| r.send_messages = true));
        assert!(all.send_messages && all.send_media && all.embed_links);
        assert!(all.send_plain && all.send_photos && all.send_docs);
        let plain = banned_rights(&rights(|r| r.send_plain = true));
        assert!(plain.send_plain && !plain.send_messages && !plain.send_media);
        let media = banned_rights(&rights(|r| r.send_media = true));
        assert!(media.send_photos && media.send_docs && !media.send_plain);
        let photos = banned_rights(&rights(|r| r.send_photos = true));
        assert!(photos.send_photos && !photos.send_docs && !photos.send_media);
        let until = banned_rights(&rights(|r| {
            r.embed_links = true;
            r.until_date = 1_800_000_000;
        }));
        assert!(until.embed_links && !until.send_messages);
        assert_eq!(until.until, DateTime::from_timestamp(1_800_000_000, 0));
    }

    #[test]
    fn the_sent_message_is_found_by_random_id() {
        let empty_message = |id: i32| -> tl::enums::Update {
            tl::types::UpdateNewChannelMessage {
                message: tl::types::MessageEmpty { id, peer_id: None }.into(),
                pts: 1,
                pts_count: 1,
            }
            .into()
        };
        let updates: tl::enums::Updates = tl::types::Updates {
            updates: vec![
                empty_message(7),
                tl::types::UpdateMessageId {
                    id: 9,
                    random_id: 42,
                }
                .into(),
            ],
            users: vec![],
            chats: vec![],
            date: 1_700_000_000,
            seq: 0,
        }
        .into();
        assert_eq!(
            sent_message(&updates, 42),
            Some((9, DateTime::from_timestamp(1_700_000_000, 0).unwrap()))
        );
        assert_eq!(sent_message(&updates, 41), None);
        let short: tl::enums::Updates = tl::types::UpdateShortSentMessage {
            out: true,
            id: 5,
            pts: 1,
            pts_count: 1,
            date: 1_700_000_100,
            media: None,
            entities: None,
            ttl_period: None,
        }
        .into();
        assert_eq!(
            sent_message(&short, 0),
            Some((5, DateTime::from_timestamp(1_700_000_100, 0).unwrap()))
        );
    }
}
