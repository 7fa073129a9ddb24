//! The world: accounts, groups, their relations, and the methods Telegram
//! serves, one per TL method, each taking `now` and the acting user.

mod auth;
mod build;
mod channels;
mod inspect;
mod ledger;
mod messages;
mod publish;
mod rate;
mod relation;
mod stories;

pub use channels::GENERAL_TOPIC;
pub use inspect::{Counters, MembershipView, SentKind, SentRecord};
pub use ledger::{LedgerEntry, LedgerEvent};
pub use publish::{TOPICS, media_ref};
pub use relation::Standing;

use crate::derive::{self, Tag};
use crate::error::{RpcError, names};
use crate::limits::{Limits, MethodClass};
use crate::scenario::VanishSpec;
use crate::secret::{AuthKey, Phone, Secret, normalize_phone};
use crate::types::{
    BannedRights, ChannelInfo, ChannelKind, InputChannel, Message, MessageContent, TextBody,
    UserId, VanishKind,
};
use chrono::{DateTime, TimeDelta, Utc};
use rate::{Bucket, SpamState};
use relation::Relation;
use std::collections::HashMap;
use std::fmt;

/// The simulated Telegram. Deterministic: the same scenario and the same
/// sequence of calls (with the same `now`s) give the same outcomes.
pub struct World {
    seed: u64,
    epoch: DateTime<Utc>,
    limits: Limits,
    accounts: Vec<Account>,
    groups: Vec<Group>,
    by_user: HashMap<i64, usize>,
    by_label: HashMap<String, usize>,
    by_phone: HashMap<String, usize>,
    by_channel: HashMap<i64, usize>,
    by_username: HashMap<String, usize>,
    by_invite: HashMap<String, usize>,
    keys: HashMap<i64, KeyState>,
    preshared_by_id: HashMap<i64, usize>,
    sent: Vec<SentRecord>,
    ledger: ledger::Ledger,
    /// Sends by `(user id, random_id)`: the channel and message they made.
    random_ids: HashMap<(i64, i64), (i64, i32)>,
}

struct Account {
    user_id: i64,
    label: String,
    phone: Phone,
    code: Secret,
    password: Option<Secret>,
    first_name: String,
    last_name: Option<String>,
    username: Option<String>,
    deactivated_at: Option<DateTime<Utc>>,
    spam_limited_from: Option<DateTime<Utc>>,
    frozen_from: Option<DateTime<Utc>>,
    preshared_key: AuthKey,
    buckets: [Bucket; MethodClass::ALL.len()],
    spam: SpamState,
    relations: HashMap<u32, Relation>,
    counters: Counters,
    pts: i32,
    codes_sent: u64,
}

impl Account {
    fn is_deactivated(&self, now: DateTime<Utc>) -> bool {
        self.deactivated_at.is_some_and(|at| at <= now)
    }
}

struct Group {
    id: i64,
    title: String,
    username: Option<String>,
    invite_expires_at: Option<DateTime<Utc>>,
    kind: ChannelKind,
    created: DateTime<Utc>,
    approval_required: bool,
    approve_after_secs: Option<u32>,
    default_banned: BannedRights,
    join_to_send: bool,
    paid_stars: u32,
    slow_mode_secs: u32,
    ban_after_posts: Option<u32>,
    ban_probability: Option<f64>,
    ban_delay_secs: u32,
    kick_after_join_secs: Option<u32>,
    vanish: Option<VanishSpec>,
    stories: u32,
    history: u32,
    participants: u32,
    reactions_disabled: bool,
    noforwards: bool,
    basic: bool,
    forum: bool,
    general_closed: bool,
    joined_delta: i32,
    posts: Vec<StoredMessage>,
    publish: Option<crate::scenario::PublishSpec>,
    chatter_every_secs: Option<u32>,
    /// Chatter messages appended so far.
    chattered: u32,
    /// Published posts appended so far (of `publish.count`).
    published: u32,
}

impl Group {
    fn vanished(&self, now: DateTime<Utc>) -> Option<VanishKind> {
        self.vanish.filter(|v| v.at <= now).map(|v| v.how)
    }

    fn is_deleted(&self, now: DateTime<Utc>) -> bool {
        self.vanished(now) == Some(VanishKind::Deleted)
    }

    /// The username, while it still points at the group.
    fn username_at(&self, now: DateTime<Utc>) -> Option<&str> {
        self.username
            .as_deref()
            .filter(|_| self.vanished(now).is_none())
    }

    /// Whether non-members can see the group (it has, or had, a public username).
    fn is_public(&self, now: DateTime<Utc>) -> bool {
        self.username.is_some()
            && !matches!(
                self.vanished(now),
                Some(VanishKind::BecamePrivate | VanishKind::Deleted)
            )
    }

    fn top_message_id(&self) -> i32 {
        i32::try_from(self.history as usize + self.posts.len()).unwrap_or(i32::MAX)
    }

