//! The acting user, update state, look-ups, joins, invites, participants and leaves.

use grammers_tl_types as tl;
use tg_world::{ChatInvite, InputChannel, LedgerEvent, UserId};

use super::{Session, WorldBackend, inputs, objects};
use crate::backend::{CallContext, RpcCall, RpcError, RpcResponse};
use crate::shapes;

/// Serves the methods of this module.
pub(super) fn serve(
    backend: &WorldBackend,
    ctx: &CallContext,
    call: &RpcCall,
) -> Option<RpcResponse> {
    let session = || backend.session(ctx);
    call.serve(|request| get_users(&mut session()?, request))
        .or_else(|| call.serve(|_: tl::functions::updates::GetState| get_state(&mut session()?)))
        .or_else(|| call.serve(|request| resolve_username(&mut session()?, request)))
        .or_else(|| call.serve(|request| join_channel(&mut session()?, request)))
        .or_else(|| call.serve(|request| check_chat_invite(&mut session()?, request)))
        .or_else(|| call.serve(|request| import_chat_invite(&mut session()?, request)))
        .or_else(|| call.serve(|request| get_participant(&mut session()?, request)))
        .or_else(|| call.serve(|request| get_full_channel(&mut session()?, request)))
        .or_else(|| call.serve(|request| leave_channel(&mut session()?, request)))
        .or_else(|| call.serve(|request| get_forum_topics_by_id(&mut session()?, request)))
}

impl Session<'_> {
    /// The acting user's own `user` object, for the `users` of an answer.
    pub(super) fn me_users(&self) -> Vec<tl::enums::User> {
        self.world
            .user_info_of(self.me)
            .map(|info| objects::user(&info, true))
            .into_iter()
            .collect()
    }

    /// The `user` object of a message author: a scenario account, or a member outside it.
    pub(super) fn author(&self, user: UserId) -> tl::enums::User {
        match self.world.user_info_of(user) {
            Some(info) => objects::user(&info, user == self.me),
            None => objects::stranger(user),
        }
    }

    /// The channel as the acting user sees it now, for the `chats` of an answer.
    pub(super) fn chats(&self, channel: InputChannel) -> Vec<tl::enums::Chat> {
        self.world
            .channel_seen_by(self.now, self.me, channel)
            .map(|info| objects::channel(&info))
            .into_iter()
            .collect()
    }

    /// Whether the acting user is a member of the channel now.
    fn is_member(&self, channel_id: i64) -> bool {
        self.world
            .label(self.me)
            .and_then(|label| self.world.membership(label, channel_id, self.now))
            .is_some_and(|view| view.standing.is_member())
    }

    /// Appends an accepted action of the acting user to the world's ledger.
    pub(super) fn record(&mut self, chat: i64, event: LedgerEvent) {
        self.world.record(self.now, self.me, chat, event);
    }

    /// `updates` with `updateChannel` for a join or a leave, the user and the channel.
    fn channel_updates(&self, channel_id: i64, chats: Vec<tl::enums::Chat>) -> tl::enums::Updates {
        objects::updates(
            vec![objects::update_channel(channel_id)],
            self.me_users(),
            chats,
            self.now,
        )
    }
}

/// `users.getUsers`: the acting user for `inputUserSelf` (or its own id); other scenario
/// accounts when the access hash matches; unknown users are left out.
fn get_users(
    session: &mut Session<'_>,
    request: tl::functions::users::GetUsers,
) -> Result<Vec<tl::enums::User>, RpcError> {
    let me = session
        .world
        .users_get_users_self(session.now, session.me)?;
    Ok(request
        .id
        .iter()
        .filter_map(|input| match input {
            tl::enums::InputUser::UserSelf => Some(objects::user(&me, true)),
            tl::enums::InputUser::User(user) if user.user_id == me.id.0 => {
                Some(objects::user(&me, true))
            }
            tl::enums::InputUser::User(user) => session
                .world
                .user_info_of(UserId(user.user_id))
                .filter(|info| info.access_hash == user.access_hash)
                .map(|info| objects::user(&info, false)),
            _ => None,
        })
        .collect())
}

/// `updates.getState`: `pts` counts the account's own events.
fn get_state(session: &mut Session<'_>) -> Result<tl::enums::updates::State, RpcError> {
    let state = session.world.updates_get_state(session.now, session.me)?;
    Ok(shapes::updates_state(
        state.pts,
        objects::timestamp(state.date),
        state.seq,
    ))
}

/// `contacts.resolvedPeer`: `peerChannel` with the channel (or `channelForbidden`) in `chats`.
fn resolve_username(
    session: &mut Session<'_>,
    request: tl::functions::contacts::ResolveUsername,
) -> Result<tl::enums::contacts::ResolvedPeer, RpcError> {
    let info =
        session
            .world
            .contacts_resolve_username(session.now, session.me, &request.username)?;
    Ok(tl::enums::contacts::ResolvedPeer::Peer(
        tl::types::contacts::ResolvedPeer {
            peer: objects::peer_channel(info.id),
            chats: vec![objects::channel(&info)],
            users: Vec::new(),
        },
    ))
}

