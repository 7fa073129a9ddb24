//! Users, look-ups, joins, invites, participants and leaves.

use super::{Standing, World, restricted_rights};
use crate::derive;
use crate::error::{RpcError, names};
use crate::limits::MethodClass;
use crate::scenario::check_username;
use crate::types::{
    BannedRights, ChannelFull, ChannelInfo, ChannelParticipant, ChatInvite, ForumTopic,
    InputChannel, InvitePreview, Participant, UpdatesState, UserId, UserInfo,
};
use chrono::{DateTime, TimeDelta, Utc};

/// The General topic's id (TDLib td/telegram/ForumTopicId.h, `ForumTopicId::general()`).
pub const GENERAL_TOPIC: i32 = 1;

impl World {
    /// `users.getUsers([inputUserSelf])`: the acting user.
    pub fn users_get_users_self(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
    ) -> Result<UserInfo, RpcError> {
        self.call(user, |w| {
            let account = w.begin(now, user, MethodClass::Info)?;
            Ok(w.user_info(account))
        })
    }

    /// `updates.getState`.
    pub fn updates_get_state(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
    ) -> Result<UpdatesState, RpcError> {
        self.call(user, |w| {
            let account = w.begin(now, user, MethodClass::Info)?;
            Ok(UpdatesState {
                pts: w.accounts[account].pts,
                qts: 0,
                seq: 0,
                date: now,
                unread_count: 0,
            })
        })
    }

    /// `contacts.resolveUsername`: the channel a username points at.
    /// USERNAME_INVALID for bad syntax, USERNAME_NOT_OCCUPIED for unknown or
    /// vanished usernames. A kicked user gets the channel with `forbidden` set.
    pub fn contacts_resolve_username(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        username: &str,
    ) -> Result<ChannelInfo, RpcError> {
        self.call(user, |w| {
            let account = w.begin(now, user, MethodClass::Resolve)?;
            check_username(username).map_err(|_| RpcError::bad_request(names::USERNAME_INVALID))?;
            let group = w
                .by_username
                .get(&username.to_ascii_lowercase())
                .copied()
                .filter(|&g| w.groups[g].username_at(now).is_some())
                .ok_or_else(|| RpcError::bad_request(names::USERNAME_NOT_OCCUPIED))?;
            let relation = w.relation(account, group, now);
            Ok(w.channel_info(account, group, &relation, now))
        })
    }

    /// `channels.joinChannel`: joins a public group or channel. Already a
    /// member: answers the channel (Telegram answers empty updates). Approval
    /// needed: INVITE_REQUEST_SENT. Private or kicked: CHANNEL_PRIVATE.
    /// At the membership cap: CHANNELS_TOO_MUCH.
    pub fn channels_join_channel(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        channel: InputChannel,
    ) -> Result<ChannelInfo, RpcError> {
        self.call(user, |w| {
            let (account, group) = w.begin_on(now, user, MethodClass::Join, channel)?;
            let relation = w.relation(account, group, now);
            match relation.standing {
                Standing::Banned => return Err(RpcError::bad_request(names::CHANNEL_PRIVATE)),
                Standing::Member | Standing::Admin => {
                    return Ok(w.channel_info(account, group, &relation, now));
                }
                Standing::Requested => {
                    return Err(RpcError::bad_request(names::INVITE_REQUEST_SENT));
                }
                Standing::Stranger | Standing::Left => {}
            }
            if !w.groups[group].is_public(now) {
                return Err(RpcError::bad_request(names::CHANNEL_PRIVATE));
            }
            w.enter(account, group, now)
        })
    }

    /// `messages.checkChatInvite`: what an invite shows. INVITE_HASH_INVALID
    /// for unknown hashes, INVITE_HASH_EXPIRED for expired ones or deleted groups.
    /// A basic group's preview says so (`basic`: the `chatInvite` has no `channel`
    /// flag, core.telegram.org/constructor/chatInvite).
    pub fn messages_check_chat_invite(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        hash: &str,
    ) -> Result<ChatInvite, RpcError> {
        self.call(user, |w| {
            let account = w.begin(now, user, MethodClass::Resolve)?;
            let group = w.invite_target(hash, now)?;
            let relation = w.relation(account, group, now);
            if relation.standing.is_member() {
                return Ok(ChatInvite::Already(
                    w.channel_info(account, group, &relation, now),
                ));
            }
            let g = &w.groups[group];
            Ok(ChatInvite::Invite(InvitePreview {
                title: g.title.clone(),
                kind: g.kind,
                basic: g.basic,
                request_needed: g.approval_required,
                public: g.username_at(now).is_some(),
                participants_count: g.participants_count(),
            }))
        })
    }

