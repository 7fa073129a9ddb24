//! What clients call to catch up and list their chats: `updates.getDifference`,
//! `updates.getChannelDifference`, `messages.getDialogs` and `users.getFullUser`.
//!
//! Telethon calls `updates.getState` at `connect()` and `updates.getDifference` /
//! `updates.getChannelDifference` whenever its update state has a gap or goes quiet
//! (<https://core.telegram.org/api/updates>); `get_dialogs` is `messages.getDialogs` and
//! `get_entity`/`GetFullUserRequest` is `users.getFullUser`. The world has no updates to
//! replay (every account event is answered in its call's own `updates`), so a difference is
//! empty apart from the new state and, for a channel, the messages above the client's `pts`.

use std::collections::BTreeSet;

use grammers_tl_types as tl;
use tg_world::{InputChannel, Message, UserId};

use super::{Session, WorldBackend, inputs, objects};
use crate::backend::{CallContext, RpcCall, RpcError, RpcResponse};
use crate::shapes;

/// The most messages one channel difference carries (Telegram's `limit` for users is 100).
const CHANNEL_DIFFERENCE_MAX: i32 = 100;

/// Serves the methods of this module.
pub(super) fn serve(
    backend: &WorldBackend,
    ctx: &CallContext,
    call: &RpcCall,
) -> Option<RpcResponse> {
    let session = || backend.session(ctx);
    call.serve(|request| get_difference(&mut session()?, request))
        .or_else(|| call.serve(|request| get_channel_difference(&mut session()?, request)))
        .or_else(|| call.serve(|request| get_dialogs(&mut session()?, request)))
        .or_else(|| call.serve(|request| get_full_user(&mut session()?, request)))
}

impl Session<'_> {
    /// The `user` objects of the authors of `messages`.
    fn authors(&self, messages: &[Message]) -> Vec<tl::enums::User> {
        let authors: BTreeSet<UserId> = messages.iter().filter_map(|m| m.from_user).collect();
        authors.into_iter().map(|user| self.author(user)).collect()
    }
}

/// `updates.differenceEmpty` when the client's `pts` is the account's, else
/// `updates.difference` with no new messages and the account's current state.
fn get_difference(
    session: &mut Session<'_>,
    request: tl::functions::updates::GetDifference,
) -> Result<tl::enums::updates::Difference, RpcError> {
    let state = session.world.updates_get_state(session.now, session.me)?;
    let date = objects::timestamp(state.date);
    if request.pts == state.pts {
        return Ok(tl::enums::updates::Difference::Empty(
            tl::types::updates::DifferenceEmpty {
                date,
                seq: state.seq,
            },
        ));
    }
    Ok(tl::enums::updates::Difference::Difference(
        tl::types::updates::Difference {
            new_messages: Vec::new(),
            new_encrypted_messages: Vec::new(),
            other_updates: Vec::new(),
            chats: Vec::new(),
            users: Vec::new(),
            state: shapes::updates_state(state.pts, date, state.seq),
        },
    ))
}

/// The channel's `pts` is its newest message id (as in `updateNewChannelMessage`): the
/// messages above the client's `pts` (the newest `limit`, at most 100), read as history,
/// or `updates.channelDifferenceEmpty`. Both are `final`.
fn get_channel_difference(
    session: &mut Session<'_>,
    request: tl::functions::updates::GetChannelDifference,
) -> Result<tl::enums::updates::ChannelDifference, RpcError> {
    let channel = inputs::channel(&request.channel)?;
    let limit = request.limit.clamp(1, CHANNEL_DIFFERENCE_MAX);
    let history = session.world.messages_get_history(
        session.now,
        session.me,
        channel,
        0,
        limit.cast_unsigned(),
    )?;
    let pts = i32::try_from(history.count).unwrap_or(i32::MAX);
    let new: Vec<Message> = history
        .messages
        .into_iter()
        .filter(|message| message.id > request.pts)
        .rev()
        .collect();
    if new.is_empty() {
        return Ok(tl::enums::updates::ChannelDifference::Empty(
            tl::types::updates::ChannelDifferenceEmpty {
                r#final: true,
                pts: pts.max(request.pts),
                timeout: None,
            },
        ));
    }
    Ok(tl::enums::updates::ChannelDifference::Difference(
        tl::types::updates::ChannelDifference {
            r#final: true,
            pts,
            timeout: None,
            new_messages: new.iter().map(objects::message).collect(),
            other_updates: Vec::new(),
            chats: session.chats(channel),
            users: session.authors(&new),
        },
    ))
}