    fn participants_count(&self) -> u32 {
        self.participants.saturating_add_signed(self.joined_delta)
    }
}

/// A message an account of the scenario sent (history before the epoch is generated).
struct StoredMessage {
    date: DateTime<Utc>,
    from: UserId,
    content: MessageContent,
    forward: Option<crate::types::ForwardHeader>,
    /// Posted as the channel (a broadcast's own post), not by `from`.
    as_channel: bool,
    /// When it was edited.
    edit_date: Option<DateTime<Utc>>,
    /// Deleted: gone from every history.
    deleted: bool,
    /// Messages of one album share it (`message.grouped_id`).
    grouped_id: Option<i64>,
}

enum KeyState {
    /// Known (created by a DH exchange) but not logged in.
    Unbound,
    /// `auth.sendCode` was answered for this account.
    CodeSent {
        account: usize,
        phone_code_hash: String,
    },
    /// `auth.signIn` answered SESSION_PASSWORD_NEEDED.
    PasswordNeeded { account: usize },
    /// Logged in as the account; revoked from `revoked_at` on.
    Bound {
        account: usize,
        revoked_at: Option<DateTime<Utc>>,
    },
}

impl World {
    /// The scenario seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The scenario's reference time.
    pub fn epoch(&self) -> DateTime<Utc> {
        self.epoch
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Runs one method for `user`, counting its error (if any) in the account's counters.
    fn call<T>(
        &mut self,
        user: UserId,
        method: impl FnOnce(&mut Self) -> Result<T, RpcError>,
    ) -> Result<T, RpcError> {
        let result = method(self);
        if let Err(error) = &result
            && let Some(&account) = self.by_user.get(&user.0)
        {
            *self.accounts[account]
                .counters
                .errors
                .entry(error.name.clone())
                .or_default() += 1;
        }
        result
    }

    /// The checks every method starts with: a known, active user within the
    /// method class's budget. Answers the account's index.
    fn begin(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        class: MethodClass,
    ) -> Result<usize, RpcError> {
        let account_index = *self
            .by_user
            .get(&user.0)
            .ok_or_else(|| RpcError::unauthorized(names::AUTH_KEY_UNREGISTERED))?;
        let budget = self.limits.budget(class);
        let account = &mut self.accounts[account_index];
        if account.is_deactivated(now) {
            return Err(RpcError::unauthorized(names::USER_DEACTIVATED_BAN));
        }
        // A frozen account may still read its own data (core.telegram.org/api/auth#frozen-accounts).
        if class != MethodClass::Info && account.frozen_from.is_some_and(|at| at <= now) {
            return Err(RpcError::new(420, names::FROZEN_METHOD_INVALID));
        }
        account.counters.calls[class.index()] += 1;
        account.buckets[class.index()]
            .take(now, budget, &self.limits.flood)
            .map_err(|wait| {
                account.counters.flood_waits[class.index()] += 1;
                RpcError::flood_wait(wait)
            })?;
        Ok(account_index)
    }

    /// [`World::begin`] then [`World::channel`]: the account and the group.
    fn begin_on(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        class: MethodClass,
        input: InputChannel,
    ) -> Result<(usize, usize), RpcError> {
        let account = self.begin(now, user, class)?;
        let group = self.channel(account, input, now)?;
        Ok((account, group))
    }

    /// [`World::begin_on`] for a group the account must be able to read:
    /// the account, the group and the account's relation to it.
    fn begin_reading(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        class: MethodClass,
        input: InputChannel,
    ) -> Result<(usize, usize, Relation), RpcError> {
        let (account, group) = self.begin_on(now, user, class, input)?;
        let relation = self.relation(account, group, now);
        self.ensure_readable(group, &relation, now)?;
        Ok((account, group, relation))
    }

    /// The group an `inputChannel` names, if the access hash is the one this
    /// account received and the group still exists.
    fn channel(
        &self,
        account: usize,
        input: InputChannel,
        now: DateTime<Utc>,
    ) -> Result<usize, RpcError> {
        let invalid = || RpcError::bad_request(names::CHANNEL_INVALID);
        let group = *self.by_channel.get(&input.channel_id).ok_or_else(invalid)?;
        let expected =
            derive::access_hash(self.seed, self.accounts[account].user_id, input.channel_id);
        // A basic group is a `chat`, not a `channel`: no channel method reaches it
        // (core.telegram.org/api/channel).
        if input.access_hash != expected || self.groups[group].basic {
            return Err(invalid());
        }
        if self.groups[group].is_deleted(now) {
            return Err(RpcError::bad_request(names::CHANNEL_PRIVATE));
        }
        Ok(group)
    }

    /// The account's relation to a group at `now` (a stranger's if none is stored).
    fn relation(&self, account: usize, group: usize, now: DateTime<Utc>) -> Relation {
        let kick = self.groups[group].kick_after_join_secs;
        self.accounts[account]
            .relations
            .get(&(group as u32))
            .map_or_else(|| Relation::stranger(now), |r| r.at(now, kick))
    }

    /// The stored relation, settled to `now`, created if missing.
    fn relation_mut(&mut self, account: usize, group: usize, now: DateTime<Utc>) -> &mut Relation {
        let kick = self.groups[group].kick_after_join_secs;
        let relation = self.accounts[account]
            .relations
            .entry(group as u32)
            .or_insert_with(|| Relation::stranger(now));
        relation.settle(now, kick);
        relation
    }

    /// CHANNEL_PRIVATE unless the account may read the group.
    fn ensure_readable(
        &self,
        group: usize,
        relation: &Relation,
        now: DateTime<Utc>,
    ) -> Result<(), RpcError> {
        let readable = match relation.standing {
            Standing::Banned => false,
            Standing::Member | Standing::Admin => true,
            Standing::Stranger | Standing::Left | Standing::Requested => {
                self.groups[group].is_public(now)
            }
        };
        if readable {
            Ok(())
        } else {
            Err(RpcError::bad_request(names::CHANNEL_PRIVATE))
        }
    }

    /// The group as the account sees it.
    fn channel_info(
        &self,
        account: usize,
        group: usize,
        relation: &Relation,
        now: DateTime<Utc>,
    ) -> ChannelInfo {
        let g = &self.groups[group];
        let user_id = self.accounts[account].user_id;
        ChannelInfo {
            id: g.id,
            access_hash: derive::access_hash(self.seed, user_id, g.id),
            title: g.title.clone(),
            username: g.username_at(now).map(str::to_owned),
            kind: g.kind,
            date: g.created,
            participants_count: g.participants_count(),
            default_banned: g.default_banned,
            my_banned: match relation.standing {
                Standing::Banned => Some(BannedRights::kicked()),
                Standing::Member if relation.restricted => {
                    Some(restricted_rights(relation.restricted_until))
                }
                _ => None,
            },
            join_to_send: g.join_to_send,
            paid_stars: (g.paid_stars > 0).then_some(g.paid_stars),
            join_request: g.approval_required,
            slowmode_enabled: g.slow_mode_secs > 0,
            noforwards: g.noforwards,
            basic: g.basic,
            forum: g.forum,
            left: !relation.standing.is_member(),
            admin: relation.standing == Standing::Admin,
            forbidden: relation.standing == Standing::Banned,
        }
    }

    /// Message `id` of a group, generated for ids before the epoch.
    fn message_at(&self, group: usize, id: i32, viewer: UserId) -> Option<Message> {
        let g = &self.groups[group];
        if id < 1 || id > g.top_message_id() {
            return None;
        }
        let history = i32::try_from(g.history).unwrap_or(i32::MAX);
        if id > history {
            let stored = &g.posts[(id - history - 1) as usize];
            if stored.deleted {
                return None;
            }
            return Some(Message {
                id,
                channel_id: g.id,
                date: stored.date,
                from_user: (!stored.as_channel).then_some(stored.from),
                out: !stored.as_channel && stored.from == viewer,
                content: stored.content.clone(),
                forward: stored.forward,
                edit_date: stored.edit_date,
                grouped_id: stored.grouped_id,
                noforwards: g.noforwards,
            });
        }
        let channel = g.id.cast_unsigned();
        let spacing = 60 + derive::mix(self.seed, Tag::History, &[channel, 2]) % 3540;
        let age = i64::from(history - id + 1) * spacing as i64;
        let from_user = (g.kind == ChannelKind::Supergroup).then(|| {
            let author = derive::mix(self.seed, Tag::History, &[channel, 3, id as u64]) % 900_000;
            UserId(100_000 + author as i64)
        });
        Some(Message {
            id,
            channel_id: g.id,
            date: self.epoch - TimeDelta::seconds(age),
            from_user,
            out: false,
            content: MessageContent::Text(TextBody::plain(format!("{} #{id}", g.title))),
            forward: None,
            edit_date: None,
            grouped_id: None,
            noforwards: g.noforwards,
        })
    }
}

/// What a personal restriction bans: sending anything, until its end (if it has one).
fn restricted_rights(until: Option<DateTime<Utc>>) -> BannedRights {
    BannedRights {
        send_messages: true,
        send_plain: true,
        send_media: true,
        embed_links: true,
        until_date: until,
        ..BannedRights::default()
    }
}

fn find_by_phone(by_phone: &HashMap<String, usize>, phone: &str) -> Option<usize> {
    by_phone.get(&normalize_phone(phone)).copied()
}

impl fmt::Debug for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("World")
            .field("seed", &self.seed)
            .field("epoch", &self.epoch)
            .field("accounts", &self.accounts.len())
            .field("groups", &self.groups.len())
            .field("auth_keys", &self.keys.len())
            .field("sent", &self.sent.len())
            .finish()
    }
}
