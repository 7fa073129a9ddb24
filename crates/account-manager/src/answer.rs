//! Telegram's answers in the join policy's terms, and the values stored for them.

use tgfleet_domain::join_policy::JoinAnswer;
use tgfleet_store::{ChatFacts, StoredPeer};
use tgfleet_telegram::{PeerKind, PeerRef, ResolvedChat, TgError};

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

fn peer_kind_text(kind: PeerKind) -> &'static str {
    match kind {
        PeerKind::Channel => "channel",
        PeerKind::Chat => "chat",
        PeerKind::User => "user",
    }
}

/// The stored form of a resolved or joined chat.
pub(crate) fn chat_facts(chat: &ResolvedChat) -> ChatFacts {
    ChatFacts {
        peer: StoredPeer {
            id: chat.peer.id,
            access_hash: chat.peer.access_hash,
            kind: peer_kind_text(chat.peer.kind).to_owned(),
        },
        title: chat.title.clone(),
        kind: chat.kind.as_str().to_owned(),
    }
}

/// The port's form of a stored peer (`None` for a kind this version does not know).
pub(crate) fn peer_ref(peer: &StoredPeer) -> Option<PeerRef> {
    let kind = match peer.kind.as_str() {
        "channel" => PeerKind::Channel,
        "chat" => PeerKind::Chat,
        "user" => PeerKind::User,
        _ => return None,
    };
    Some(PeerRef {
        id: peer.id,
        access_hash: peer.access_hash,
        kind,
    })
}

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

    #[test]
    fn peers_round_trip_through_storage() {
        for kind in [PeerKind::Channel, PeerKind::Chat, PeerKind::User] {
            let peer = PeerRef {
                id: 7,
                access_hash: -9,
                kind,
            };
            let stored = StoredPeer {
                id: 7,
                access_hash: -9,
                kind: peer_kind_text(kind).to_owned(),
            };
            assert_eq!(peer_ref(&stored), Some(peer));
        }
    }
}
