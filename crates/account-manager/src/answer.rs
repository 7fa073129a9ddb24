//! Telegram's answers in the join policy's terms, and the values stored for them.

use tgfleet_domain::join_policy::JoinAnswer;
use tgfleet_runtime::peers::stored_peer;
use tgfleet_store::ChatFacts;
use tgfleet_telegram::{ResolvedChat, TgError};

/// The policy's reading of an error.
pub(crate) fn join_answer(error: &TgError) -> JoinAnswer {
    match error {
        TgError::AlreadyMember => JoinAnswer::AlreadyMember,
        TgError::JoinRequestSent => JoinAnswer::JoinRequested,
        TgError::Inaccessible(_) => JoinAnswer::Inaccessible,
        TgError::BannedInGroup(_) | TgError::WriteForbidden(_) => JoinAnswer::Banned,
        TgError::TooManyChannels => JoinAnswer::TooManyChannels,
        TgError::Unauthorized(_) => JoinAnswer::Unauthorized,
        TgError::Deactivated(_) => JoinAnswer::Deactivated,
        TgError::FloodWait(_) => JoinAnswer::FloodWait(error.wait().unwrap_or_default()),
        TgError::PeerFlood => JoinAnswer::PeerFlood,
        TgError::Transient(_) => JoinAnswer::Transient,
        TgError::SlowMode(_) | TgError::Other(_) => JoinAnswer::Unexpected,
    }
}

/// The outcome word of a join attempt: `joined` on success, else the error's
/// outcome (`events.outcome` and the `outcome` label of `tgfleet_joins_total`).
pub(crate) fn outcome_word(result: &Result<(), TgError>) -> &'static str {
    match result {
        Ok(()) => "joined",
        Err(error) => error.outcome(),
    }
}

/// The stored form of a resolved or joined chat.
pub(crate) fn chat_facts(chat: &ResolvedChat) -> ChatFacts {
    ChatFacts {
        peer: stored_peer(&chat.peer),
        title: chat.title.clone(),
        kind: chat.kind.as_str().to_owned(),
    }
}

pub(crate) use tgfleet_runtime::peers::peer_ref;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn errors_map_onto_the_policy() {
        let rows = [
            (TgError::AlreadyMember, JoinAnswer::AlreadyMember),
            (TgError::JoinRequestSent, JoinAnswer::JoinRequested),
            (
                TgError::Inaccessible("CHANNEL_PRIVATE".into()),
                JoinAnswer::Inaccessible,
            ),
            (
                TgError::BannedInGroup("USER_BANNED_IN_CHANNEL".into()),
                JoinAnswer::Banned,
            ),
            (
                TgError::WriteForbidden("CHAT_WRITE_FORBIDDEN".into()),
                JoinAnswer::Banned,
            ),
            (TgError::TooManyChannels, JoinAnswer::TooManyChannels),
            (
                TgError::FloodWait(312),
                JoinAnswer::FloodWait(Duration::from_secs(312)),
            ),
            (TgError::Transient("timeout".into()), JoinAnswer::Transient),
            (
                TgError::Other("CHAT_INVALID".into()),
                JoinAnswer::Unexpected,
            ),
        ];
        for (error, answer) in rows {
            assert_eq!(join_answer(&error), answer, "{error}");
        }
        assert_eq!(outcome_word(&Ok(())), "joined");
        assert_eq!(outcome_word(&Err(TgError::FloodWait(3))), "flood_wait");
    }
}
