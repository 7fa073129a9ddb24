//! Sending (text, uploaded media, forwards), history, reading, stories and reactions.

use std::collections::BTreeSet;

use grammers_tl_types as tl;
use tg_world::{InputChannel, LedgerEvent, MediaKind, Message, TextBody, UploadedMedia};

use super::{Session, WorldBackend, inputs, objects};
use crate::backend::{CallContext, RpcCall, RpcError, RpcResponse};

/// `messages.getHistory` with a limit of 0 or less returns this many messages.
const DEFAULT_HISTORY_LIMIT: u32 = 20;

/// Serves the methods of this module.
pub(super) fn serve(
    backend: &WorldBackend,
    ctx: &CallContext,
    call: &RpcCall,
) -> Option<RpcResponse> {
    let session = || backend.session(ctx);
    call.serve(|request| send_message(&mut session()?, request))
        .or_else(|| call.serve(|request| send_media(backend, &mut session()?, ctx, request)))
        .or_else(|| call.serve(|request| forward_messages(&mut session()?, request)))
        .or_else(|| call.serve(|request| send_multi_media(&mut session()?, request)))
        .or_else(|| call.serve(|request| get_history(&mut session()?, request)))
        .or_else(|| call.serve(|request| read_history(&mut session()?, request)))
        .or_else(|| call.serve(|request| get_peer_stories(&mut session()?, request)))
        .or_else(|| call.serve(|request| read_stories(&mut session()?, request)))
        .or_else(|| call.serve(|request| send_reaction(&mut session()?, request)))
}

impl Session<'_> {
    /// `updates` for messages sent into `target`: `updateMessageID` + `updateNewChannelMessage`
    /// per message (matched with the client's `random_id`s), the user, and the target channel
    /// (plus `also` channels, such as a forward's source). Records the messages in the ledger.
    fn sent_updates(
        &mut self,
        target: InputChannel,
        sent: &[Message],
        random_ids: &[i64],
        also: &[InputChannel],
    ) -> tl::enums::Updates {
        for (message, random_id) in sent.iter().zip(random_ids) {
            self.world.record_message(self.me, message, *random_id);
        }
        let updates = sent
            .iter()
            .zip(random_ids)
            .flat_map(|(message, random_id)| objects::sent_message_updates(message, *random_id))
            .collect();
        let chats = std::iter::once(target)
            .chain(also.iter().copied())
            .flat_map(|channel| self.chats(channel))
            .collect();
        objects::updates(updates, self.me_users(), chats, self.now)
    }
}

fn send_message(
    session: &mut Session<'_>,
    request: tl::functions::messages::SendMessage,
) -> Result<tl::enums::Updates, RpcError> {
    let peer = inputs::peer(&request.peer)?;
    let body = TextBody {
        no_webpage: request.no_webpage,
        ..inputs::text(request.message, request.entities)
    };
    let (now, me) = (session.now, session.me);
    let sent = session.world.send_once(me, request.random_id, |world| {
        world.messages_send_message(now, me, peer, body)
    })?;
    Ok(session.sent_updates(peer, &[sent], &[request.random_id], &[]))
}

/// `inputMediaUploadedPhoto` / `inputMediaUploadedDocument` (the file name from
/// `documentAttributeFilename`, else the uploaded file's name); the caption is `message`.
/// Other media: `MEDIA_INVALID`.
fn send_media(
    backend: &WorldBackend,
    session: &mut Session<'_>,
    ctx: &CallContext,
    request: tl::functions::messages::SendMedia,
) -> Result<tl::enums::Updates, RpcError> {
    let peer = inputs::peer(&request.peer)?;
    let (kind, file, name_attribute) = match &request.media {
        tl::enums::InputMedia::UploadedPhoto(photo) => (MediaKind::Photo, &photo.file, None),
        tl::enums::InputMedia::UploadedDocument(document) => {
            let name = document
                .attributes
                .iter()
                .find_map(|attribute| match attribute {
                    tl::enums::DocumentAttribute::Filename(file) => Some(file.file_name.clone()),
                    _ => None,
                });
            (MediaKind::Document, &document.file, name)
        }
        // A file Telegram already holds, by id and access hash (a copy of a post).
        tl::enums::InputMedia::Photo(tl::types::InputMediaPhoto {
            id: tl::enums::InputPhoto::Photo(photo),
            ..
        }) => {
            let media = session.world.media_by_ref(photo.id, photo.access_hash)?;
            return send_known_media(session, &request, peer, media);
        }
        tl::enums::InputMedia::Document(tl::types::InputMediaDocument {
            id: tl::enums::InputDocument::Document(document),
            ..
        }) => {
            let media = session
                .world
                .media_by_ref(document.id, document.access_hash)?;
            return send_known_media(session, &request, peer, media);
        }
        _ => return Err(RpcError::new(400, "MEDIA_INVALID")),
    };
    let uploaded = backend.uploads.file(ctx.auth_key_id, file)?;
    let media = UploadedMedia {
        kind,
        file_name: name_attribute.unwrap_or(uploaded.name),
        size: uploaded.size,
    };
    let caption = inputs::text(request.message, request.entities);
    let (now, me) = (session.now, session.me);
    let sent = session.world.send_once(me, request.random_id, |world| {
        world.messages_send_media(now, me, peer, media, caption)
    })?;
    Ok(session.sent_updates(peer, &[sent], &[request.random_id], &[]))
}

