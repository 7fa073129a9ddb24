//! The port's error taxonomy (docs/design.md) and the one table mapping RPC errors onto it.

use std::time::Duration;

/// Result of a port call.
pub type TgResult<T> = Result<T, TgError>;

/// Everything a Telegram call can end in, as tgfleet's policies see it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TgError {
    /// `FLOOD_WAIT_X` (and other 420s): wait `X` seconds before this kind of call.
    #[error("FloodWait {0}s")]
    FloodWait(u32),
    /// `SLOWMODE_WAIT_X`: the group's slow mode allows the next message in `X` seconds.
    #[error("SlowMode {0}s")]
    SlowMode(u32),
    /// Writing (or this kind of content) is forbidden in the group.
    #[error("Write forbidden ({0})")]
    WriteForbidden(String),
    /// The account is banned in the group.
    #[error("Banned in group ({0})")]
    BannedInGroup(String),
    /// The group is private, vanished, or the invite is invalid or expired.
    #[error("Inaccessible ({0})")]
    Inaccessible(String),
    /// The invite needs admin approval; a join request was sent.
    #[error("Join request sent")]
    JoinRequestSent,
    /// The account is already a member.
    #[error("Already a member")]
    AlreadyMember,
    /// The account is in too many channels and groups (CHANNELS_TOO_MUCH).
    #[error("Too many channels")]
    TooManyChannels,
    /// Telegram limited the account for spam-like behaviour (PEER_FLOOD).
    #[error("PeerFlood")]
    PeerFlood,
    /// The session is not (or no longer) authorized.
    #[error("Unauthorized ({0})")]
    Unauthorized(String),
    /// Telegram deactivated the account.
    #[error("Deactivated ({0})")]
    Deactivated(String),
    /// Network trouble, a timeout or a server-side failure: retry later.
    #[error("Transient ({0})")]
    Transient(String),
    /// Any other error, by its RPC name.
    #[error("Other ({0})")]
    Other(String),
}

impl TgError {
    /// Maps a Telegram RPC error, as grammers reports it (`code`, `name` with the
    /// number split off into `value`), onto the taxonomy. This is the one table;
    /// both adapters use it.
    pub fn from_rpc(code: i32, name: &str, value: Option<u32>) -> Self {
        let owned = || name.to_owned();
        match name {
            "FLOOD_WAIT" | "FLOOD_PREMIUM_WAIT" | "FLOOD_TEST_PHONE_WAIT" => {
                Self::FloodWait(value.unwrap_or(0))
            }
            "SLOWMODE_WAIT" => Self::SlowMode(value.unwrap_or(0)),
            "CHAT_WRITE_FORBIDDEN"
            | "CHAT_SEND_PLAIN_FORBIDDEN"
            | "CHAT_SEND_MEDIA_FORBIDDEN"
            | "CHAT_SEND_PHOTOS_FORBIDDEN"
            | "CHAT_SEND_DOCS_FORBIDDEN"
            | "CHAT_SEND_GIFS_FORBIDDEN"
            | "CHAT_GUEST_SEND_FORBIDDEN"
            | "CHAT_ADMIN_REQUIRED"
            | "CHAT_RESTRICTED"
            | "CHAT_LINKS_FORBIDDEN"
            | "BROADCAST_FORBIDDEN" => Self::WriteForbidden(owned()),
            "USER_BANNED_IN_CHANNEL" | "USER_KICKED" | "CHAT_FORBIDDEN" | "CHANNEL_BANNED" => {
                Self::BannedInGroup(owned())
            }
            "CHANNEL_PRIVATE"
            | "CHANNEL_INVALID"
            | "CHAT_INVALID"
            | "CHAT_ID_INVALID"
            | "PEER_ID_INVALID"
            | "USERNAME_NOT_OCCUPIED"
            | "USERNAME_INVALID"
            | "INVITE_HASH_EXPIRED"
            | "INVITE_HASH_INVALID"
            | "INVITE_HASH_EMPTY" => Self::Inaccessible(owned()),
            "INVITE_REQUEST_SENT" => Self::JoinRequestSent,
            "USER_ALREADY_PARTICIPANT" => Self::AlreadyMember,
            "CHANNELS_TOO_MUCH" => Self::TooManyChannels,
            "PEER_FLOOD" => Self::PeerFlood,
            "USER_DEACTIVATED_BAN" | "USER_DEACTIVATED" => Self::Deactivated(owned()),
            "AUTH_KEY_UNREGISTERED"
            | "AUTH_KEY_INVALID"
            | "AUTH_KEY_PERM_EMPTY"
            | "SESSION_REVOKED"
            | "SESSION_EXPIRED"
            | "SESSION_PASSWORD_NEEDED" => Self::Unauthorized(owned()),
            _ if code == 420 => Self::FloodWait(value.unwrap_or(0)),
            _ if code == 401 => Self::Unauthorized(owned()),
            _ if code >= 500 || code == -500 || code == -503 => Self::Transient(owned()),
            "RPC_CALL_FAIL" | "RPC_MCGET_FAIL" | "TIMEOUT" => Self::Transient(owned()),
            _ => Self::Other(owned()),
        }
    }