/// `messages.dialogs`: one dialog per group the account is a member of, with its newest
/// message (read as a one-message history, so each dialog uses the history budget, which
/// Telegram's dialogs share). Paging parameters are not modelled: every dialog comes at once.
fn get_dialogs(
    session: &mut Session<'_>,
    _request: tl::functions::messages::GetDialogs,
) -> Result<tl::enums::messages::Dialogs, RpcError> {
    let label = session
        .world
        .label(session.me)
        .expect("an authorized user is a scenario account")
        .to_owned();
    let member_of: Vec<InputChannel> = session
        .world
        .memberships(&label, session.now)
        .into_iter()
        .filter(|view| view.standing.is_member())
        .map(|view| session.world.input_channel(session.me, view.channel_id))
        .collect();
    let mut dialogs = Vec::new();
    let mut messages = Vec::new();
    let mut chats = Vec::new();
    for channel in member_of {
        let history = session
            .world
            .messages_get_history(session.now, session.me, channel, 0, 1)?;
        let read = session
            .world
            .membership(&label, channel.channel_id, session.now)
            .map_or(0, |view| view.read_max_id);
        let top = history.messages.first().map_or(0, |message| message.id);
        dialogs.push(tl::enums::Dialog::Dialog(tl::types::Dialog {
            pinned: false,
            unread_mark: false,
            view_forum_as_messages: false,
            peer: objects::peer_channel(channel.channel_id),
            top_message: top,
            read_inbox_max_id: read,
            read_outbox_max_id: top,
            unread_count: (top - read).max(0),
            unread_mentions_count: 0,
            unread_reactions_count: 0,
            unread_poll_votes_count: 0,
            notify_settings: objects::notify_settings(),
            pts: Some(top.max(1)),
            draft: None,
            folder_id: None,
            ttl_period: None,
        }));
        messages.extend(history.messages);
        chats.extend(session.chats(channel));
    }
    let mut users = session.authors(&messages);
    users.extend(session.me_users());
    Ok(tl::enums::messages::Dialogs::Dialogs(
        tl::types::messages::Dialogs {
            dialogs,
            messages: messages.iter().map(objects::message).collect(),
            chats,
            users,
        },
    ))
}

/// `users.userFull` for the acting user (`inputUserSelf` or its own id) or another scenario
/// account whose access hash matches; `USER_ID_INVALID` otherwise (Telethon's
/// `telethon_generator/data/errors.csv` lists it for `users.getFullUser`).
fn get_full_user(
    session: &mut Session<'_>,
    request: tl::functions::users::GetFullUser,
) -> Result<tl::enums::users::UserFull, RpcError> {
    let me = session
        .world
        .users_get_users_self(session.now, session.me)?;
    let (info, is_self) = match &request.id {
        tl::enums::InputUser::UserSelf => (me, true),
        tl::enums::InputUser::User(user) if user.user_id == me.id.0 => (me, true),
        tl::enums::InputUser::User(user) => session
            .world
            .user_info_of(UserId(user.user_id))
            .filter(|info| info.access_hash == user.access_hash)
            .map(|info| (info, false))
            .ok_or(RpcError::new(400, "USER_ID_INVALID"))?,
        _ => return Err(RpcError::new(400, "USER_ID_INVALID")),
    };
    Ok(tl::enums::users::UserFull::Full(
        tl::types::users::UserFull {
            full_user: objects::user_full(info.id.0),
            chats: Vec::new(),
            users: vec![objects::user(&info, is_self)],
        },
    ))
}
