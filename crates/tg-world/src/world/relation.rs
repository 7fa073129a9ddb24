//! One account's relation to one group: standing, posts, reads. Kept only for
//! pairs that interacted (memberships are sparse). Timed transitions (an
//! approval, an admin's ban) are stored as due times and applied lazily.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

/// Where an account stands in a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Never joined.
    Stranger,
    /// Joined once, then left.
    Left,
    /// A join request awaits approval.
    Requested,
    /// A member.
    Member,
    /// An admin.
    Admin,
    /// Kicked and banned by the group's admins.
    Banned,
}

impl Standing {
    /// Member or admin.
    pub fn is_member(self) -> bool {
        matches!(self, Self::Member | Self::Admin)
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Relation {
    pub(crate) standing: Standing,
    pub(crate) since: DateTime<Utc>,
    /// When admins ban the account (a pending ban while it is a member).
    pub(crate) ban_at: Option<DateTime<Utc>>,
    /// When admins approve the pending join request.
    pub(crate) approve_at: Option<DateTime<Utc>>,
    /// Personally restricted from sending while a member.
    pub(crate) restricted: bool,
    /// When the personal restriction ends by itself (`until_date` of
    /// `channels.editBanned`, core.telegram.org/constructor/chatBannedRights:
    /// "Validity of said permissions"); `None`: until lifted.
    pub(crate) restricted_until: Option<DateTime<Utc>>,
    pub(crate) posts: u32,
    pub(crate) last_post_at: Option<DateTime<Utc>>,
    pub(crate) read_max_id: i32,
    pub(crate) stories_read_max_id: i32,
}

impl Relation {
    pub(crate) fn stranger(now: DateTime<Utc>) -> Self {
        Self {
            standing: Standing::Stranger,
            since: now,
            ban_at: None,
            approve_at: None,
            restricted: false,
            restricted_until: None,
            posts: 0,
            last_post_at: None,
            read_max_id: 0,
            stories_read_max_id: 0,
        }
    }

    /// Applies the transitions due by `now`: an approval (which may schedule the
    /// anti-spam kick), then a ban.
    pub(crate) fn settle(&mut self, now: DateTime<Utc>, kick_after_join: Option<u32>) {
        if self.standing == Standing::Requested
            && let Some(approved) = self.approve_at.filter(|at| *at <= now)
        {
            self.approve_at = None;
            self.become_member(approved, kick_after_join);
        }
        if self.restricted_until.is_some_and(|until| until <= now) {
            self.restricted = false;
            self.restricted_until = None;
        }
        if self.standing == Standing::Member
            && let Some(banned) = self.ban_at.filter(|at| *at <= now)
        {
            self.ban_at = None;
            self.standing = Standing::Banned;
            self.since = banned;
        }
    }

    /// Becomes a member at `at`, scheduling the anti-spam kick if the group has one.
    pub(crate) fn become_member(&mut self, at: DateTime<Utc>, kick_after_join: Option<u32>) {
        self.standing = Standing::Member;
        self.since = at;
        self.ban_at = kick_after_join.map(|secs| at + TimeDelta::seconds(i64::from(secs)));
    }

    /// Schedules a ban `delay_secs` after `now`, unless one is already due sooner.
    pub(crate) fn schedule_ban(&mut self, now: DateTime<Utc>, delay_secs: u32) {
        let at = now + TimeDelta::seconds(i64::from(delay_secs));
        self.ban_at = Some(self.ban_at.map_or(at, |due| due.min(at)));
    }

    /// This relation as it stands at `now`, without changing it.
    pub(crate) fn at(&self, now: DateTime<Utc>, kick_after_join: Option<u32>) -> Self {
        let mut settled = *self;
        settled.settle(now, kick_after_join);
        settled
    }
}
