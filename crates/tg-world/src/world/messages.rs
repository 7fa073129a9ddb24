//! Sending (text, media, forwards), history, reading and reactions.

use super::inspect::{SentKind, SentRecord};
use super::rate::secs_until;
use super::relation::Relation;
use super::{Standing, StoredMessage, World};
use crate::derive::{self, Tag};
use crate::error::{RpcError, names};
use crate::limits::MethodClass;
use crate::types::{
    ChannelKind, ForwardHeader, History, HistoryPage, InputChannel, MediaKind, Message,
    MessageContent, TextBody, UploadedMedia, UserId,
};
use chrono::{DateTime, TimeDelta, Utc};
use rand::RngExt;
use std::collections::HashMap;

/// The most messages one `messages.getHistory` page returns (Telegram's limit).
pub const HISTORY_PAGE_MAX: u32 = 100;

impl World {
    /// `messages.sendMessage` to a channel. The checks, in order: budget
    /// (FLOOD_WAIT), spam limit (PEER_FLOOD), access (CHANNEL_INVALID /
    /// CHANNEL_PRIVATE), standing (USER_BANNED_IN_CHANNEL for kicked or
    /// restricted users, CHAT_GUEST_SEND_FORBIDDEN / CHAT_WRITE_FORBIDDEN for
    /// non-members), kind (CHAT_WRITE_FORBIDDEN in broadcasts), a forum's closed
    /// General topic (TOPIC_CLOSED), default rights
    /// (CHAT_WRITE_FORBIDDEN, CHAT_SEND_PLAIN_FORBIDDEN, CHAT_SEND_WEBPAGE_FORBIDDEN
    /// for a link preview without `embed_links`), slow mode (SLOWMODE_WAIT_X), then the burst check (PEER_FLOOD).
    /// Admins skip rights and slow mode. After the post, the group's admins may
    /// schedule a ban (after N posts, or with a probability).
    pub fn messages_send_message(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        peer: InputChannel,
        body: TextBody,
    ) -> Result<Message, RpcError> {
        self.call(user, |w| {
            let account = w.begin(now, user, MethodClass::Send)?;
            if body.text.trim().is_empty() {
                return Err(RpcError::bad_request(names::MESSAGE_EMPTY));
            }
            let group = w.channel(account, peer, now)?;
            w.post(account, group, now, MessageContent::Text(body), None, None)
        })
    }

    /// `messages.sendMedia` with an uploaded photo or document and a caption;
    /// the same checks as [`World::messages_send_message`], with
    /// CHAT_SEND_MEDIA_FORBIDDEN when the group bans media.
    pub fn messages_send_media(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        peer: InputChannel,
        media: UploadedMedia,
        caption: TextBody,
    ) -> Result<Message, RpcError> {
        self.call(user, |w| {
            let (account, group) = w.begin_on(now, user, MethodClass::Send, peer)?;
            w.post(
                account,
                group,
                now,
                MessageContent::Media { media, caption },
                None,
                None,
            )
        })
    }

    /// `messages.sendMultiMedia`: an album ("Send an album or grouped media",
    /// core.telegram.org/method/messages.sendMultiMedia). Each file passes the checks
    /// of [`World::messages_send_media`] for its kind before any is posted (an album
    /// goes whole or not at all: chosen for tests), then they are posted in order
    /// with one new `grouped_id`, which the messages of an album share
    /// (core.telegram.org/api/files#albums-grouped-media). MEDIA_INVALID for an
    /// empty album.
    pub fn messages_send_multi_media(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        peer: InputChannel,
        items: Vec<(UploadedMedia, TextBody)>,
    ) -> Result<Vec<Message>, RpcError> {
        self.call(user, |w| {
            let (account, group) = w.begin_on(now, user, MethodClass::Send, peer)?;
            if items.is_empty() {
                return Err(RpcError::bad_request(names::MEDIA_INVALID));
            }
            w.publish_due(group, now);
            let relation = w.relation(account, group, now);
            let contents: Vec<MessageContent> = items
                .into_iter()
                .map(|(media, caption)| MessageContent::Media { media, caption })
                .collect();
            for content in &contents {
                w.ensure_may_post(group, &relation, content, now)?;
            }
            let grouped_id = Some(w.new_grouped_id(group));
            contents
                .into_iter()
                .map(|content| w.post(account, group, now, content, None, grouped_id))
                .collect()
        })
    }

