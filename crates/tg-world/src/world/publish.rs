//! Channels that publish over simulated time (relay sources): their posts, edits and
//! deletions appear when a method reads the channel at or after their time.

use super::{StoredMessage, World};
use crate::error::{RpcError, names};
use crate::scenario::MediaOrText;
use crate::types::{MediaKind, MessageContent, TextBody, UploadedMedia, UserId};
use chrono::{DateTime, TimeDelta, Utc};

/// The topics of published posts, in rotation (chosen for tests: one of them,
/// "sponsored offer", is what relay filters typically exclude).
pub const TOPICS: [&str; 4] = [
    "villa for rent",
    "market news",
    "sponsored offer",
    "beach photo",
];

impl World {
    /// Appends the posts `group` published up to `now`, and applies the edits and
    /// deletions due by then. A channel's posts are its own (`post`, no author), as
    /// a broadcast channel's are (core.telegram.org/constructor/message: `post`
    /// "Whether this is a channel post"); an edit sets `edit_date`
    /// (core.telegram.org/method/messages.editMessage); a deleted message is gone
    /// from every history (core.telegram.org/method/channels.deleteMessages).
    pub(super) fn publish_due(&mut self, group: usize, now: DateTime<Utc>) {
        self.chatter_due(group, now);
        let (epoch, seed) = (self.epoch, self.seed);
        let g = &mut self.groups[group];
        let Some(spec) = g.publish.clone() else {
            return;
        };
        let every = TimeDelta::seconds(i64::from(spec.every_secs.max(1)));
        while g.published < spec.count {
            let k = g.published + 1;
            let date = epoch + every * i32::try_from(k).unwrap_or(i32::MAX);
            if date > now {
                break;
            }
            let topic = TOPICS[(k as usize - 1) % TOPICS.len()];
            let text = TextBody::plain(format!("{} post {k}: {topic}", g.title));
            let kind = spec.kinds[(k as usize - 1) % spec.kinds.len().max(1)];
            let file = |kind: MediaKind, part: &str| UploadedMedia {
                kind,
                file_name: format!(
                    "post-{k}{part}.{}",
                    match kind {
                        MediaKind::Photo => "jpg",
                        MediaKind::Document => "pdf",
                        MediaKind::Video => "mp4",
                    }
                ),
                size: 10_000 + u64::from(k),
            };
            let media = |kind| MessageContent::Media {
                media: file(kind, ""),
                caption: text.clone(),
            };
            let (contents, grouped_id) = match kind {
                MediaOrText::Text => (vec![MessageContent::Text(text.clone())], None),
                MediaOrText::Photo => (vec![media(MediaKind::Photo)], None),
                MediaOrText::Document => (vec![media(MediaKind::Document)], None),
                MediaOrText::Video => (vec![media(MediaKind::Video)], None),
                // An album's files share one `grouped_id`
                // (core.telegram.org/api/files#albums-grouped-media); its caption is
                // the first file's (chosen for tests).
                MediaOrText::Album => {
                    let parts = [
                        (MediaKind::Photo, "a"),
                        (MediaKind::Video, "b"),
                        (MediaKind::Photo, "c"),
                    ];
                    let contents = parts
                        .iter()
                        .enumerate()
                        .map(|(index, (kind, part))| MessageContent::Media {
                            media: file(*kind, part),
                            caption: if index == 0 {
                                text.clone()
                            } else {
                                TextBody::plain(String::new())
                            },
                        })
                        .collect();
                    let next = u64::try_from(g.top_message_id()).unwrap_or_default() + 1;
                    let album = crate::derive::mix(
                        seed,
                        crate::derive::Tag::History,
                        &[g.id.cast_unsigned(), 5, next],
                    );
                    (contents, Some(album.cast_signed()))
                }
            };
            for content in contents {
                g.posts.push(StoredMessage {
                    date,
                    from: UserId(0),
                    content,
                    forward: None,
                    as_channel: true,
                    edit_date: None,
                    deleted: false,
                    grouped_id,
                });
            }
            g.published = k;
        }
        let channel_posts = g.posts.iter_mut().filter(|post| post.as_channel);
        // The k-th post: an album's files are one post (its first file carries the
        // caption, so the edit).
        let (mut k, mut album) = (0u32, None);
        for post in channel_posts {
            let first = post.grouped_id.is_none() || post.grouped_id != album;
            album = post.grouped_id;
            if first {
                k = k.saturating_add(1);
            }
            let posted = post.date;
            if first && spec.edit_every > 0 && k % spec.edit_every == 0 && post.edit_date.is_none()
            {
                let at = posted + TimeDelta::seconds(i64::from(spec.edit_after_secs));
                if at <= now {
                    post.edit_date = Some(at);
                    let edited = format!("{} (edited)", post.content.text().text);
                    match &mut post.content {
                        MessageContent::Text(body)
                        | MessageContent::Media { caption: body, .. } => {
                            body.text = edited;
                        }
                    }
                }
            }
            if spec.delete_every > 0 && k % spec.delete_every == 0 && !post.deleted {
                let at = posted + TimeDelta::seconds(i64::from(spec.delete_after_secs));
                if at <= now {
                    post.deleted = true;
                }
            }
        }
    }