/// `messages.sendMedia` with a file the world already holds (by id and access hash).
fn send_known_media(
    session: &mut Session<'_>,
    request: &tl::functions::messages::SendMedia,
    peer: InputChannel,
    media: UploadedMedia,
) -> Result<tl::enums::Updates, RpcError> {
    let caption = inputs::text(request.message.clone(), request.entities.clone());
    let (now, me) = (session.now, session.me);
    let sent = session.world.send_once(me, request.random_id, |world| {
        world.messages_send_media(now, me, peer, media, caption)
    })?;
    Ok(session.sent_updates(peer, &[sent], &[request.random_id], &[]))
}

/// Forwards keep a `messageFwdHeader` (`from_id` = the source channel, `channel_post`);
/// `drop_author` copies.
fn forward_messages(
    session: &mut Session<'_>,
    request: tl::functions::messages::ForwardMessages,
) -> Result<tl::enums::Updates, RpcError> {
    if request.random_id.len() != request.id.len() {
        return Err(RpcError::new(400, "RANDOM_ID_INVALID"));
    }
    let from = inputs::peer(&request.from_peer)?;
    let to = inputs::peer(&request.to_peer)?;
    let (now, me) = (session.now, session.me);
    // One random id per message; the messages go in one call, so an album stays one
    // album.
    let sent = session
        .world
        .send_all_once(me, &request.random_id, |world| {
            world.messages_forward_messages(now, me, from, &request.id, to, request.drop_author)
        })?;
    Ok(session.sent_updates(to, &sent, &request.random_id, &[from]))
}

/// `messages.sendMultiMedia` of files the world already holds (`inputMediaPhoto` /
/// `inputMediaDocument`: a copied album re-sends them by reference; new files go
/// through `messages.uploadMedia` first, which is not served), one message per
/// `inputSingleMedia` with its caption, at most once per its random ids. Other
/// media: MEDIA_INVALID.
fn send_multi_media(
    session: &mut Session<'_>,
    request: tl::functions::messages::SendMultiMedia,
) -> Result<tl::enums::Updates, RpcError> {
    let peer = inputs::peer(&request.peer)?;
    let mut files = Vec::with_capacity(request.multi_media.len());
    let mut random_ids = Vec::with_capacity(request.multi_media.len());
    for single in request.multi_media {
        let tl::enums::InputSingleMedia::Media(single) = single;
        let media = match &single.media {
            tl::enums::InputMedia::Photo(tl::types::InputMediaPhoto {
                id: tl::enums::InputPhoto::Photo(photo),
                ..
            }) => session.world.media_by_ref(photo.id, photo.access_hash)?,
            tl::enums::InputMedia::Document(tl::types::InputMediaDocument {
                id: tl::enums::InputDocument::Document(document),
                ..
            }) => session
                .world
                .media_by_ref(document.id, document.access_hash)?,
            _ => return Err(RpcError::new(400, "MEDIA_INVALID")),
        };
        files.push((media, inputs::text(single.message, single.entities)));
        random_ids.push(single.random_id);
    }
    let (now, me) = (session.now, session.me);
    let sent = session.world.send_all_once(me, &random_ids, |world| {
        world.messages_send_multi_media(now, me, peer, files)
    })?;
    Ok(session.sent_updates(peer, &sent, &random_ids, &[]))
}

