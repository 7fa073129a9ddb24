//! Read-only inspection for tests and the demo: what each account sent where,
//! memberships, bans and counters. Lists come sorted, never in hash order.

use super::{Standing, World};
use crate::derive;
use crate::limits::MethodClass;
use crate::types::{ChannelInfo, InputChannel, MediaKind, UserId, UserInfo};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// What one account did and met, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Calls per method class (index: [`MethodClass::index`]).
    pub calls: [u32; MethodClass::ALL.len()],
    /// FLOOD_WAIT answers per method class.
    pub flood_waits: [u32; MethodClass::ALL.len()],
    /// Errors answered, by name (without the number).
    pub errors: BTreeMap<String, u32>,
    /// Successful joins.
    pub joins: u32,
    /// Join requests sent.
    pub join_requests: u32,
    /// Leaves.
    pub leaves: u32,
    /// Messages sent (text, media, forwards).
    pub sends: u32,
    /// Times the account got spam-limited.
    pub peer_floods: u32,
    /// Bans admins scheduled because of the account's posts.
    pub ad_bans: u32,
    /// `channels.readHistory` calls that succeeded.
    pub reads: u32,
    /// Reactions sent.
    pub reactions: u32,
    /// Stories newly marked seen.
    pub stories_viewed: u32,
}

impl Counters {
    /// Calls of a method class.
    pub fn calls_of(&self, class: MethodClass) -> u32 {
        self.calls[class.index()]
    }

    /// FLOOD_WAIT answers for a method class.
    pub fn flood_waits_of(&self, class: MethodClass) -> u32 {
        self.flood_waits[class.index()]
    }

    /// Errors answered with `name`.
    pub fn errors_named(&self, name: &str) -> u32 {
        self.errors.get(name).copied().unwrap_or(0)
    }
}

/// What kind of message was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SentKind {
    /// A text message.
    Text,
    /// A photo or document.
    Media {
        /// Photo or document.
        kind: MediaKind,
        /// The file name.
        file_name: String,
        /// The file size.
        size: u64,
    },
    /// A forward keeping the author.
    Forward {
        /// The source channel.
        from_channel_id: i64,
        /// The source message.
        from_message_id: i32,
    },
}

/// One message an account of the scenario sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentRecord {
    /// The sender.
    pub user: UserId,
    /// The group.
    pub channel_id: i64,
    /// The new message's id.
    pub message_id: i32,
    /// When.
    pub date: DateTime<Utc>,
    /// Text, media or forward (copies count as text or media).
    pub kind: SentKind,
    /// The text or caption.
    pub text: String,
}

/// One account's relation to one group, for inspection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MembershipView {
    /// The group.
    pub channel_id: i64,
    /// Where the account stands.
    pub standing: Standing,
    /// Since when.
    pub since: DateTime<Utc>,
    /// Messages the account posted there.
    pub posts: u32,
    /// The last message id the account marked read.
    pub read_max_id: i32,
}

impl World {
    /// Every message sent by the scenario's accounts, in sending order.
    pub fn sent(&self) -> &[SentRecord] {
        &self.sent
    }

    /// The messages one account sent, in sending order.
    pub fn sent_by(&self, label: &str) -> Vec<&SentRecord> {
        let Some(user) = self.user_id(label) else {
            return Vec::new();
        };
        self.sent
            .iter()
            .filter(|record| record.user == user)
            .collect()
    }

    /// The user id of the account labelled `label`.
    pub fn user_id(&self, label: &str) -> Option<UserId> {
        let account = *self.by_label.get(label)?;
        Some(UserId(self.accounts[account].user_id))
    }

    /// The label of the account with user id `user`.
    pub fn label(&self, user: UserId) -> Option<&str> {
        let account = *self.by_user.get(&user.0)?;
        Some(&self.accounts[account].label)
    }

    /// Labels of every account, in scenario order.
    pub fn labels(&self) -> Vec<&str> {
        self.accounts.iter().map(|a| a.label.as_str()).collect()
    }

    /// How many accounts and groups the world holds.
    pub fn size(&self) -> (usize, usize) {
        (self.accounts.len(), self.groups.len())
    }