    /// The outcome word stored in the event log (`events.outcome`) and used as a metrics label.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::FloodWait(_) => "flood_wait",
            Self::SlowMode(_) => "slow_mode",
            Self::WriteForbidden(_) => "write_forbidden",
            Self::BannedInGroup(_) => "banned",
            Self::Inaccessible(_) => "inaccessible",
            Self::JoinRequestSent => "join_requested",
            Self::AlreadyMember => "already_member",
            Self::TooManyChannels => "too_many_channels",
            Self::PeerFlood => "peer_flood",
            Self::Unauthorized(_) => "unauthorized",
            Self::Deactivated(_) => "deactivated",
            Self::Transient(_) => "transient",
            Self::Other(_) => "other",
        }
    }

    /// The wait Telegram asked for, for `FloodWait` and `SlowMode`.
    pub fn wait(&self) -> Option<Duration> {
        match self {
            Self::FloodWait(secs) | Self::SlowMode(secs) => {
                Some(Duration::from_secs(u64::from(*secs)))
            }
            _ => None,
        }
    }

    /// Whether the account itself can no longer work (Unauthorized or Deactivated).
    pub fn is_account_fatal(&self) -> bool {
        matches!(self, Self::Unauthorized(_) | Self::Deactivated(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_table() {
        let rows: &[(i32, &str, Option<u32>, TgError)] = &[
            (420, "FLOOD_WAIT", Some(31), TgError::FloodWait(31)),
            (420, "FLOOD_PREMIUM_WAIT", Some(5), TgError::FloodWait(5)),
            (420, "SLOWMODE_WAIT", Some(60), TgError::SlowMode(60)),
            (420, "SOMETHING_NEW_WAIT", Some(9), TgError::FloodWait(9)),
            (
                403,
                "CHAT_WRITE_FORBIDDEN",
                None,
                TgError::WriteForbidden("CHAT_WRITE_FORBIDDEN".into()),
            ),
            (
                403,
                "CHAT_SEND_MEDIA_FORBIDDEN",
                None,
                TgError::WriteForbidden("CHAT_SEND_MEDIA_FORBIDDEN".into()),
            ),
            (
                403,
                "CHAT_GUEST_SEND_FORBIDDEN",
                None,
                TgError::WriteForbidden("CHAT_GUEST_SEND_FORBIDDEN".into()),
            ),
            (
                400,
                "USER_BANNED_IN_CHANNEL",
                None,
                TgError::BannedInGroup("USER_BANNED_IN_CHANNEL".into()),
            ),
            (
                400,
                "CHANNEL_PRIVATE",
                None,
                TgError::Inaccessible("CHANNEL_PRIVATE".into()),
            ),
            (
                400,
                "USERNAME_NOT_OCCUPIED",
                None,
                TgError::Inaccessible("USERNAME_NOT_OCCUPIED".into()),
            ),
            (
                400,
                "USERNAME_INVALID",
                None,
                TgError::Inaccessible("USERNAME_INVALID".into()),
            ),
            (
                400,
                "INVITE_HASH_EXPIRED",
                None,
                TgError::Inaccessible("INVITE_HASH_EXPIRED".into()),
            ),
            (
                400,
                "INVITE_HASH_INVALID",
                None,
                TgError::Inaccessible("INVITE_HASH_INVALID".into()),
            ),
            (400, "INVITE_REQUEST_SENT", None, TgError::JoinRequestSent),
            (
                400,
                "USER_ALREADY_PARTICIPANT",
                None,
                TgError::AlreadyMember,
            ),
            (400, "CHANNELS_TOO_MUCH", None, TgError::TooManyChannels),
            (400, "PEER_FLOOD", None, TgError::PeerFlood),
            (
                401,
                "AUTH_KEY_UNREGISTERED",
                None,
                TgError::Unauthorized("AUTH_KEY_UNREGISTERED".into()),
            ),
            (
                401,
                "SESSION_REVOKED",
                None,
                TgError::Unauthorized("SESSION_REVOKED".into()),
            ),
            (
                401,
                "SOME_NEW_401",
                None,
                TgError::Unauthorized("SOME_NEW_401".into()),
            ),
            (
                401,
                "USER_DEACTIVATED_BAN",
                None,
                TgError::Deactivated("USER_DEACTIVATED_BAN".into()),
            ),
            (
                500,
                "INTERDC_CALL_ERROR",
                Some(2),
                TgError::Transient("INTERDC_CALL_ERROR".into()),
            ),
            (-503, "TIMEOUT", None, TgError::Transient("TIMEOUT".into())),
            (
                400,
                "MESSAGE_EMPTY",
                None,
                TgError::Other("MESSAGE_EMPTY".into()),
            ),
        ];
        for (code, name, value, expected) in rows {
            assert_eq!(
                &TgError::from_rpc(*code, name, *value),
                expected,
                "{code} {name}"
            );
        }
    }

    #[test]
    fn waits_and_fatality() {
        assert_eq!(
            TgError::FloodWait(300).wait(),
            Some(Duration::from_secs(300))
        );
        assert_eq!(TgError::PeerFlood.wait(), None);
        assert!(TgError::Deactivated("x".into()).is_account_fatal());
        assert!(!TgError::FloodWait(1).is_account_fatal());
    }
}
