//! The world's ledger: every message, join, leave and reaction the world accepted, in order,
//! read-only for whoever compares the world with a database (tg-sim's admin endpoint, the
//! chaos harness). Entries are appended by whoever serves the world, after the world method
//! succeeded, with what only the caller knows (a message's `random_id`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha1::{Digest, Sha1};

use super::World;
use crate::types::{Message, MessageContent, UserId};

/// One accepted action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    /// Position in the ledger, from 0.
    pub seq: u64,
    /// World time of the action.
    pub at: DateTime<Utc>,
    /// The acting account's label (empty for a user outside the scenario).
    pub account: String,
    /// The acting user.
    pub user_id: i64,
    /// The chat (channel id).
    pub chat: i64,
    /// What happened.
    #[serde(flatten)]
    pub event: LedgerEvent,
}

/// What a ledger entry records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LedgerEvent {
    /// A message sent (text, media or forward).
    Message {
        /// Its id in the chat.
        message_id: i32,
        /// The client's `random_id` for it.
        random_id: i64,
        /// SHA-1 (hex) of its content: text, entities, media kind, file name and size,
        /// forward source.
        content_hash: String,
    },
    /// An accepted join call (public join or invite).
    Join {
        /// The account was a member already (Telegram answers the channel again).
        already_member: bool,
    },
    /// A leave.
    Leave,
    /// A reaction set on a message.
    Reaction {
        /// The message.
        message_id: i32,
        /// The emoji.
        emoji: String,
    },
}

/// Appended entries. Grows for the world's lifetime (a few hundred bytes per action).
#[derive(Clone, Debug, Default)]
pub(super) struct Ledger {
    entries: Vec<LedgerEntry>,
}

impl World {
    /// Every ledger entry, oldest first.
    pub fn ledger(&self) -> &[LedgerEntry] {
        &self.ledger.entries
    }

    /// Records a message `user` sent with the client's `random_id`.
    pub fn record_message(&mut self, user: UserId, message: &Message, random_id: i64) {
        let event = LedgerEvent::Message {
            message_id: message.id,
            random_id,
            content_hash: content_hash(message),
        };
        self.record(message.date, user, message.channel_id, event);
    }

    /// Records a join, a leave or a reaction.
    pub fn record(&mut self, at: DateTime<Utc>, user: UserId, chat: i64, event: LedgerEvent) {
        let entry = LedgerEntry {
            seq: self.ledger.entries.len() as u64,
            at,
            account: self.label(user).unwrap_or_default().to_owned(),
            user_id: user.0,
            chat,
            event,
        };
        self.ledger.entries.push(entry);
    }
}

/// SHA-1 (hex) over the content's parts, each length-prefixed.
fn content_hash(message: &Message) -> String {
    let mut hasher = Sha1::new();
    let mut part = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    let text = message.content.text();
    part(text.text.as_bytes());
    part(&text.entities);
    if let MessageContent::Media { media, .. } = &message.content {
        part(format!("{:?}", media.kind).as_bytes());
        part(media.file_name.as_bytes());
        part(&media.size.to_le_bytes());
    }
    if let Some(forward) = &message.forward {
        part(&forward.from_channel_id.to_le_bytes());
        part(&forward.from_message_id.to_le_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