    /// The channel id behind a username (even after it vanished).
    pub fn channel_by_username(&self, username: &str) -> Option<i64> {
        let group = *self.by_username.get(&username.to_ascii_lowercase())?;
        Some(self.groups[group].id)
    }

    /// The channel id behind an invite hash.
    pub fn channel_by_invite(&self, hash: &str) -> Option<i64> {
        let group = *self.by_invite.get(hash)?;
        Some(self.groups[group].id)
    }

    /// The access hash `user` receives for `channel_id` (what a resolve answers).
    pub fn access_hash(&self, user: UserId, channel_id: i64) -> i64 {
        derive::access_hash(self.seed, user.0, channel_id)
    }

    /// The `inputChannel` `user` would use for `channel_id`.
    pub fn input_channel(&self, user: UserId, channel_id: i64) -> InputChannel {
        InputChannel {
            channel_id,
            access_hash: self.access_hash(user, channel_id),
        }
    }

    /// The acting user as its own `user` object shows it (no budget is used).
    pub fn user_info_of(&self, user: UserId) -> Option<UserInfo> {
        let account = *self.by_user.get(&user.0)?;
        Some(self.user_info(account))
    }

    /// A channel as `user` sees it at `now`, without using any budget or
    /// counting a call: what tg-sim puts in the `chats` of its answers. `None`
    /// for unknown users, unknown channels or a wrong access hash.
    pub fn channel_seen_by(
        &self,
        now: DateTime<Utc>,
        user: UserId,
        channel: InputChannel,
    ) -> Option<ChannelInfo> {
        let account = *self.by_user.get(&user.0)?;
        let group = *self.by_channel.get(&channel.channel_id)?;
        let expected = derive::access_hash(self.seed, user.0, channel.channel_id);
        if channel.access_hash != expected {
            return None;
        }
        let relation = self.relation(account, group, now);
        Some(self.channel_info(account, group, &relation, now))
    }

    /// Where an account stands in a group at `now`.
    pub fn standing(&self, label: &str, channel_id: i64, now: DateTime<Utc>) -> Standing {
        self.membership(label, channel_id, now)
            .map_or(Standing::Stranger, |m| m.standing)
    }

    /// An account's relation to one group at `now`, if it has one.
    pub fn membership(
        &self,
        label: &str,
        channel_id: i64,
        now: DateTime<Utc>,
    ) -> Option<MembershipView> {
        let account = *self.by_label.get(label)?;
        let group = *self.by_channel.get(&channel_id)?;
        let stored = self.accounts[account].relations.get(&(group as u32))?;
        let relation = stored.at(now, self.groups[group].kick_after_join_secs);
        Some(MembershipView {
            channel_id,
            standing: relation.standing,
            since: relation.since,
            posts: relation.posts,
            read_max_id: relation.read_max_id,
        })
    }

    /// Every group an account has a relation to, by channel id.
    pub fn memberships(&self, label: &str, now: DateTime<Utc>) -> Vec<MembershipView> {
        let Some(&account) = self.by_label.get(label) else {
            return Vec::new();
        };
        let mut views: Vec<MembershipView> = self.accounts[account]
            .relations
            .keys()
            .filter_map(|&group| self.membership(label, self.groups[group as usize].id, now))
            .collect();
        views.sort_by_key(|view| view.channel_id);
        views
    }

    /// Channel ids where the account is banned at `now`, sorted.
    pub fn bans(&self, label: &str, now: DateTime<Utc>) -> Vec<i64> {
        self.memberships(label, now)
            .into_iter()
            .filter(|view| view.standing == Standing::Banned)
            .map(|view| view.channel_id)
            .collect()
    }

    /// The account's counters.
    pub fn counters(&self, label: &str) -> Option<&Counters> {
        let account = *self.by_label.get(label)?;
        Some(&self.accounts[account].counters)
    }

    /// Until when the account is spam-limited (PEER_FLOOD), if it is at `now`.
    pub fn spam_limited_until(&self, label: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let account = *self.by_label.get(label)?;
        self.accounts[account].spam.limited_until(now)
    }
}