    /// Appends the messages other members wrote in `group` up to `now` (one every
    /// `chatter_every_secs` from the epoch; authors derived from the seed, chosen for
    /// tests), so the group's history moves on between the fleet's posts.
    pub(super) fn chatter_due(&mut self, group: usize, now: DateTime<Utc>) {
        let (epoch, seed) = (self.epoch, self.seed);
        let g = &mut self.groups[group];
        let Some(every) = g.chatter_every_secs.filter(|every| *every > 0) else {
            return;
        };
        let every = TimeDelta::seconds(i64::from(every));
        loop {
            let n = g.chattered + 1;
            let date = epoch + every * i32::try_from(n).unwrap_or(i32::MAX);
            if date > now {
                break;
            }
            let author = crate::derive::mix(
                seed,
                crate::derive::Tag::History,
                &[g.id.cast_unsigned(), 4, u64::from(n)],
            ) % 900_000;
            g.posts.push(StoredMessage {
                date,
                from: UserId(100_000 + i64::try_from(author).unwrap_or_default()),
                content: MessageContent::Text(TextBody::plain(format!("{} chat {n}", g.title))),
                forward: None,
                as_channel: false,
                edit_date: None,
                deleted: false,
                grouped_id: None,
            });
            g.chattered = n;
        }
    }
}

/// The (id, access hash) under which a message's photo or document is served
/// (`photo.id` / `document.id` and their `access_hash`): derived from the channel and
/// the message, so every client sees the same file as the same id. Chosen for tests.
pub fn media_ref(channel_id: i64, message_id: i32) -> (i64, i64) {
    let id = mix(channel_id, i64::from(message_id));
    (id, mix(id, 0x4d45_4449))
}

fn mix(a: i64, b: i64) -> i64 {
    let mut z =
        (a.cast_unsigned() ^ b.cast_unsigned().rotate_left(29)).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)).cast_signed()
}

impl World {
    /// The file a `inputMediaPhoto` / `inputMediaDocument` names by id and access
    /// hash (core.telegram.org/constructor/inputMediaPhoto: "Forwarded photo"):
    /// a file of a message the world holds. MEDIA_INVALID (Telethon errors.csv:
    /// "Media invalid") when no message carries it. Re-sending a file of a
    /// protected channel is allowed here (chosen for tests: what Telegram answers
    /// is not documented).
    pub fn media_by_ref(&self, id: i64, access_hash: i64) -> Result<UploadedMedia, RpcError> {
        for g in &self.groups {
            let history = i32::try_from(g.history).unwrap_or(i32::MAX);
            for (index, post) in g.posts.iter().enumerate() {
                let message_id = history + i32::try_from(index).unwrap_or(i32::MAX) + 1;
                if let MessageContent::Media { media, .. } = &post.content
                    && media_ref(g.id, message_id) == (id, access_hash)
                {
                    return Ok(media.clone());
                }
            }
        }
        Err(RpcError::bad_request(names::MEDIA_INVALID))
    }
}
