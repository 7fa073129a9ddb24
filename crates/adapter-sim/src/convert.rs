//! Conversions between the world's Telegram vocabulary and the port's types.

use tg_world::{
    ChannelInfo, ChannelKind, InputChannel, Message, MessageContent, RpcError, media_ref, names,
};
use tgfleet_telegram::{
    BannedRights, ChannelPost, ChatKind, MediaKind, MediaRef, PeerKind, PeerRef, PostContent,
    ResolvedChat, TgError,
};

/// A world error through the one RPC table.
pub(crate) fn rpc(error: RpcError) -> TgError {
    TgError::from_rpc(error.code, &error.name, error.value)
}

/// The world models channels and supergroups only; other peers are invalid.
pub(crate) fn input_channel(peer: &PeerRef) -> Result<InputChannel, TgError> {
    match peer.kind {
        PeerKind::Channel => Ok(InputChannel {
            channel_id: peer.id,
            access_hash: peer.access_hash,
        }),
        PeerKind::Chat | PeerKind::User => Err(rpc(RpcError::new(400, names::PEER_ID_INVALID))),
    }
}

pub(crate) fn chat_kind(kind: ChannelKind) -> ChatKind {
    match kind {
        ChannelKind::Supergroup => ChatKind::Supergroup,
        ChannelKind::Broadcast => ChatKind::Broadcast,
        ChannelKind::Gigagroup => ChatKind::Gigagroup,
    }
}

/// The chat as the port sees it; a basic group is a `chat` (`inputPeerChat`, no access hash).
pub(crate) fn resolved_chat(info: &ChannelInfo) -> ResolvedChat {
    let (peer, kind) = if info.basic {
        (
            PeerRef {
                id: info.id,
                access_hash: 0,
                kind: PeerKind::Chat,
            },
            ChatKind::BasicGroup,
        )
    } else {
        (
            PeerRef {
                id: info.id,
                access_hash: info.access_hash,
                kind: PeerKind::Channel,
            },
            chat_kind(info.kind),
        )
    };
    ResolvedChat {
        peer,
        title: info.title.clone(),
        kind,
        username: info.username.clone(),
    }
}

/// Telegram's rights onto the port's, read as TDLib reads them: the legacy
/// `send_messages` bans everything, the legacy `send_media` every kind of file.
pub(crate) fn port_banned(rights: tg_world::BannedRights) -> BannedRights {
    BannedRights::as_tdlib_reads(BannedRights {
        view_messages: rights.view_messages,
        send_messages: rights.send_messages,
        send_plain: rights.send_plain,
        send_media: rights.send_media,
        send_photos: rights.send_photos,
        send_docs: rights.send_docs,
        send_videos: rights.send_videos,
        embed_links: rights.embed_links,
        until: rights.until_date,
        ..BannedRights::default()
    })
}

/// A world message as a relay reads it; a file is named by the id and access hash
/// tg-sim serves it under ([`media_ref`]).
pub(crate) fn channel_post(message: &Message) -> ChannelPost {
    let text = message.content.text();
    let media = match &message.content {
        MessageContent::Text(_) => None,
        MessageContent::Media { media, .. } => {
            let (id, access_hash) = media_ref(message.channel_id, message.id);
            Some(MediaRef {
                kind: match media.kind {
                    tg_world::MediaKind::Photo => MediaKind::Photo,
                    tg_world::MediaKind::Document => MediaKind::Document,
                    tg_world::MediaKind::Video => MediaKind::Video,
                },
                id,
                access_hash,
                file_reference: Vec::new(),
            })
        }
    };
    ChannelPost {
        id: message.id,
        date: message.date,
        edit_date: message.edit_date,
        content: PostContent {
            text: text.text.clone(),
            entities: text.entities.clone(),
            media,
        },
        grouped_id: message.grouped_id,
        noforwards: message.noforwards,
    }
}