/// `messages.channelMessages`, newest first, from `offset_id` (exclusive) down, moved by
/// `add_offset`, within `(min_id, max_id)`; the channel in `chats`, the authors in `users`.
/// `offset_date` and `hash` are not modelled.
fn get_history(
    session: &mut Session<'_>,
    request: tl::functions::messages::GetHistory,
) -> Result<tl::enums::messages::Messages, RpcError> {
    let peer = inputs::peer(&request.peer)?;
    let limit = u32::try_from(request.limit)
        .ok()
        .filter(|&limit| limit > 0)
        .unwrap_or(DEFAULT_HISTORY_LIMIT);
    let page = tg_world::HistoryPage {
        offset_id: request.offset_id,
        add_offset: request.add_offset,
        limit,
        min_id: request.min_id,
        max_id: request.max_id,
    };
    let history = session
        .world
        .messages_get_history_page(session.now, session.me, peer, page)?;
    let authors: BTreeSet<_> = history
        .messages
        .iter()
        .filter_map(|message| message.from_user)
        .collect();
    let count = i32::try_from(history.count).unwrap_or(i32::MAX);
    Ok(tl::enums::messages::Messages::ChannelMessages(
        tl::types::messages::ChannelMessages {
            inexact: false,
            pts: count.max(1),
            count,
            offset_id_offset: None,
            messages: history.messages.iter().map(objects::message).collect(),
            topics: Vec::new(),
            chats: session.chats(peer),
            users: authors
                .into_iter()
                .map(|user| session.author(user))
                .collect(),
        },
    ))
}

fn read_history(
    session: &mut Session<'_>,
    request: tl::functions::channels::ReadHistory,
) -> Result<bool, RpcError> {
    let channel = inputs::channel(&request.channel)?;
    Ok(session
        .world
        .channels_read_history(session.now, session.me, channel, request.max_id)?)
}

/// `stories.peerStories` with the channel's active stories (photos with captions).
fn get_peer_stories(
    session: &mut Session<'_>,
    request: tl::functions::stories::GetPeerStories,
) -> Result<tl::enums::stories::PeerStories, RpcError> {
    let peer = inputs::peer(&request.peer)?;
    let items = session
        .world
        .stories_get_peer_stories(session.now, session.me, peer)?;
    Ok(tl::enums::stories::PeerStories::Stories(
        tl::types::stories::PeerStories {
            stories: tl::enums::PeerStories::Stories(tl::types::PeerStories {
                peer: objects::peer_channel(peer.channel_id),
                max_read_id: None,
                stories: items
                    .iter()
                    .map(|item| objects::story(item, peer.channel_id))
                    .collect(),
            }),
            chats: session.chats(peer),
            users: Vec::new(),
        },
    ))
}

/// The ids newly marked seen.
fn read_stories(
    session: &mut Session<'_>,
    request: tl::functions::stories::ReadStories,
) -> Result<Vec<i32>, RpcError> {
    let peer = inputs::peer(&request.peer)?;
    Ok(session
        .world
        .stories_read_stories(session.now, session.me, peer, request.max_id)?)
}

/// `updates` with `updateMessageReactions` (the user's reaction, chosen, count 1).
fn send_reaction(
    session: &mut Session<'_>,
    request: tl::functions::messages::SendReaction,
) -> Result<tl::enums::Updates, RpcError> {
    let peer = inputs::peer(&request.peer)?;
    let emoji = inputs::emoji(request.reaction.as_deref()).to_owned();
    session
        .world
        .messages_send_reaction(session.now, session.me, peer, request.msg_id, &emoji)?;
    session.record(
        peer.channel_id,
        LedgerEvent::Reaction {
            message_id: request.msg_id,
            emoji: emoji.clone(),
        },
    );
    let reactions = tl::enums::MessageReactions::Reactions(tl::types::MessageReactions {
        min: false,
        can_see_list: false,
        reactions_as_tags: false,
        results: vec![tl::enums::ReactionCount::Count(tl::types::ReactionCount {
            chosen_order: Some(0),
            reaction: tl::enums::Reaction::Emoji(tl::types::ReactionEmoji { emoticon: emoji }),
            count: 1,
        })],
        recent_reactions: None,
        top_reactors: None,
    });
    let update = tl::enums::Update::MessageReactions(tl::types::UpdateMessageReactions {
        peer: objects::peer_channel(peer.channel_id),
        msg_id: request.msg_id,
        top_msg_id: None,
        saved_peer_id: None,
        reactions,
    });
    Ok(objects::updates(
        vec![update],
        Vec::new(),
        session.chats(peer),
        session.now,
    ))
}
