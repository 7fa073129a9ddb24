//! The world's ledger: every message, join, leave and reaction the world accepted, in order,
//! read-only for whoever compares the world with a database (tg-sim's admin endpoint, the
//! chaos harness). Entries are appended by whoever serves the world, after the world method
//! succeeded, with what only the caller knows (a message's `random_id`).

use std::collections::HashSet;

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
    /// `(chat, message_id)` of every recorded message: a message is recorded once, even when
    /// a repeated `random_id` answers it again.
    messages: HashSet<(i64, i32)>,
}

impl World {
    /// Every ledger entry, oldest first.
    pub fn ledger(&self) -> &[LedgerEntry] {
        &self.ledger.entries
    }

    /// Records a message `user` sent with the client's `random_id`, unless the ledger holds
    /// it already.
    pub fn record_message(&mut self, user: UserId, message: &Message, random_id: i64) {
        if !self
            .ledger
            .messages
            .insert((message.channel_id, message.id))
        {
            return;
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Scenario, TextBody};

    #[test]
    fn a_message_is_recorded_once_and_every_entry_in_order() {
        let scenario = Scenario::from_toml_str(
            "[[accounts]]\nlabel = \"ayu\"\nphone = \"+6281200000001\"\n\
             [[groups]]\nusername = \"bali_market\"\n",
        )
        .unwrap();
        let mut world = World::new(&scenario).unwrap();
        let ayu = world.user_id("ayu").unwrap();
        let message = Message {
            id: 51,
            channel_id: 1_900_000_001,
            date: scenario.epoch,
            from_user: Some(ayu),
            out: true,
            content: MessageContent::Text(TextBody {
                text: "hello".into(),
                entities: Vec::new(),
                has_link_entity: false,
                no_webpage: false,
            }),
            forward: None,
            edit_date: None,
            grouped_id: None,
            noforwards: false,
        };
        world.record(
            scenario.epoch,
            ayu,
            message.channel_id,
            LedgerEvent::Join {
                already_member: false,
            },
        );
        world.record_message(ayu, &message, 7);
        world.record_message(ayu, &message, 7);
        let other = Message {
            id: 52,
            ..message.clone()
        };
        world.record_message(ayu, &other, 8);
        let ledger = world.ledger();
        assert_eq!(ledger.len(), 3);
        assert_eq!(
            ledger.iter().map(|entry| entry.seq).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert!(ledger.iter().all(|entry| entry.account == "ayu"));
        let LedgerEvent::Message { content_hash, .. } = &ledger[1].event else {
            panic!("a message");
        };
        let LedgerEvent::Message {
            content_hash: same, ..
        } = &ledger[2].event
        else {
            panic!("a message");
        };
        assert_eq!(content_hash, same, "the same content, the same hash");
        assert_eq!(content_hash.len(), 40);
    }
}
