//! The seam between the wire and whatever serves requests.
//!
//! The wire decrypts, unwraps `invokeWithLayer` / `initConnection` / `invokeWithoutUpdates` /
//! `invokeAfterMsg(s)`, answers MTProto service messages and `help.getConfig` itself, applies
//! faults, and hands every other RPC call to a [`Backend`] with a [`CallContext`] naming the
//! auth key it arrived on. Which user a key is signed in as is the backend's state.

use std::fmt;
use std::sync::Arc;

use grammers_tl_types::{self as tl, Deserializable, Identifiable, RemoteCall, Serializable};

use crate::crypto::{AuthKey, AuthKeyId};

/// The serialized answer to one call, or the error Telegram would send instead.
pub type RpcResponse = Result<Vec<u8>, RpcError>;

/// Serves RPC calls for the simulated server.
///
/// Calls arrive on the connection's task; implementations should be quick (no blocking I/O)
/// and internally synchronized.
pub trait Backend: Send + Sync + 'static {
    /// Answers one RPC call (already unwrapped from `invokeWithLayer` and friends).
    ///
    /// Return [`RpcError::method_invalid`] for calls the backend does not serve.
    fn handle(&self, ctx: &CallContext, call: &RpcCall) -> RpcResponse;

    /// Looks up an auth key that was not registered with the server directly.
    ///
    /// The server consults its own registry first; a key found by neither is answered with
    /// transport error `-404`, as Telegram does for unknown keys.
    fn find_auth_key(&self, _id: AuthKeyId) -> Option<AuthKey> {
        None
    }
}

impl<B: Backend + ?Sized> Backend for Arc<B> {
    fn handle(&self, ctx: &CallContext, call: &RpcCall) -> RpcResponse {
        (**self).handle(ctx, call)
    }

    fn find_auth_key(&self, id: AuthKeyId) -> Option<AuthKey> {
        (**self).find_auth_key(id)
    }
}

/// The API layers tg-sim serves. Its answers are built from grammers-tl-types 0.11 (layer
/// 230). Compared constructor by constructor with Telethon 1.45.0's generated types (layer
/// 229), the two differ only in bot verification, passkeys, wallets and TON, on-ramp and
/// currency-rate constructors, none of which tg-sim sends, so both read every answer. A call
/// wrapped in `invokeWithLayer` with another layer is refused with
/// [`RpcError::layer_invalid`] and the layer is logged.
pub const SERVED_LAYERS: std::ops::RangeInclusive<i32> = 229..=grammers_tl_types::LAYER;

/// What the client told the server in `initConnection`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// The application id.
    pub api_id: i32,
    /// The API layer from `invokeWithLayer`, if the client sent one.
    pub layer: Option<i32>,
    /// Device model.
    pub device_model: String,
    /// Operating system version.
    pub system_version: String,
    /// Application version.
    pub app_version: String,
    /// Language code of the operating system.
    pub system_lang_code: String,
    /// Language code of the application.
    pub lang_code: String,
}

/// Where a call came from.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// The authorization key the call was encrypted with. Backends bind it to a user at
    /// sign-in and look the user up by it on every later call.
    pub auth_key_id: AuthKeyId,
    /// The client's MTProto session id.
    pub session_id: i64,
    /// The message id the call arrived with (unique per session).
    pub msg_id: i64,
    /// A server-unique number of the TCP connection.
    pub connection_id: u64,
    /// What the client sent in `initConnection` on this connection, once it has.
    pub client: Option<Arc<ClientInfo>>,
}

/// The functions tg-sim serves whose `channel:InputChannel` parameter starts at this
/// offset of the call's body (after the function's constructor id and, where it has
/// one, its flags).
const CHANNEL_PARAMETER_AT: [(u32, usize); 6] = [
    (tl::functions::channels::JoinChannel::CONSTRUCTOR_ID, 4),
    (tl::functions::channels::LeaveChannel::CONSTRUCTOR_ID, 4),
    (tl::functions::channels::GetFullChannel::CONSTRUCTOR_ID, 4),
    (tl::functions::channels::GetParticipant::CONSTRUCTOR_ID, 4),
    (tl::functions::channels::ReadHistory::CONSTRUCTOR_ID, 4),
    (
        tl::functions::updates::GetChannelDifference::CONSTRUCTOR_ID,
        8,
    ),
];

/// One RPC call: the serialized TL function, constructor id first.
#[derive(Clone, PartialEq, Eq)]
pub struct RpcCall {
    body: Vec<u8>,
}

