//! grammers' `InvocationError` onto the port's taxonomy. RPC errors go through the
//! one table ([`TgError::from_rpc`]); everything else is decided here, row by row.

use grammers_mtproto::transport;
use grammers_mtsender::InvocationError;
use tgfleet_telegram::{About, AccountAnswer, TgError};

/// The name of a transport -404: Telegram does not know the auth key.
pub const AUTH_KEY_UNKNOWN_404: &str = "transport -404: Telegram does not know the auth key";

/// Maps a failed grammers call onto [`TgError`]:
///
/// | grammers                 | port                          |
/// |--------------------------|-------------------------------|
/// | `Rpc(code, name, value)` | [`TgError::from_rpc`]         |
/// | `Io`, `Dropped`          | `Transient` (retry later)     |
/// | `Transport` -404         | dead key (Telegram does not know the auth key) |
/// | `Transport` other        | `Transient` (bad status, 429) |
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
        InvocationError::Io(io) => TgError::transient(format!("network: {}", io.kind())),
        InvocationError::Dropped(reason) => TgError::transient(format!("dropped: {reason}")),
        // core.telegram.org/mtproto/mtproto-transports#transport-errors: -404 means the
        // server does not know the auth key.
        InvocationError::Transport(transport::Error::BadStatus { status: 404 }) => {
            TgError::new(About::Account(AccountAnswer::DeadKey), AUTH_KEY_UNKNOWN_404)
        }
        InvocationError::Transport(transport) => TgError::transient(transport.to_string()),
        InvocationError::Session(_) => TgError::transient("session storage failed".to_owned()),
        InvocationError::Authentication(_) => {
            TgError::transient("auth key exchange failed".to_owned())
        }
        InvocationError::Deserialize(_) => {
            TgError::unexpected("undecodable answer from Telegram".to_owned())
        }
        InvocationError::InvalidDc => TgError::unexpected("unknown data centre".to_owned()),
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
        // RPC errors pass through the one table unchanged.
        for (code, name, value) in [
            (420, "FLOOD_WAIT", Some(31)),
            (400, "USER_BANNED_IN_CHANNEL", None),
            (401, "AUTH_KEY_UNREGISTERED", None),
            (400, "MESSAGE_EMPTY", None),
        ] {
            assert_eq!(
                map_invocation_error(&rpc(code, name, value)),
                TgError::from_rpc(code, name, value)
            );
        }
        let rows: Vec<(InvocationError, TgError)> = vec![
            (
                InvocationError::Io(io::Error::from(io::ErrorKind::ConnectionReset)),
                TgError::transient("network: connection reset"),
            ),
            (
                InvocationError::Dropped("SenderPoolRunner was dropped at send"),
                TgError::transient("dropped: SenderPoolRunner was dropped at send"),
            ),
            (
                InvocationError::Transport(transport::Error::BadStatus { status: 404 }),
                TgError::new(About::Account(AccountAnswer::DeadKey), AUTH_KEY_UNKNOWN_404),
            ),
            (
                InvocationError::Authentication(authentication::Error::InvalidNonce {
                    got: [1; 16],
                    expected: [2; 16],
                }),
                TgError::transient("auth key exchange failed"),
            ),
            (
                InvocationError::Session("disk full".into()),
                TgError::transient("session storage failed"),
            ),
            (
                InvocationError::Deserialize(
                    grammers_tl_types::deserialize::Error::UnexpectedEof.into(),
                ),
                TgError::unexpected("undecodable answer from Telegram"),
            ),
            (
                InvocationError::InvalidDc,
                TgError::unexpected("unknown data centre"),
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