    /// `messages.forwardMessages` from a channel the user can read into a group.
    /// `drop_author` copies (no forward header). CHAT_FORWARDS_RESTRICTED when
    /// the source protects its content (Telethon errors.csv: "You can't forward
    /// messages from a protected chat"; `noforwards` forbids `drop_author` copies
    /// too, core.telegram.org/constructor/channel: `noforwards` "Whether this
    /// channel or group is protected, thus does not allow forwarding messages from
    /// it"), MESSAGE_ID_INVALID for unknown or deleted ids;
    /// then the same checks as [`World::messages_send_message`] per message.
    /// Messages of one album forwarded together stay one album under a new
    /// `grouped_id` (TDLib td/telegram/MessagesManager.cpp, `get_forwarded_messages`:
    /// `new_forwarded_media_album_ids`).
    pub fn messages_forward_messages(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        from: InputChannel,
        ids: &[i32],
        to: InputChannel,
        drop_author: bool,
    ) -> Result<Vec<Message>, RpcError> {
        self.call(user, |w| {
            let account = w.begin(now, user, MethodClass::Send)?;
            let source = w.channel(account, from, now)?;
            w.publish_due(source, now);
            let relation = w.relation(account, source, now);
            w.ensure_readable(source, &relation, now)?;
            if w.groups[source].noforwards {
                return Err(RpcError::bad_request(names::CHAT_FORWARDS_RESTRICTED));
            }
            let originals = ids
                .iter()
                .map(|&id| w.message_at(source, id, user))
                .collect::<Option<Vec<_>>>()
                .filter(|found| !found.is_empty())
                .ok_or_else(|| RpcError::bad_request(names::MESSAGE_ID_INVALID))?;
            let target = w.channel(account, to, now)?;
            let source_id = w.groups[source].id;
            let mut albums: HashMap<i64, i64> = HashMap::new();
            originals
                .into_iter()
                .map(|original| {
                    let header = (!drop_author).then_some(ForwardHeader {
                        from_channel_id: source_id,
                        from_message_id: original.id,
                        date: original.date,
                    });
                    let grouped_id = original.grouped_id.map(|album| {
                        *albums
                            .entry(album)
                            .or_insert_with(|| w.new_grouped_id(target))
                    });
                    w.post(account, target, now, original.content, header, grouped_id)
                })
                .collect()
        })
    }

    /// Runs a send at most once per `(user, random_id)`: Telegram keeps each send's
    /// `random_id` ("Unique client message ID required to prevent message
    /// resending", core.telegram.org/method/messages.sendMessage), so a repeated
    /// `random_id` answers the original message instead of posting again.
    pub fn send_once(
        &mut self,
        user: UserId,
        random_id: i64,
        send: impl FnOnce(&mut Self) -> Result<Message, RpcError>,
    ) -> Result<Message, RpcError> {
        if let Some(original) = self.sent_with_random_id(user, random_id) {
            return Ok(original);
        }
        let sent = send(self)?;
        self.keep_random_id(user, random_id, &sent);
        Ok(sent)
    }

    /// [`World::send_once`] for a send of several messages with one random id each
    /// (`messages.forwardMessages`, `messages.sendMultiMedia`: "Random ID to prevent
    /// resending of messages", core.telegram.org/method/messages.forwardMessages):
    /// when every id was used, the messages they made are answered; else `send`
    /// runs once for all of them (so an album stays one album).
    pub fn send_all_once(
        &mut self,
        user: UserId,
        random_ids: &[i64],
        send: impl FnOnce(&mut Self) -> Result<Vec<Message>, RpcError>,
    ) -> Result<Vec<Message>, RpcError> {
        let known: Option<Vec<Message>> = random_ids
            .iter()
            .map(|&random_id| self.sent_with_random_id(user, random_id))
            .collect();
        if let Some(known) = known.filter(|known| !known.is_empty()) {
            return Ok(known);
        }
        let sent = send(self)?;
        for (message, &random_id) in sent.iter().zip(random_ids) {
            self.keep_random_id(user, random_id, message);
        }
        Ok(sent)
    }

    /// The message `user` sent with `random_id`, if Telegram keeps one (see
    /// [`World::send_once`]).
    fn sent_with_random_id(&self, user: UserId, random_id: i64) -> Option<Message> {
        let &(channel_id, id) = self.random_ids.get(&(user.0, random_id))?;
        let &group = self.by_channel.get(&channel_id)?;
        self.message_at(group, id, user)
    }

