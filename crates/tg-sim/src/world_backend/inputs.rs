//! The world's values from a client's TL inputs.

use grammers_tl_types::{self as tl, Serializable};
use tg_world::{InputChannel, TextBody, names};

use crate::backend::RpcError;

/// The channel an `inputChannel` names; `CHANNEL_INVALID` for anything else.
///
/// A client's `inputPeerChannel` in an `InputChannel` parameter arrives here already read
/// as the `inputChannel` it names (`RpcCall::from_body`: Pyrogram-family clients send
/// it that way and Telegram serves them).
pub(super) fn channel(input: &tl::enums::InputChannel) -> Result<InputChannel, RpcError> {
    match input {
        tl::enums::InputChannel::Channel(channel) => Ok(InputChannel {
            channel_id: channel.channel_id,
            access_hash: channel.access_hash,
        }),
        tl::enums::InputChannel::Empty | tl::enums::InputChannel::FromMessage(_) => {
            Err(RpcError::new(400, names::CHANNEL_INVALID))
        }
    }
}

/// The channel an `inputPeerChannel` names; `PEER_ID_INVALID` for other peers (the world
/// holds channels and supergroups only).
pub(super) fn peer(input: &tl::enums::InputPeer) -> Result<InputChannel, RpcError> {
    match input {
        tl::enums::InputPeer::Channel(channel) => Ok(InputChannel {
            channel_id: channel.channel_id,
            access_hash: channel.access_hash,
        }),
        _ => Err(RpcError::new(400, names::PEER_ID_INVALID)),
    }
}

/// A text and its entities. The entities travel to the world serialized (it keeps them
/// opaque and hands them back in history); a `url` or `textUrl` entity counts as a link.
pub(super) fn text(text: String, entities: Option<Vec<tl::enums::MessageEntity>>) -> TextBody {
    let entities = entities.unwrap_or_default();
    let has_link_entity = entities.iter().any(|entity| {
        matches!(
            entity,
            tl::enums::MessageEntity::Url(_) | tl::enums::MessageEntity::TextUrl(_)
        )
    });
    TextBody {
        text,
        entities: if entities.is_empty() {
            Vec::new()
        } else {
            entities.to_bytes()
        },
        has_link_entity,
        no_webpage: false,
    }
}

/// The emoji of a reaction list (the first standard emoji); empty when the client removes
/// its reaction or sends a custom one, which the world refuses as `REACTION_INVALID`.
pub(super) fn emoji(reaction: Option<&[tl::enums::Reaction]>) -> &str {
    reaction
        .unwrap_or_default()
        .iter()
        .find_map(|reaction| match reaction {
            tl::enums::Reaction::Emoji(emoji) => Some(emoji.emoticon.as_str()),
            _ => None,
        })
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_entities_mark_a_link_and_survive_serialization() {
        let entities = vec![tl::enums::MessageEntity::TextUrl(
            tl::types::MessageEntityTextUrl {
                offset: 0,
                length: 4,
                url: "https://example.com".into(),
            },
        )];
        let body = text("here".into(), Some(entities.clone()));
        assert!(body.has_link_entity && body.has_link());
        assert_eq!(body.entities, entities.to_bytes());

        let bold = vec![tl::enums::MessageEntity::Bold(
            tl::types::MessageEntityBold {
                offset: 0,
                length: 4,
            },
        )];
        assert!(!text("here".into(), Some(bold)).has_link());
        assert!(text("plain".into(), None).entities.is_empty());
    }

    #[test]
    fn only_standard_emoji_reactions_count() {
        let custom =
            tl::enums::Reaction::CustomEmoji(tl::types::ReactionCustomEmoji { document_id: 1 });
        let thumbs = tl::enums::Reaction::Emoji(tl::types::ReactionEmoji {
            emoticon: "👍".into(),
        });
        assert_eq!(emoji(Some(&[custom.clone(), thumbs])), "👍");
        assert_eq!(emoji(Some(&[custom])), "");
        assert_eq!(emoji(None), "");
    }
}
