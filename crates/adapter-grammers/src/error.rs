//! grammers' `InvocationError` onto the port's taxonomy. RPC errors go through the
//! one table ([`TgError::from_rpc`]); everything else is decided here, row by row.

use grammers_mtsender::InvocationError;
use tgfleet_telegram::TgError;

/// Maps a failed grammers call onto [`TgError`]:
///
/// | grammers                 | port                          |
/// |--------------------------|-------------------------------|
/// | `Rpc(code, name, value)` | [`TgError::from_rpc`]         |
/// | `Io`, `Dropped`          | `Transient` (retry later)     |
/// | `Transport`              | `Transient` (bad status, 429) |
/// | `Session`                | `Transient` (session storage) |
/// | `Authentication`         | `Transient` (key exchange)    |
/// | `Deserialize`            | `Other`                       |
/// | `InvalidDc`              | `Other`                       |
///
/// Texts name the kind of failure only: grammers' error payloads can quote request
/// bytes, so nothing beyond the error's own summary is copied.
pub fn map_invocation_error(error: &InvocationError) -> TgError {
    match error {
        InvocationError::Rpc(rpc) => TgError::from_rpc(rpc.code, &rpc.name, rpc.value),
        InvocationError::Io(io) => TgError::Transient(format!("network: {}", io.kind())),
        InvocationError::Dropped(reason) => TgError::Transient(format!("dropped: {reason}")),
        InvocationError::Transport(transport) => TgError::Transient(transport.to_string()),
        InvocationError::Session(_) => TgError::Transient("session storage failed".to_owned()),
        InvocationError::Authentication(_) => {
            TgError::Transient("auth key exchange failed".to_owned())
        }
        InvocationError::Deserialize(_) => {
            TgError::Other("undecodable answer from Telegram".to_owned())
        }
        InvocationError::InvalidDc => TgError::Other("unknown data centre".to_owned()),
    }
}

/// Whether the call failed on the connection itself (a socket closed under it), so
/// that one retry on a fresh connection may succeed.
pub(crate) fn is_connection_failure(error: &InvocationError) -> bool {
    matches!(error, InvocationError::Io(_) | InvocationError::Dropped(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use grammers_mtproto::{authentication, transport};
    use grammers_mtsender::RpcError;
    use std::io;

    fn rpc(code: i32, name: &str, value: Option<u32>) -> InvocationError {
        InvocationError::Rpc(RpcError {
            code,
            name: name.to_owned(),
            value,
            caused_by: None,
        })
    }

    #[test]
    fn every_kind_of_invocation_error_has_its_row() {
        let rows: Vec<(InvocationError, TgError)> = vec![
            (rpc(420, "FLOOD_WAIT", Some(31)), TgError::FloodWait(31)),
            (rpc(420, "SLOWMODE_WAIT", Some(60)), TgError::SlowMode(60)),
            (
                rpc(403, "CHAT_WRITE_FORBIDDEN", None),
                TgError::WriteForbidden("CHAT_WRITE_FORBIDDEN".into()),
            ),
            (
                rpc(400, "USER_BANNED_IN_CHANNEL", None),
                TgError::BannedInGroup("USER_BANNED_IN_CHANNEL".into()),
            ),
            (
                rpc(400, "CHANNEL_PRIVATE", None),
                TgError::Inaccessible("CHANNEL_PRIVATE".into()),
            ),
            (
                rpc(400, "INVITE_REQUEST_SENT", None),
                TgError::JoinRequestSent,
            ),
            (
                rpc(400, "USER_ALREADY_PARTICIPANT", None),
                TgError::AlreadyMember,
            ),
            (
                rpc(400, "CHANNELS_TOO_MUCH", None),
                TgError::TooManyChannels,
            ),
            (rpc(400, "PEER_FLOOD", None), TgError::PeerFlood),
            (
                rpc(401, "AUTH_KEY_UNREGISTERED", None),
                TgError::Unauthorized("AUTH_KEY_UNREGISTERED".into()),
            ),
            (
                rpc(401, "USER_DEACTIVATED_BAN", None),
                TgError::Deactivated("USER_DEACTIVATED_BAN".into()),
            ),
            (
                rpc(500, "INTERNAL", None),
                TgError::Transient("INTERNAL".into()),
            ),
            (
                rpc(400, "MESSAGE_EMPTY", None),
                TgError::Other("MESSAGE_EMPTY".into()),
            ),
            (
                InvocationError::Io(io::Error::from(io::ErrorKind::ConnectionReset)),
                TgError::Transient("network: connection reset".into()),
            ),
            (
                InvocationError::Dropped("SenderPoolRunner was dropped at send"),
                TgError::Transient("dropped: SenderPoolRunner was dropped at send".into()),
            ),
            (
                InvocationError::Transport(transport::Error::BadStatus { status: 404 }),
                TgError::Transient("transport error: bad status (negative length -404)".into()),
            ),
            (
                InvocationError::Authentication(authentication::Error::InvalidNonce {
                    got: [1; 16],
                    expected: [2; 16],
                }),
                TgError::Transient("auth key exchange failed".into()),
            ),
            (
                InvocationError::Session("disk full".into()),
                TgError::Transient("session storage failed".into()),
            ),
            (
                InvocationError::Deserialize(
                    grammers_tl_types::deserialize::Error::UnexpectedEof.into(),
                ),
                TgError::Other("undecodable answer from Telegram".into()),
            ),
            (
                InvocationError::InvalidDc,
                TgError::Other("unknown data centre".into()),
            ),
        ];
        for (error, expected) in &rows {
            assert_eq!(&map_invocation_error(error), expected, "{error:?}");
        }
    }

    #[test]
    fn only_socket_failures_are_retried() {
        assert!(is_connection_failure(&InvocationError::Io(
            io::Error::from(io::ErrorKind::UnexpectedEof)
        )));
        assert!(is_connection_failure(&InvocationError::Dropped("x")));
        assert!(!is_connection_failure(&rpc(420, "FLOOD_WAIT", Some(5))));
        assert!(!is_connection_failure(&rpc(500, "INTERNAL", None)));
        assert!(!is_connection_failure(&InvocationError::InvalidDc));
    }
}