    /// Keeps `random_id` as the one `user` sent `message` with (see [`World::send_once`]).
    fn keep_random_id(&mut self, user: UserId, random_id: i64, message: &Message) {
        self.random_ids
            .insert((user.0, random_id), (message.channel_id, message.id));
    }

    /// `messages.getHistory`: up to `limit` (at most 100) messages older than
    /// `offset_id` (0: from the newest), newest first. CHANNEL_PRIVATE when
    /// the user cannot read the group.
    pub fn messages_get_history(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        peer: InputChannel,
        offset_id: i32,
        limit: u32,
    ) -> Result<History, RpcError> {
        let page = HistoryPage {
            offset_id,
            limit,
            ..HistoryPage::default()
        };
        self.messages_get_history_page(now, user, peer, page)
    }

    /// `messages.getHistory` with its paging parameters
    /// (https://core.telegram.org/method/messages.getHistory): newest first, from
    /// the newest message older than `offset_id` (0: the newest), moved by
    /// `add_offset` (negative: toward newer messages), at most `limit` (and 100),
    /// only ids within `(min_id, max_id)`. Deleted messages are skipped; a channel
    /// that publishes over time shows what it published up to `now`.
    /// CHANNEL_PRIVATE when the user cannot read the group.
    pub fn messages_get_history_page(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        peer: InputChannel,
        page: HistoryPage,
    ) -> Result<History, RpcError> {
        self.call(user, |w| {
            let (_, group, _) = w.begin_reading(now, user, MethodClass::History, peer)?;
            w.publish_due(group, now);
            let top = w.groups[group].top_message_id();
            let all: Vec<Message> = (1..=top)
                .rev()
                .filter_map(|id| w.message_at(group, id, user))
                .collect();
            let start = if page.offset_id > 0 {
                all.partition_point(|message| message.id >= page.offset_id)
            } else {
                0
            };
            let start = usize::try_from(
                i64::try_from(start)
                    .unwrap_or(i64::MAX)
                    .saturating_add(i64::from(page.add_offset))
                    .max(0),
            )
            .unwrap_or(0);
            let take = page.limit.min(HISTORY_PAGE_MAX) as usize;
            let messages = all
                .into_iter()
                .skip(start)
                .take(take)
                .filter(|message| {
                    (page.min_id <= 0 || message.id > page.min_id)
                        && (page.max_id <= 0 || message.id < page.max_id)
                })
                .collect();
            Ok(History {
                messages,
                count: top.max(0).cast_unsigned(),
            })
        })
    }

    /// `channels.readHistory` up to `max_id`. CHANNEL_PRIVATE when the user
    /// cannot read the group.
    pub fn channels_read_history(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        channel: InputChannel,
        max_id: i32,
    ) -> Result<bool, RpcError> {
        self.call(user, |w| {
            let (account, group, _) = w.begin_reading(now, user, MethodClass::Read, channel)?;
            let top = w.groups[group].top_message_id();
            let relation = w.relation_mut(account, group, now);
            relation.read_max_id = relation.read_max_id.max(max_id.min(top));
            w.accounts[account].counters.reads += 1;
            Ok(true)
        })
    }

    /// `messages.sendReaction` with one emoji. REACTION_INVALID when the group
    /// disables reactions or the emoji is empty, MESSAGE_ID_INVALID for unknown ids.
    pub fn messages_send_reaction(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        peer: InputChannel,
        message_id: i32,
        emoji: &str,
    ) -> Result<(), RpcError> {
        self.call(user, |w| {
            let (account, group, _) = w.begin_reading(now, user, MethodClass::React, peer)?;
            let g = &w.groups[group];
            if g.reactions_disabled || emoji.trim().is_empty() {
                return Err(RpcError::bad_request(names::REACTION_INVALID));
            }
            if message_id < 1 || message_id > g.top_message_id() {
                return Err(RpcError::bad_request(names::MESSAGE_ID_INVALID));
            }
            w.accounts[account].counters.reactions += 1;
            Ok(())
        })
    }