/// `messages.chatInviteJoinResultOk` with `updates` carrying `updateChannel` and the channel.
fn joined(
    session: &Session<'_>,
    info: &tg_world::ChannelInfo,
) -> tl::enums::messages::ChatInviteJoinResult {
    let chats = vec![objects::channel(info)];
    let updates = if info.basic {
        // A basic group's join brings the `chat`, with no channel update.
        objects::updates(Vec::new(), session.me_users(), chats, session.now)
    } else {
        session.channel_updates(info.id, chats)
    };
    tl::enums::messages::ChatInviteJoinResult::Ok(tl::types::messages::ChatInviteJoinResultOk {
        updates,
    })
}

fn join_channel(
    session: &mut Session<'_>,
    request: tl::functions::channels::JoinChannel,
) -> Result<tl::enums::messages::ChatInviteJoinResult, RpcError> {
    let channel = inputs::channel(&request.channel)?;
    let already_member = session.is_member(channel.channel_id);
    let info = session
        .world
        .channels_join_channel(session.now, session.me, channel)?;
    session.record(info.id, LedgerEvent::Join { already_member });
    Ok(joined(session, &info))
}

fn import_chat_invite(
    session: &mut Session<'_>,
    request: tl::functions::messages::ImportChatInvite,
) -> Result<tl::enums::messages::ChatInviteJoinResult, RpcError> {
    let already_member = session
        .world
        .channel_by_invite(&request.hash)
        .is_some_and(|channel_id| session.is_member(channel_id));
    let info = session
        .world
        .messages_import_chat_invite(session.now, session.me, &request.hash)?;
    session.record(info.id, LedgerEvent::Join { already_member });
    Ok(joined(session, &info))
}

/// `chatInviteAlready` for members; `chatInvitePeek` (the channel, `left`) when a non-member
/// can read the group anyway (it has a public username); `chatInvite` otherwise.
fn check_chat_invite(
    session: &mut Session<'_>,
    request: tl::functions::messages::CheckChatInvite,
) -> Result<tl::enums::ChatInvite, RpcError> {
    let invite =
        session
            .world
            .messages_check_chat_invite(session.now, session.me, &request.hash)?;
    Ok(match invite {
        ChatInvite::Already(info) => tl::enums::ChatInvite::Already(tl::types::ChatInviteAlready {
            chat: objects::channel(&info),
        }),
        ChatInvite::Invite(preview) => {
            let peek = preview
                .public
                .then(|| session.world.channel_by_invite(&request.hash))
                .flatten()
                .map(|channel_id| session.world.input_channel(session.me, channel_id))
                .and_then(|channel| session.chats(channel).pop());
            match peek {
                Some(chat) => tl::enums::ChatInvite::Peek(tl::types::ChatInvitePeek {
                    chat,
                    expires: objects::peek_expires(session.now),
                }),
                None => objects::chat_invite(&preview),
            }
        }
    })
}

/// `channels.channelParticipant` for `inputPeerSelf` (or the user's own `inputPeerUser`),
/// with the channel in `chats` and the user in `users`. Other participants:
/// `PARTICIPANT_ID_INVALID`.
fn get_participant(
    session: &mut Session<'_>,
    request: tl::functions::channels::GetParticipant,
) -> Result<tl::enums::channels::ChannelParticipant, RpcError> {
    let is_me = match &request.participant {
        tl::enums::InputPeer::PeerSelf => true,
        tl::enums::InputPeer::User(user) => user.user_id == session.me.0,
        _ => false,
    };
    if !is_me {
        return Err(RpcError::new(400, "PARTICIPANT_ID_INVALID"));
    }
    let channel = inputs::channel(&request.channel)?;
    let found = session
        .world
        .channels_get_participant_self(session.now, session.me, channel)?;
    Ok(tl::enums::channels::ChannelParticipant::Participant(
        tl::types::channels::ChannelParticipant {
            participant: objects::participant(&found.participant, session.me),
            chats: vec![objects::channel(&found.channel)],
            users: session.me_users(),
        },
    ))
}

fn get_full_channel(
    session: &mut Session<'_>,
    request: tl::functions::channels::GetFullChannel,
) -> Result<tl::enums::messages::ChatFull, RpcError> {
    let channel = inputs::channel(&request.channel)?;
    let full = session
        .world
        .channels_get_full_channel(session.now, session.me, channel)?;
    let me = session
        .world
        .user_info_of(session.me)
        .ok_or_else(|| RpcError::new(401, tg_world::names::AUTH_KEY_UNREGISTERED))?;
    Ok(objects::chat_full(&full, &me))
}

/// `messages.forumTopics` for the topics asked for (`inputPeerChannel` only).
fn get_forum_topics_by_id(
    session: &mut Session<'_>,
    request: tl::functions::messages::GetForumTopicsById,
) -> Result<tl::enums::messages::ForumTopics, RpcError> {
    let channel = inputs::peer(&request.peer)?;
    let topics = session.world.messages_get_forum_topics_by_id(
        session.now,
        session.me,
        channel,
        &request.topics,
    )?;
    Ok(objects::forum_topics(
        &topics,
        session.chats(channel),
        channel.channel_id,
        session.now,
    ))
}

/// `updates` with `updateChannel` and the channel, now `left`.
fn leave_channel(
    session: &mut Session<'_>,
    request: tl::functions::channels::LeaveChannel,
) -> Result<tl::enums::Updates, RpcError> {
    let channel = inputs::channel(&request.channel)?;
    session
        .world
        .channels_leave_channel(session.now, session.me, channel)?;
    session.record(channel.channel_id, LedgerEvent::Leave);
    Ok(session.channel_updates(channel.channel_id, session.chats(channel)))
}