impl RpcCall {
    /// Wraps a serialized function. `None` if it is shorter than a constructor id.
    ///
    /// A channel peer where a function expects an `InputChannel` is read as that channel,
    /// as Telegram reads it: Pyrogram and its forks pass `resolve_peer`'s
    /// `inputPeerChannel` straight into `channels.joinChannel`
    /// (pyrogram/pyrogram `pyrogram/methods/chats/join_chat.py`:
    /// `JoinChannel(channel=await self.resolve_peer(chat_id))`; the same in
    /// `get_chat_member.py` with `channels.getParticipant`), and their users join
    /// and read channels that way. The two constructors have the same fields
    /// (`inputPeerChannel#27bcbbfc` / `inputChannel#f35aec28`: channel_id, access_hash;
    /// `inputPeerChannelFromMessage#bd2a0840` / `inputChannelFromMessage#5b934f9d`:
    /// peer, msg_id, channel_id; core.telegram.org/type/InputPeer and
    /// /type/InputChannel), so only the constructor id is rewritten.
    pub fn from_body(mut body: Vec<u8>) -> Option<Self> {
        if body.len() < 4 {
            return None;
        }
        let function = u32::from_le_bytes(body[..4].try_into().expect("4 bytes"));
        if let Some(&(_, at)) = CHANNEL_PARAMETER_AT
            .iter()
            .find(|(constructor, _)| *constructor == function)
            && let Some(slot) = body.get_mut(at..at + 4)
        {
            let given = u32::from_le_bytes(slot.try_into().expect("4 bytes"));
            let channel = if given == tl::types::InputPeerChannel::CONSTRUCTOR_ID {
                Some(tl::types::InputChannel::CONSTRUCTOR_ID)
            } else if given == tl::types::InputPeerChannelFromMessage::CONSTRUCTOR_ID {
                Some(tl::types::InputChannelFromMessage::CONSTRUCTOR_ID)
            } else {
                None
            };
            if let Some(channel) = channel {
                slot.copy_from_slice(&channel.to_le_bytes());
            }
        }
        Some(Self { body })
    }

    /// Builds a call from a typed function (handy in tests).
    pub fn of<F: Serializable>(function: &F) -> Self {
        Self {
            body: function.to_bytes(),
        }
    }

    /// The function's constructor id.
    pub fn constructor_id(&self) -> u32 {
        u32::from_le_bytes(self.body[..4].try_into().expect("at least 4 bytes"))
    }

    /// The function's TL name (`"users.getUsers"`), or `"?"` outside layer 230.
    pub fn name(&self) -> &'static str {
        tl::name_for_id(self.constructor_id())
    }

    /// Whether this call is an `F`.
    pub fn is<F: Identifiable>(&self) -> bool {
        self.constructor_id() == F::CONSTRUCTOR_ID
    }

    /// The serialized function.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Decodes the call as an `F`: `None` if it is another function, `400 INPUT_FETCH_ERROR`
    /// (Telegram's answer to undecodable parameters) if it does not deserialize.
    pub fn decode<F: Identifiable + Deserializable>(&self) -> Option<Result<F, RpcError>> {
        self.is::<F>().then(|| {
            F::from_bytes(&self.body[4..]).map_err(|_| RpcError::new(400, "INPUT_FETCH_ERROR"))
        })
    }

    /// If this call is an `F`, decodes it, runs `handler` and serializes its answer.
    ///
    /// ```
    /// use grammers_tl_types as tl;
    /// use tg_sim::{RpcCall, RpcError};
    ///
    /// let call = RpcCall::of(&tl::functions::updates::GetState {});
    /// let answer = call.serve(|_: tl::functions::updates::GetState| {
    ///     Err::<tl::enums::updates::State, _>(RpcError::auth_key_unregistered())
    /// });
    /// assert_eq!(answer, Some(Err(RpcError::auth_key_unregistered())));
    /// ```
    pub fn serve<F, H>(&self, handler: H) -> Option<RpcResponse>
    where
        F: RemoteCall + Identifiable + Deserializable,
        F::Return: Serializable,
        H: FnOnce(F) -> Result<F::Return, RpcError>,
    {
        self.decode::<F>()
            .map(|decoded| decoded.and_then(handler).map(|answer| answer.to_bytes()))
    }
}

impl fmt::Debug for RpcCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpcCall")
            .field("name", &self.name())
            .field("len", &self.body.len())
            .finish()
    }
}

/// An RPC error as Telegram sends it: a code and a message whose numeric part (if any) is the
/// value (`420 FLOOD_WAIT_31`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} {message}")]
pub struct RpcError {
    /// HTTP-like code (400, 401, 403, 420, 500...).
    pub code: i32,
    /// The error message, value included (`FLOOD_WAIT_31`).
    pub message: String,
}

impl RpcError {
    /// An error with a code and a full message.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// An error whose message carries a value, Telegram style: `NAME_VALUE`
    /// (`with_value(420, "FLOOD_WAIT", 31)` is `FLOOD_WAIT_31`).
    pub fn with_value(code: i32, name: &str, value: u32) -> Self {
        Self::new(code, format!("{name}_{value}"))
    }

    /// `420 FLOOD_WAIT_<seconds>`.
    pub fn flood_wait(seconds: u32) -> Self {
        Self::with_value(420, "FLOOD_WAIT", seconds)
    }