    /// Checks and records one outgoing message.
    fn post(
        &mut self,
        account: usize,
        group: usize,
        now: DateTime<Utc>,
        content: MessageContent,
        forward: Option<ForwardHeader>,
        grouped_id: Option<i64>,
    ) -> Result<Message, RpcError> {
        self.publish_due(group, now);
        if self.accounts[account].spam.is_limited(now) {
            return Err(RpcError::bad_request(names::PEER_FLOOD));
        }
        let relation = self.relation(account, group, now);
        self.ensure_may_post(group, &relation, &content, now)?;
        // A @SpamBot limit is account-wide: every supergroup answers as if the account
        // were banned there, while the group's rights for it show nothing (Telethon
        // errors.csv USER_BANNED_IN_CHANNEL "banned from sending messages in
        // supergroups/channels"; community report:
        // https://github.com/zhukov/webogram/issues/1707).
        if relation.standing == Standing::Member
            && self.accounts[account]
                .spam_limited_from
                .is_some_and(|from| from <= now)
        {
            return Err(RpcError::bad_request(names::USER_BANNED_IN_CHANNEL));
        }
        let policy = self.limits.peer_flood;
        if !self.accounts[account].spam.record_send(now, &policy) {
            self.accounts[account].counters.peer_floods += 1;
            return Err(RpcError::bad_request(names::PEER_FLOOD));
        }
        let user = UserId(self.accounts[account].user_id);
        let kind = match (&content, forward) {
            (_, Some(header)) => SentKind::Forward {
                from_channel_id: header.from_channel_id,
                from_message_id: header.from_message_id,
            },
            (MessageContent::Text(_), None) => SentKind::Text,
            (MessageContent::Media { media, .. }, None) => SentKind::Media {
                kind: media.kind,
                file_name: media.file_name.clone(),
                size: media.size,
            },
        };
        let text = content.text().text.clone();
        let ban_roll = self.ad_ban_due(account, group, &relation);
        let g = &mut self.groups[group];
        g.posts.push(StoredMessage {
            date: now,
            from: user,
            content,
            forward,
            as_channel: false,
            edit_date: None,
            deleted: false,
            grouped_id,
        });
        let message_id = g.top_message_id();
        let channel_id = g.id;
        let (ban_delay, kick) = (g.ban_delay_secs, g.kick_after_join_secs);
        let stored = self.relation_mut(account, group, now);
        stored.posts += 1;
        stored.last_post_at = Some(now);
        if ban_roll && stored.standing == Standing::Member {
            stored.schedule_ban(now, ban_delay);
            stored.settle(now, kick);
            self.accounts[account].counters.ad_bans += 1;
        }
        let acting = &mut self.accounts[account];
        acting.counters.sends += 1;
        acting.pts += 1;
        self.sent.push(SentRecord {
            user,
            channel_id,
            message_id,
            date: now,
            kind,
            text,
        });
        Ok(self
            .message_at(group, message_id, user)
            .expect("the message was just stored"))
    }

    /// A new album id for the next message of `group` (derived from the seed, the
    /// group and the message id: chosen for tests).
    pub(super) fn new_grouped_id(&self, group: usize) -> i64 {
        let g = &self.groups[group];
        let next = u64::try_from(g.top_message_id()).unwrap_or_default() + 1;
        derive::mix(self.seed, Tag::History, &[g.id.cast_unsigned(), 5, next]).cast_signed()
    }

    /// Whether this post (the relation's `posts + 1`-th) makes the admins ban the account.
    fn ad_ban_due(&self, account: usize, group: usize, relation: &Relation) -> bool {
        let g = &self.groups[group];
        let nth = relation.posts + 1;
        let by_count = g.ban_after_posts.is_some_and(|n| nth >= n);
        let by_roll = g.ban_probability.is_some_and(|p| {
            let parts = [
                self.accounts[account].user_id.cast_unsigned(),
                g.id.cast_unsigned(),
                u64::from(nth),
            ];
            derive::rng(self.seed, Tag::AdBan, &parts).random_bool(p)
        });
        by_count || by_roll
    }

