//! RPC errors exactly as Telegram sends them and grammers splits them.

use std::fmt;

/// An RPC error, split the way grammers splits `rpc_error.error_message`:
/// `FLOOD_WAIT_31` becomes `name = "FLOOD_WAIT"`, `value = Some(31)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RpcError {
    /// Telegram's error code (400, 401, 403, 420, 500, …).
    pub code: i32,
    /// The error name in screaming snake case, without the number.
    pub name: String,
    /// The number Telegram put in the name (seconds to wait, …), if any.
    pub value: Option<u32>,
}

impl RpcError {
    /// An error without a value.
    pub fn new(code: i32, name: &str) -> Self {
        Self {
            code,
            name: name.to_owned(),
            value: None,
        }
    }

    /// An error carrying a number, such as `FLOOD_WAIT_31`.
    pub fn with_value(code: i32, name: &str, value: u32) -> Self {
        Self {
            code,
            name: name.to_owned(),
            value: Some(value),
        }
    }

    /// The `error_message` as it travels on the wire (`FLOOD_WAIT_31`).
    pub fn message(&self) -> String {
        match self.value {
            Some(value) => format!("{}_{value}", self.name),
            None => self.name.clone(),
        }
    }

    /// Whether this is the error named `name`.
    pub fn is(&self, name: &str) -> bool {
        self.name == name
    }

    /// `FLOOD_WAIT_X` (420): the method's rate budget is exhausted for `secs` seconds.
    pub fn flood_wait(secs: u32) -> Self {
        Self::with_value(420, "FLOOD_WAIT", secs)
    }

    /// `SLOWMODE_WAIT_X` (420): the group's slow mode allows the next message in `secs` seconds.
    pub fn slowmode_wait(secs: u32) -> Self {
        Self::with_value(420, "SLOWMODE_WAIT", secs)
    }

    pub(crate) fn bad_request(name: &str) -> Self {
        Self::new(400, name)
    }

    pub(crate) fn unauthorized(name: &str) -> Self {
        Self::new(401, name)
    }

    pub(crate) fn forbidden(name: &str) -> Self {
        Self::new(403, name)
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rpc error {}: {}", self.code, self.message())
    }
}

impl std::error::Error for RpcError {}