    /// `400 INPUT_METHOD_INVALID_<constructor id>`: Telegram's answer to a method it does not
    /// know; the client sees name `INPUT_METHOD_INVALID` and the constructor id as value.
    pub fn method_invalid(call: &RpcCall) -> Self {
        Self::with_value(400, "INPUT_METHOD_INVALID", call.constructor_id())
    }

    /// `401 AUTH_KEY_UNREGISTERED`: the key is not signed in as any user.
    pub fn auth_key_unregistered() -> Self {
        Self::new(401, "AUTH_KEY_UNREGISTERED")
    }

    /// `400 CONNECTION_LAYER_INVALID`: the client's `invokeWithLayer` names a layer the server
    /// does not serve. Listed as "Layer invalid." among the possible errors of
    /// <https://core.telegram.org/method/contacts.resolveUsername> and in Telethon's
    /// `telethon_generator/data/errors.csv`.
    pub fn layer_invalid() -> Self {
        Self::new(400, "CONNECTION_LAYER_INVALID")
    }

    /// `500 INTERNAL`: the injected internal server error.
    pub fn internal() -> Self {
        Self::new(500, "INTERNAL")
    }

    /// The `rpc_error` object the client receives.
    pub fn to_tl(&self) -> tl::enums::RpcError {
        tl::enums::RpcError::Error(tl::types::RpcError {
            error_code: self.code,
            error_message: self.message.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_decodes_runs_and_serializes() {
        let call = RpcCall::of(&tl::functions::updates::GetState {});
        assert_eq!(call.name(), "updates.getState");
        let state = tl::enums::updates::State::State(tl::types::updates::State {
            pts: 1,
            qts: 0,
            date: 2,
            seq: 0,
            unread_count: 0,
        });
        let answered = call.serve(|_: tl::functions::updates::GetState| Ok(state.clone()));
        assert_eq!(answered, Some(Ok(state.to_bytes())));
        assert_eq!(
            call.serve(|_: tl::functions::help::GetConfig| Err(RpcError::internal())),
            None
        );
    }

    #[test]
    fn a_channel_peer_is_read_where_a_channel_is_expected() {
        let peer = tl::types::InputPeerChannel {
            channel_id: 77,
            access_hash: -5,
        };
        // channels.joinChannel with an inputPeerChannel, as Pyrogram serializes it.
        let mut body = tl::functions::channels::JoinChannel::CONSTRUCTOR_ID
            .to_le_bytes()
            .to_vec();
        body.extend(tl::enums::InputPeer::Channel(peer).to_bytes());
        let call = RpcCall::from_body(body).unwrap();
        let decoded = call
            .decode::<tl::functions::channels::JoinChannel>()
            .unwrap();
        assert_eq!(
            decoded.map(|join| join.channel),
            Ok(tl::enums::InputChannel::Channel(tl::types::InputChannel {
                channel_id: 77,
                access_hash: -5,
            }))
        );
        // After flags too (updates.getChannelDifference).
        let difference = tl::functions::updates::GetChannelDifference {
            force: true,
            channel: tl::enums::InputChannel::Channel(tl::types::InputChannel {
                channel_id: 77,
                access_hash: -5,
            }),
            filter: tl::enums::ChannelMessagesFilter::Empty,
            pts: 1,
            limit: 10,
        };
        let mut body = difference.to_bytes();
        body[8..12].copy_from_slice(&tl::types::InputPeerChannel::CONSTRUCTOR_ID.to_le_bytes());
        let call = RpcCall::from_body(body).unwrap();
        assert_eq!(
            call.decode::<tl::functions::updates::GetChannelDifference>(),
            Some(Ok(difference))
        );
        // Other peers stay what they are: a user is no channel.
        let mut body = tl::functions::channels::JoinChannel::CONSTRUCTOR_ID
            .to_le_bytes()
            .to_vec();
        body.extend(tl::enums::InputPeer::PeerSelf.to_bytes());
        let call = RpcCall::from_body(body).unwrap();
        assert_eq!(
            call.decode::<tl::functions::channels::JoinChannel>()
                .map(|decoded| decoded.is_err()),
            Some(true)
        );
    }

    #[test]
    fn undecodable_parameters_are_an_input_fetch_error() {
        let mut body = tl::functions::users::GetUsers { id: vec![] }.to_bytes();
        body.truncate(6);
        let call = RpcCall::from_body(body).unwrap();
        let decoded = call.decode::<tl::functions::users::GetUsers>().unwrap();
        assert_eq!(decoded, Err(RpcError::new(400, "INPUT_FETCH_ERROR")));
    }

    #[test]
    fn errors_carry_values_the_telegram_way() {
        assert_eq!(RpcError::flood_wait(31).message, "FLOOD_WAIT_31");
        let call = RpcCall::of(&tl::functions::help::GetConfig {});
        assert_eq!(
            RpcError::method_invalid(&call).message,
            format!(
                "INPUT_METHOD_INVALID_{}",
                tl::functions::help::GetConfig::CONSTRUCTOR_ID
            )
        );
    }
}