    /// The rights checks of a post, in Telegram's order.
    fn ensure_may_post(
        &self,
        group: usize,
        relation: &Relation,
        content: &MessageContent,
        now: DateTime<Utc>,
    ) -> Result<(), RpcError> {
        let g = &self.groups[group];
        match relation.standing {
            Standing::Admin => return Ok(()),
            Standing::Member => {}
            Standing::Banned => return Err(RpcError::bad_request(names::USER_BANNED_IN_CHANNEL)),
            Standing::Stranger | Standing::Left | Standing::Requested => {
                self.ensure_readable(group, relation, now)?;
                let name = if g.join_to_send {
                    names::CHAT_GUEST_SEND_FORBIDDEN
                } else {
                    names::CHAT_WRITE_FORBIDDEN
                };
                return Err(RpcError::forbidden(name));
            }
        }
        if g.kind != ChannelKind::Supergroup {
            return Err(RpcError::forbidden(names::CHAT_WRITE_FORBIDDEN));
        }
        if relation.restricted {
            return Err(RpcError::bad_request(names::USER_BANNED_IN_CHANNEL));
        }
        // A message without a topic goes to a forum's General topic (id 1); a closed
        // topic takes messages only from those who manage topics (TDLib
        // td/telegram/ForumTopicManager.cpp, `can_send_message_to_forum_topic`):
        // PyroTGFork 400_BAD_REQUEST.tsv:620 TOPIC_CLOSED "This topic was closed, you
        // can't send messages to it anymore".
        if g.forum && g.general_closed {
            return Err(RpcError::bad_request(names::TOPIC_CLOSED));
        }
        // A group charging Stars per message (send_paid_messages_stars,
        // core.telegram.org/api/paid-messages) refuses a message that does not offer
        // them: PyroTGFork 403_FORBIDDEN.tsv:3 ALLOW_PAYMENT_REQUIRED_X "charges
        // {value} Stars per message". The world's clients never offer Stars.
        if g.paid_stars > 0 {
            return Err(RpcError::with_value(
                403,
                names::ALLOW_PAYMENT_REQUIRED,
                g.paid_stars,
            ));
        }
        let rights = g.default_banned;
        if rights.send_messages {
            return Err(RpcError::forbidden(names::CHAT_WRITE_FORBIDDEN));
        }
        if content.is_media() && rights.send_media {
            return Err(RpcError::forbidden(names::CHAT_SEND_MEDIA_FORBIDDEN));
        }
        // Granular rights (layer 150, core.telegram.org/constructor/chatBannedRights):
        // each kind of file has its own right and its own refusal (PyroTGFork
        // compiler/errors/source/403_FORBIDDEN.tsv: CHAT_SEND_PHOTOS_FORBIDDEN,
        // CHAT_SEND_DOCS_FORBIDDEN).
        if let MessageContent::Media { media, .. } = content {
            match media.kind {
                MediaKind::Photo if rights.send_photos => {
                    return Err(RpcError::forbidden(names::CHAT_SEND_PHOTOS_FORBIDDEN));
                }
                MediaKind::Document if rights.send_docs => {
                    return Err(RpcError::forbidden(names::CHAT_SEND_DOCS_FORBIDDEN));
                }
                // PyroTGFork 403_FORBIDDEN.tsv:27 CHAT_SEND_VIDEOS_FORBIDDEN.
                MediaKind::Video if rights.send_videos => {
                    return Err(RpcError::forbidden(names::CHAT_SEND_VIDEOS_FORBIDDEN));
                }
                _ => {}
            }
        }
        if !content.is_media() && rights.send_plain {
            return Err(RpcError::forbidden(names::CHAT_SEND_PLAIN_FORBIDDEN));
        }
        // Without `embed_links` a link may go, but not its preview: TDLib sends such
        // a text with `no_webpage` (td/telegram/MessageContent.cpp,
        // get_input_message_content: no web page unless can_add_web_page_previews),
        // and Telegram refuses a preview there (PyroTGFork 403_FORBIDDEN.tsv:29
        // CHAT_SEND_WEBPAGE_FORBIDDEN "You can't send webpage previews to this
        // chat"). A caption never has a preview.
        if let MessageContent::Text(body) = content
            && rights.embed_links
            && body.has_link()
            && !body.no_webpage
        {
            return Err(RpcError::forbidden(names::CHAT_SEND_WEBPAGE_FORBIDDEN));
        }
        if g.slow_mode_secs > 0
            && let Some(last) = relation.last_post_at
        {
            let next = last + TimeDelta::seconds(i64::from(g.slow_mode_secs));
            if next > now {
                return Err(RpcError::slowmode_wait(secs_until(now, next)));
            }
        }
        Ok(())
    }
}