    /// `messages.importChatInvite`: joins by invite (a basic group's too: the user
    /// becomes a member of the `chat`). USER_ALREADY_PARTICIPANT
    /// for members, INVITE_REQUEST_SENT when approval is needed, CHANNEL_PRIVATE
    /// for kicked users, CHANNELS_TOO_MUCH at the cap.
    pub fn messages_import_chat_invite(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        hash: &str,
    ) -> Result<ChannelInfo, RpcError> {
        self.call(user, |w| {
            let account = w.begin(now, user, MethodClass::Join)?;
            let group = w.invite_target(hash, now)?;
            match w.relation(account, group, now).standing {
                Standing::Banned => Err(RpcError::bad_request(names::CHANNEL_PRIVATE)),
                Standing::Member | Standing::Admin => {
                    Err(RpcError::bad_request(names::USER_ALREADY_PARTICIPANT))
                }
                Standing::Requested => Err(RpcError::bad_request(names::INVITE_REQUEST_SENT)),
                Standing::Stranger | Standing::Left => w.enter(account, group, now),
            }
        })
    }

    /// `channels.getParticipant(channel, inputPeerSelf)`. USER_NOT_PARTICIPANT
    /// for non-members of a group they can see, CHANNEL_PRIVATE otherwise.
    /// Kicked users get `Participant::Banned { left: true, .. }`.
    pub fn channels_get_participant_self(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        channel: InputChannel,
    ) -> Result<ChannelParticipant, RpcError> {
        self.call(user, |w| {
            let (account, group) = w.begin_on(now, user, MethodClass::Info, channel)?;
            let relation = w.relation(account, group, now);
            let participant = match relation.standing {
                Standing::Banned => Participant::Banned {
                    since: relation.since,
                    left: true,
                    rights: BannedRights::kicked(),
                },
                Standing::Admin => Participant::Admin {
                    since: relation.since,
                },
                Standing::Member if relation.restricted => Participant::Banned {
                    since: relation.since,
                    left: false,
                    rights: restricted_rights(relation.restricted_until),
                },
                Standing::Member => Participant::Member {
                    since: relation.since,
                },
                Standing::Stranger | Standing::Left | Standing::Requested => {
                    w.ensure_readable(group, &relation, now)?;
                    return Err(RpcError::bad_request(names::USER_NOT_PARTICIPANT));
                }
            };
            Ok(ChannelParticipant {
                participant,
                channel: w.channel_info(account, group, &relation, now),
            })
        })
    }

    /// `channels.getFullChannel`: rights, slow mode and the acting user's next
    /// allowed send time. CHANNEL_PRIVATE for kicked users and non-members of
    /// private groups.
    pub fn channels_get_full_channel(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        channel: InputChannel,
    ) -> Result<ChannelFull, RpcError> {
        self.call(user, |w| {
            let (account, group, relation) =
                w.begin_reading(now, user, MethodClass::Info, channel)?;
            let g = &w.groups[group];
            let slow = (g.slow_mode_secs > 0).then_some(g.slow_mode_secs);
            let next_send = match (slow, relation.last_post_at, relation.standing) {
                (Some(secs), Some(last), Standing::Member) => {
                    Some(last + TimeDelta::seconds(i64::from(secs))).filter(|at| *at > now)
                }
                _ => None,
            };
            Ok(ChannelFull {
                channel: w.channel_info(account, group, &relation, now),
                about: format!("{} (simulated)", g.title),
                participants_count: g.participants_count(),
                slowmode_seconds: slow,
                slowmode_next_send_date: next_send,
                read_inbox_max_id: relation.read_max_id,
                top_message_id: g.top_message_id(),
                has_stories: g.stories > 0,
                reactions_disabled: g.reactions_disabled,
            })
        })
    }

    /// `messages.getForumTopicsByID` (core.telegram.org/method/messages.getForumTopicsByID,
    /// what TDLib asks for one topic: td/telegram/ForumTopicManager.cpp,
    /// `GetForumTopicQuery`): the General topic (id 1) open or closed as the group
    /// says, any other id `forumTopicDeleted`. CHANNEL_FORUM_MISSING when the
    /// supergroup is not a forum (Telethon errors.csv:70); CHANNEL_PRIVATE when the
    /// user cannot read the group.
    pub fn messages_get_forum_topics_by_id(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        channel: InputChannel,
        topics: &[i32],
    ) -> Result<Vec<ForumTopic>, RpcError> {
        self.call(user, |w| {
            let (_, group, _) = w.begin_reading(now, user, MethodClass::Info, channel)?;
            let g = &w.groups[group];
            if !g.forum {
                return Err(RpcError::bad_request(names::CHANNEL_FORUM_MISSING));
            }
            Ok(topics
                .iter()
                .map(|&id| ForumTopic {
                    id,
                    title: if id == GENERAL_TOPIC { "General" } else { "" }.to_owned(),
                    closed: id == GENERAL_TOPIC && g.general_closed,
                    deleted: id != GENERAL_TOPIC,
                })
                .collect())
        })
    }

