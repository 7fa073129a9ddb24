//! Stories: a group shows `stories` active stories with ids 1..=N. They do
//! not expire in the model; each is dated a few hours before the request.

use super::World;
use crate::error::RpcError;
use crate::limits::MethodClass;
use crate::types::{InputChannel, StoryItem, UserId};
use chrono::{DateTime, TimeDelta, Utc};

/// How long a story stays active in Telegram (24 hours).
const STORY_LIFETIME: TimeDelta = TimeDelta::hours(24);

impl World {
    /// `stories.getPeerStories`: the peer's active stories, oldest first.
    /// CHANNEL_PRIVATE when the user cannot read the group.
    pub fn stories_get_peer_stories(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        peer: InputChannel,
    ) -> Result<Vec<StoryItem>, RpcError> {
        self.call(user, |w| {
            let (_, group, _) = w.begin_reading(now, user, MethodClass::Stories, peer)?;
            let g = &w.groups[group];
            let count = i32::try_from(g.stories).unwrap_or(i32::MAX);
            Ok((1..=count)
                .map(|id| {
                    let minutes_ago = i64::from(count - id + 1) * 37;
                    let date = now - TimeDelta::minutes(minutes_ago);
                    StoryItem {
                        id,
                        date,
                        expire_date: date + STORY_LIFETIME,
                        caption: format!("{} story {id}", g.title),
                    }
                })
                .collect())
        })
    }

    /// `stories.readStories` up to `max_id`: answers the ids newly marked seen.
    pub fn stories_read_stories(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        peer: InputChannel,
        max_id: i32,
    ) -> Result<Vec<i32>, RpcError> {
        self.call(user, |w| {
            let (account, group, _) = w.begin_reading(now, user, MethodClass::Stories, peer)?;
            let count = i32::try_from(w.groups[group].stories).unwrap_or(i32::MAX);
            let relation = w.relation_mut(account, group, now);
            let upto = max_id.min(count);
            let newly: Vec<i32> = (relation.stories_read_max_id + 1..=upto).collect();
            relation.stories_read_max_id = relation.stories_read_max_id.max(upto);
            w.accounts[account].counters.stories_viewed += newly.len() as u32;
            Ok(newly)
        })
    }
}