/// The error names the world produces, so tests and tg-sim never misspell them.
pub mod names {
    /// The account's rate budget for the method is exhausted (420, with seconds).
    pub const FLOOD_WAIT: &str = "FLOOD_WAIT";
    /// The group's slow mode forbids sending yet (420, with seconds).
    pub const SLOWMODE_WAIT: &str = "SLOWMODE_WAIT";
    /// The account is spam-limited after a burst of sends (400).
    pub const PEER_FLOOD: &str = "PEER_FLOOD";
    /// The account is in too many channels and supergroups (400).
    pub const CHANNELS_TOO_MUCH: &str = "CHANNELS_TOO_MUCH";
    /// Unknown channel id or a wrong access hash for this user (400).
    pub const CHANNEL_INVALID: &str = "CHANNEL_INVALID";
    /// The channel is private to this user, deleted, or the user was kicked (400).
    pub const CHANNEL_PRIVATE: &str = "CHANNEL_PRIVATE";
    /// No channel has this username (any more) (400).
    pub const USERNAME_NOT_OCCUPIED: &str = "USERNAME_NOT_OCCUPIED";
    /// The username breaks Telegram's username syntax (400).
    pub const USERNAME_INVALID: &str = "USERNAME_INVALID";
    /// The invite link expired or its group was deleted (400).
    pub const INVITE_HASH_EXPIRED: &str = "INVITE_HASH_EXPIRED";
    /// The invite link never existed (400).
    pub const INVITE_HASH_INVALID: &str = "INVITE_HASH_INVALID";
    /// A join request was sent; an admin must approve it (400).
    pub const INVITE_REQUEST_SENT: &str = "INVITE_REQUEST_SENT";
    /// The user already is a member (400).
    pub const USER_ALREADY_PARTICIPANT: &str = "USER_ALREADY_PARTICIPANT";
    /// The user is not a member (400).
    pub const USER_NOT_PARTICIPANT: &str = "USER_NOT_PARTICIPANT";
    /// Telegram froze the account: the method is not allowed (420, no value).
    pub const FROZEN_METHOD_INVALID: &str = "FROZEN_METHOD_INVALID";
    /// A repeated `random_id`: the message was sent already (500).
    pub const RANDOM_ID_DUPLICATE: &str = "RANDOM_ID_DUPLICATE";
    /// The group charges this many Stars per message (403; PyroTGFork
    /// 403_FORBIDDEN.tsv:3 ALLOW_PAYMENT_REQUIRED_X).
    pub const ALLOW_PAYMENT_REQUIRED: &str = "ALLOW_PAYMENT_REQUIRED";
    /// The group refuses link previews: `embed_links` is banned (403; PyroTGFork
    /// 403_FORBIDDEN.tsv:29).
    pub const CHAT_SEND_WEBPAGE_FORBIDDEN: &str = "CHAT_SEND_WEBPAGE_FORBIDDEN";
    /// The group refuses photos (403).
    pub const CHAT_SEND_PHOTOS_FORBIDDEN: &str = "CHAT_SEND_PHOTOS_FORBIDDEN";
    /// The group refuses documents (403).
    pub const CHAT_SEND_DOCS_FORBIDDEN: &str = "CHAT_SEND_DOCS_FORBIDDEN";
    /// The group refuses videos (403).
    pub const CHAT_SEND_VIDEOS_FORBIDDEN: &str = "CHAT_SEND_VIDEOS_FORBIDDEN";
    /// The user may not send here: banned, restricted personally, or spam-limited
    /// account-wide (400).
    pub const USER_BANNED_IN_CHANNEL: &str = "USER_BANNED_IN_CHANNEL";
    /// Writing is forbidden: broadcast channel, non-member, no sending rights, links banned (403).
    pub const CHAT_WRITE_FORBIDDEN: &str = "CHAT_WRITE_FORBIDDEN";
    /// The default rights forbid plain text messages (403).
    pub const CHAT_SEND_PLAIN_FORBIDDEN: &str = "CHAT_SEND_PLAIN_FORBIDDEN";
    /// The default rights forbid media (403).
    pub const CHAT_SEND_MEDIA_FORBIDDEN: &str = "CHAT_SEND_MEDIA_FORBIDDEN";
    /// Non-members must join before writing (403).
    pub const CHAT_GUEST_SEND_FORBIDDEN: &str = "CHAT_GUEST_SEND_FORBIDDEN";
    /// The forum topic is closed to members who cannot manage topics (400; PyroTGFork
    /// 400_BAD_REQUEST.tsv:620).
    pub const TOPIC_CLOSED: &str = "TOPIC_CLOSED";
    /// The supergroup is not a forum (400; Telethon errors.csv:70).
    pub const CHANNEL_FORUM_MISSING: &str = "CHANNEL_FORUM_MISSING";
    /// The source channel forbids forwarding (400).
    pub const CHAT_FORWARDS_RESTRICTED: &str = "CHAT_FORWARDS_RESTRICTED";
    /// The peer is not a channel the world knows (400).
    pub const PEER_ID_INVALID: &str = "PEER_ID_INVALID";
    /// The message id does not exist in the chat (400).
    pub const MESSAGE_ID_INVALID: &str = "MESSAGE_ID_INVALID";
    /// The media is invalid or unknown (400; Telethon errors.csv MEDIA_INVALID).
    pub const MEDIA_INVALID: &str = "MEDIA_INVALID";
    /// The message text is empty (400).
    pub const MESSAGE_EMPTY: &str = "MESSAGE_EMPTY";
    /// Reactions are disabled or the emoji is not allowed (400).
    pub const REACTION_INVALID: &str = "REACTION_INVALID";
    /// The auth key is unknown, not logged in, or its session was revoked (401).
    pub const AUTH_KEY_UNREGISTERED: &str = "AUTH_KEY_UNREGISTERED";
    /// Telegram deactivated (banned) the account (401).
    pub const USER_DEACTIVATED_BAN: &str = "USER_DEACTIVATED_BAN";
    /// Sign-in needs the account's 2FA password next (401).
    pub const SESSION_PASSWORD_NEEDED: &str = "SESSION_PASSWORD_NEEDED";
    /// No account has this phone number (400).
    pub const PHONE_NUMBER_INVALID: &str = "PHONE_NUMBER_INVALID";
    /// The phone number belongs to a deactivated account (400).
    pub const PHONE_NUMBER_BANNED: &str = "PHONE_NUMBER_BANNED";
    /// The login code is wrong (400).
    pub const PHONE_CODE_INVALID: &str = "PHONE_CODE_INVALID";
    /// The `phone_code_hash` does not belong to the last code sent to this key (400).
    pub const PHONE_CODE_EXPIRED: &str = "PHONE_CODE_EXPIRED";
    /// The login must restart from `auth.sendCode` (400).
    pub const AUTH_RESTART: &str = "AUTH_RESTART";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_puts_the_value_back() {
        assert_eq!(RpcError::flood_wait(31).message(), "FLOOD_WAIT_31");
        assert_eq!(RpcError::slowmode_wait(7).message(), "SLOWMODE_WAIT_7");
        assert_eq!(
            RpcError::bad_request(names::CHANNEL_PRIVATE).message(),
            "CHANNEL_PRIVATE"
        );
        assert_eq!(
            RpcError::flood_wait(31).to_string(),
            "rpc error 420: FLOOD_WAIT_31"
        );
    }
}
