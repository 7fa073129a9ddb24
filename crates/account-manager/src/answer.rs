//! Telegram's answers in the join policy's terms, and the values stored for them.

use tgfleet_runtime::peers::stored_peer;
use tgfleet_store::ChatFacts;
use tgfleet_telegram::{ResolvedChat, TgError};

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

    #[test]
    fn outcome_words() {
        assert_eq!(outcome_word(&Ok(())), "joined");
        assert_eq!(outcome_word(&Err(TgError::flood_wait(3))), "flood_wait");
        assert_eq!(
            outcome_word(&Err(TgError::from_rpc(400, "INVITE_REQUEST_SENT", None))),
            "join_requested"
        );
    }
}