    /// `channels.leaveChannel`. Also withdraws a pending join request.
    /// USER_NOT_PARTICIPANT for non-members, CHANNEL_PRIVATE for kicked users.
    pub fn channels_leave_channel(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        channel: InputChannel,
    ) -> Result<(), RpcError> {
        self.call(user, |w| {
            let (account, group) = w.begin_on(now, user, MethodClass::Join, channel)?;
            let relation = w.relation_mut(account, group, now);
            let was_member = match relation.standing {
                Standing::Member | Standing::Admin => true,
                Standing::Requested => false,
                Standing::Banned => return Err(RpcError::bad_request(names::CHANNEL_PRIVATE)),
                Standing::Stranger | Standing::Left => {
                    return Err(RpcError::bad_request(names::USER_NOT_PARTICIPANT));
                }
            };
            relation.standing = Standing::Left;
            relation.since = now;
            relation.ban_at = None;
            relation.approve_at = None;
            let account = &mut w.accounts[account];
            account.counters.leaves += 1;
            account.pts += 1;
            if was_member {
                w.groups[group].joined_delta -= 1;
            }
            Ok(())
        })
    }

    /// The group an invite hash leads to, if it still works.
    fn invite_target(&self, hash: &str, now: DateTime<Utc>) -> Result<usize, RpcError> {
        let group = *self
            .by_invite
            .get(hash)
            .ok_or_else(|| RpcError::bad_request(names::INVITE_HASH_INVALID))?;
        let g = &self.groups[group];
        let expired = g.invite_expires_at.is_some_and(|at| at <= now) || g.is_deleted(now);
        if expired {
            return Err(RpcError::bad_request(names::INVITE_HASH_EXPIRED));
        }
        Ok(group)
    }

    /// Joins (or requests to join) a group the account may enter.
    fn enter(
        &mut self,
        account: usize,
        group: usize,
        now: DateTime<Utc>,
    ) -> Result<ChannelInfo, RpcError> {
        let memberships = self.membership_count(account, now);
        if memberships >= self.limits.channels_max as usize {
            return Err(RpcError::bad_request(names::CHANNELS_TOO_MUCH));
        }
        // The anti-abuse hold below the cap (Limits::channels_per_day; community
        // report https://github.com/tdlib/td/issues/1139).
        let per_day = self.limits.channels_per_day as usize;
        if per_day > 0 && self.joins_since(account, now - TimeDelta::days(1), now) >= per_day {
            return Err(RpcError::bad_request(names::CHANNELS_TOO_MUCH));
        }
        let g = &self.groups[group];
        let (approval, approve_after, kick) = (
            g.approval_required,
            g.approve_after_secs,
            g.kick_after_join_secs,
        );
        let relation = self.relation_mut(account, group, now);
        if approval {
            relation.standing = Standing::Requested;
            relation.since = now;
            relation.approve_at =
                approve_after.map(|secs| now + TimeDelta::seconds(i64::from(secs)));
            self.accounts[account].counters.join_requests += 1;
            return Err(RpcError::bad_request(names::INVITE_REQUEST_SENT));
        }
        relation.become_member(now, kick);
        let relation = *relation;
        let acting = &mut self.accounts[account];
        acting.counters.joins += 1;
        acting.pts += 1;
        self.groups[group].joined_delta += 1;
        Ok(self.channel_info(account, group, &relation, now))
    }

    /// Groups the account is a member or admin of at `now`.
    /// Memberships of `account` that began after `since` (and still hold).
    fn joins_since(&self, account: usize, since: DateTime<Utc>, now: DateTime<Utc>) -> usize {
        self.accounts[account]
            .relations
            .iter()
            .filter(|(group, relation)| {
                let kick = self.groups[**group as usize].kick_after_join_secs;
                relation.since > since && relation.at(now, kick).standing.is_member()
            })
            .count()
    }

    pub(crate) fn membership_count(&self, account: usize, now: DateTime<Utc>) -> usize {
        self.accounts[account]
            .relations
            .iter()
            .filter(|(group, relation)| {
                let kick = self.groups[**group as usize].kick_after_join_secs;
                relation.at(now, kick).standing.is_member()
            })
            .count()
    }

    pub(super) fn user_info(&self, account: usize) -> UserInfo {
        let a = &self.accounts[account];
        UserInfo {
            id: UserId(a.user_id),
            access_hash: derive::user_access_hash(self.seed, a.user_id),
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            username: a.username.clone(),
            phone: a.phone.clone(),
        }
    }
}
