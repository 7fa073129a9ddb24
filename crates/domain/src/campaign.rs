//! Campaigns: what the operator promotes, how often a group sees it, and the content
//! fingerprint that keeps a group from seeing the same thing twice within an interval.

use crate::handle::GroupHandle;
use crate::status::{ParseStatusError, status_enum};
use crate::tg_error::ContentKind;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

status_enum!(
    /// Whether a campaign posts.
    CampaignStatus, "campaign status" {
        /// Posting within its period.
        Active => "active",
        /// Stopped by the operator until resumed.
        Paused => "paused",
    }
);

status_enum!(
    /// What a message variant is.
    VariantKind, "variant kind" {
        /// Formatted text.
        Text => "text",
        /// A photo with an optional caption.
        Photo => "photo",
        /// A document (any file) with an optional caption.
        Document => "document",
        /// A post of a source channel, forwarded: readers see the original author.
        Forward => "forward",
        /// A post of a source channel, copied: it appears as the account's own.
        Copy => "copy",
    }
);

status_enum!(
    /// How a text or caption is formatted.
    BodyFormat, "text format" {
        /// Sent as written.
        Plain => "plain",
        /// Markdown (bold, italic, links).
        Markdown => "markdown",
        /// HTML (`<b>`, `<i>`, `<a>`).
        Html => "html",
    }
);

impl VariantKind {
    /// Photo or document: the variant carries a file.
    pub fn has_media(self) -> bool {
        matches!(self, Self::Photo | Self::Document)
    }

    /// Forward or copy: the variant is a post of a source channel.
    pub fn is_source_post(self) -> bool {
        matches!(self, Self::Forward | Self::Copy)
    }

    /// The content kinds whose rights the variant needs (TDLib
    /// `td/telegram/MessageContent.cpp`, `can_send_message_content`: each content
    /// type checks its own right; with layer 150's granular rights a photo needs
    /// `send_photos`, a document `send_docs`, text `send_plain`, and the legacy
    /// `send_media` covers every file).
    /// A forward or copy needs the right of the source message's content, which is
    /// only known when it is sent: none is claimed here.
    pub fn needs(self) -> &'static [ContentKind] {
        match self {
            Self::Text => &[ContentKind::Plain],
            Self::Photo => &[ContentKind::Photos, ContentKind::Media],
            Self::Document => &[ContentKind::Docs, ContentKind::Media],
            Self::Forward | Self::Copy => &[],
        }
    }

    /// Whether a group refusing `refused` takes this variant.
    pub fn allowed_with(self, refused: &[ContentKind]) -> bool {
        // A group charging Stars per message takes nothing from a campaign that does
        // not pay (none does).
        !refused.contains(&ContentKind::Paid)
            && !self.needs().iter().any(|kind| refused.contains(kind))
    }
}

/// The largest photo Telegram takes, in bytes: 10 MB ("The photo must be at most
/// 10 MB in size", core.telegram.org/bots/api#sendphoto; python-telegram-bot's
/// `MAX_PHOTOSIZE_UPLOAD`, 10 MB). Larger pictures go as documents.
pub const MAX_PHOTO_BYTES: u64 = 10 * 1024 * 1024;

/// Whether a text contains a link (so a group's "embed links" right matters).
pub fn has_link(text: &str) -> bool {
    ["http://", "https://", "t.me/", "www."]
        .iter()
        .any(|marker| text.contains(marker))
}

/// A post of a public source channel, written `@channel/123` or `https://t.me/channel/123`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SourcePost {
    /// The source channel (a public username).
    pub channel: GroupHandle,
    /// The message id in the channel.
    pub message_id: i32,
}

/// Why a source post reference could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a channel post: expected @channel/123 or https://t.me/channel/123 (a public channel and a message id)"
)]
pub struct SourcePostError(pub String);

impl SourcePost {
    /// Parses `@channel/123`, `channel/123`, `t.me/channel/123` or `https://t.me/channel/123`.
    pub fn parse(input: &str) -> Result<Self, SourcePostError> {
        let error = || SourcePostError(input.to_owned());
        let trimmed = input.trim().trim_end_matches('/');
        let (channel, id) = trimmed.rsplit_once('/').ok_or_else(error)?;
        let message_id: i32 = id.parse().map_err(|_| error())?;
        if message_id <= 0 {
            return Err(error());
        }
        let channel = GroupHandle::parse(channel).map_err(|_| error())?;
        if !matches!(channel, GroupHandle::Username(_)) {
            return Err(error());
        }
        Ok(Self {
            channel,
            message_id,
        })
    }
}

impl fmt::Display for SourcePost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.channel, self.message_id)
    }
}

impl FromStr for SourcePost {
    type Err = SourcePostError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A campaign's name: 1-100 characters, without leading or trailing blanks. Parsed
/// once where it enters (the CLI, the API), so every `CampaignName` is valid wherever
/// it goes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CampaignName(String);

/// Why a campaign name was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a campaign name: use 1-100 characters")]
pub struct CampaignNameError(pub String);

impl CampaignName {
    /// The longest name, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Trims `input` and checks that 1-100 characters remain.
    pub fn parse(input: &str) -> Result<Self, CampaignNameError> {
        let name = input.trim();
        if name.is_empty() || name.chars().count() > Self::MAX_CHARS {
            return Err(CampaignNameError(input.to_owned()));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for CampaignName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CampaignName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The text of a variant as Telegram limits it: a message (1-4096 characters, not
/// blank) or a caption (0-1024 characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VariantText(String);

/// Why a text or caption was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VariantTextError {
    /// A message needs some text.
    #[error("must not be empty")]
    Empty,
    /// Longer than Telegram accepts.
    #[error("{count} characters; Telegram allows at most {limit}")]
    TooLong {
        /// The text's length in characters.
        count: usize,
        /// Telegram's limit.
        limit: usize,
    },
}

impl VariantText {
    /// Telegram's limit for a message's text, in characters.
    pub const MAX_TEXT: usize = 4096;
    /// Telegram's limit for a caption, in characters.
    pub const MAX_CAPTION: usize = 1024;

    /// A message's text: not blank, at most [`Self::MAX_TEXT`] characters (kept as written).
    pub fn message(input: &str) -> Result<Self, VariantTextError> {
        if input.trim().is_empty() {
            return Err(VariantTextError::Empty);
        }
        Self::within(input, Self::MAX_TEXT)
    }

    /// A caption: at most [`Self::MAX_CAPTION`] characters, possibly empty.
    pub fn caption(input: &str) -> Result<Self, VariantTextError> {
        Self::within(input, Self::MAX_CAPTION)
    }

    fn within(input: &str, limit: usize) -> Result<Self, VariantTextError> {
        let count = input.chars().count();
        if count > limit {
            return Err(VariantTextError::TooLong { count, limit });
        }
        Ok(Self(input.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a variant posts, each kind with exactly what it needs: so a text without
/// text, a photo without a file or a forward with a caption cannot be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VariantContent {
    /// A message.
    Text(VariantText),
    /// A photo (the file's absolute path) with a caption.
    Photo {
        /// The file.
        path: String,
        /// The caption (may be empty).
        caption: VariantText,
    },
    /// A document (the file's absolute path) with a caption.
    Document {
        /// The file.
        path: String,
        /// The caption (may be empty).
        caption: VariantText,
    },
    /// A source channel's post, forwarded.
    Forward(SourcePost),
    /// A source channel's post, copied.
    Copy(SourcePost),
}

impl VariantContent {
    /// Its kind.
    pub fn kind(&self) -> VariantKind {
        match self {
            Self::Text(_) => VariantKind::Text,
            Self::Photo { .. } => VariantKind::Photo,
            Self::Document { .. } => VariantKind::Document,
            Self::Forward(_) => VariantKind::Forward,
            Self::Copy(_) => VariantKind::Copy,
        }
    }

    /// The text or caption (empty for forwards and copies).
    pub fn body(&self) -> &str {
        match self {
            Self::Text(text) => text.as_str(),
            Self::Photo { caption, .. } | Self::Document { caption, .. } => caption.as_str(),
            Self::Forward(_) | Self::Copy(_) => "",
        }
    }

    /// The file, for photos and documents.
    pub fn media_path(&self) -> Option<&str> {
        match self {
            Self::Photo { path, .. } | Self::Document { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The source post, for forwards and copies.
    pub fn source(&self) -> Option<&SourcePost> {
        match self {
            Self::Forward(source) | Self::Copy(source) => Some(source),
            _ => None,
        }
    }
}

/// What readers of a post see: the input of [`Content::hash`].
#[derive(Clone, Copy, Debug)]
pub struct Content<'a> {
    /// Text, photo, document, forward or copy.
    pub kind: VariantKind,
    /// How `body` is formatted.
    pub format: BodyFormat,
    /// The text, or the caption of a photo or document.
    pub body: &'a str,
    /// The file's bytes, for photos and documents.
    pub media: Option<&'a [u8]>,
    /// The source post, for forwards and copies.
    pub source: Option<&'a SourcePost>,
}

impl Content<'_> {
    /// SHA-256 (lower-case hex) over the kind, the format, the body, the file's bytes and
    /// the source post, each length-prefixed, so two variants collide only when readers
    /// would see the same thing.
    pub fn hash(&self) -> String {
        let mut hasher = Sha256::new();
        let mut field = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(b"tgfleet-content-v1");
        field(self.kind.as_str().as_bytes());
        field(self.format.as_str().as_bytes());
        field(self.body.as_bytes());
        field(self.media.unwrap_or_default());
        field(
            self.source
                .map(|source| format!("{}/{}", source.channel.key(), source.message_id))
                .unwrap_or_default()
                .as_bytes(),
        );
        hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

/// Why a repeat interval could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not an interval: expected a number and a unit (d, h, m, s), e.g. 24h, 90m or 1d12h, between 1 minute and 365 days"
)]
pub struct IntervalError(pub String);

/// The shortest repeat interval a campaign may have.
pub const MIN_INTERVAL: Duration = Duration::from_secs(60);
/// The longest repeat interval a campaign may have.
pub const MAX_INTERVAL: Duration = Duration::from_secs(365 * 86_400);

/// Parses an interval such as `24h`, `90m`, `45s` or `1d12h` (1 minute to 365 days).
pub fn parse_interval(input: &str) -> Result<Duration, IntervalError> {
    parse_span(input)
        .filter(|interval| (MIN_INTERVAL..=MAX_INTERVAL).contains(interval))
        .ok_or_else(|| IntervalError(input.to_owned()))
}

/// Reads a span written as numbers with units (`d`, `h`, `m`, `s`), e.g. `24h`,
/// `1d12h`, `0s`; `None` for anything else (no unit, unknown unit, spaces inside,
/// overflow).
pub fn parse_span(input: &str) -> Option<Duration> {
    let text = input.trim();
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut units = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        let amount: u64 = digits.parse().ok()?;
        total = amount
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))?;
        digits.clear();
        units += 1;
    }
    if !digits.is_empty() || units == 0 {
        return None;
    }
    Some(Duration::from_secs(total))
}

/// Formats seconds as the largest whole units: `86400` → `24h`, `5400` → `1h30m`.
pub fn format_interval(secs: u64) -> String {
    let mut text = String::new();
    let mut rest = secs;
    for (unit, size) in [("h", 3_600), ("m", 60), ("s", 1)] {
        if rest >= size {
            text.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    if text.is_empty() {
        text.push_str("0s");
    }
    text
}

/// A campaign's rounds: round `n` covers `[start + n * interval, start + (n + 1) * interval)`.
/// At most one post per (campaign, group, round).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RepeatSchedule {
    /// When round 0 begins (the campaign's start, or its creation).
    pub start: DateTime<Utc>,
    /// The repeat interval (positive).
    pub interval: TimeDelta,
}

impl RepeatSchedule {
    /// The round in progress at `now`; `None` before the start (or for a non-positive interval).
    pub fn round_at(&self, now: DateTime<Utc>) -> Option<u64> {
        let interval = self.interval.num_milliseconds();
        let elapsed = (now - self.start).num_milliseconds();
        if interval <= 0 || elapsed < 0 {
            return None;
        }
        u64::try_from(elapsed / interval).ok()
    }

    /// When `round` begins.
    pub fn round_start(&self, round: u64) -> DateTime<Utc> {
        let round = i32::try_from(round).unwrap_or(i32::MAX);
        self.start + self.interval * round
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn campaign_names_are_trimmed_and_bounded() {
        assert_eq!(
            CampaignName::parse("  Bali villas ").unwrap().as_str(),
            "Bali villas"
        );
        assert!(CampaignName::parse("   ").is_err());
        assert!(CampaignName::parse(&"n".repeat(100)).is_ok());
        let error = CampaignName::parse(&"n".repeat(101)).unwrap_err();
        assert!(error.to_string().contains("1-100 characters"), "{error}");
    }

    #[test]
    fn texts_and_captions_keep_telegram_limits() {
        assert_eq!(VariantText::message(" \n "), Err(VariantTextError::Empty));
        assert_eq!(
            VariantText::message(&"a".repeat(4097)),
            Err(VariantTextError::TooLong {
                count: 4097,
                limit: 4096
            })
        );
        assert_eq!(VariantText::message(" Hi ").unwrap().as_str(), " Hi ");
        assert_eq!(VariantText::caption("").unwrap().as_str(), "");
        assert!(VariantText::caption(&"a".repeat(1025)).is_err());
    }

    #[test]
    fn content_knows_its_kind_body_file_and_source() {
        let source = SourcePost::parse("@news_channel/7").unwrap();
        let photo = VariantContent::Photo {
            path: "/srv/villa.jpg".into(),
            caption: VariantText::caption("Villa").unwrap(),
        };
        assert_eq!(photo.kind(), VariantKind::Photo);
        assert_eq!(photo.body(), "Villa");
        assert_eq!(photo.media_path(), Some("/srv/villa.jpg"));
        assert_eq!(photo.source(), None);
        let copy = VariantContent::Copy(source.clone());
        assert_eq!(copy.kind(), VariantKind::Copy);
        assert_eq!(copy.body(), "");
        assert_eq!(copy.source(), Some(&source));
    }
    use proptest::prelude::*;

    #[test]
    fn source_posts_parse_in_every_form() {
        for input in [
            "@news_channel/123",
            "news_channel/123",
            "t.me/news_channel/123",
            "https://t.me/News_Channel/123/",
        ] {
            let post = SourcePost::parse(input).unwrap();
            assert_eq!(post.channel, GroupHandle::Username("news_channel".into()));
            assert_eq!(post.message_id, 123, "{input}");
            assert_eq!(post.to_string(), "@news_channel/123");
        }
        for bad in [
            "@news_channel",
            "@news_channel/0",
            "@news_channel/abc",
            "+InviteHash/12",
            "https://t.me/c/12345/6",
            "",
        ] {
            assert_eq!(
                SourcePost::parse(bad),
                Err(SourcePostError(bad.to_owned())),
                "{bad}"
            );
        }
    }

    #[test]
    fn intervals_read_units_and_refuse_the_rest() {
        assert_eq!(parse_interval("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_interval("90m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_interval("1d12h"), Ok(Duration::from_secs(129_600)));
        assert_eq!(parse_interval(" 3600s "), Ok(Duration::from_secs(3_600)));
        for bad in ["", "24", "h", "30s", "1w", "-1h", "366d", "1h 30m"] {
            assert_eq!(
                parse_interval(bad),
                Err(IntervalError(bad.to_owned())),
                "{bad}"
            );
        }
        assert_eq!(format_interval(86_400), "24h");
        assert_eq!(format_interval(5_400), "1h30m");
        assert_eq!(format_interval(61), "1m1s");
    }

    #[test]
    fn identical_content_hashes_alike_and_any_difference_changes_it() {
        let source = SourcePost::parse("@news_channel/7").unwrap();
        let text = Content {
            kind: VariantKind::Text,
            format: BodyFormat::Plain,
            body: "Villa for rent",
            media: None,
            source: None,
        };
        assert_eq!(text.hash(), text.hash());
        assert_eq!(text.hash().len(), 64);
        let variants = [
            Content {
                body: "Villa for rent!",
                ..text
            },
            Content {
                format: BodyFormat::Markdown,
                ..text
            },
            Content {
                kind: VariantKind::Photo,
                media: Some(b"jpeg"),
                ..text
            },
            Content {
                kind: VariantKind::Photo,
                media: Some(b"jpeg2"),
                ..text
            },
            Content {
                kind: VariantKind::Forward,
                body: "",
                source: Some(&source),
                ..text
            },
            Content {
                kind: VariantKind::Copy,
                body: "",
                source: Some(&source),
                ..text
            },
        ];
        let mut hashes: Vec<String> = variants.iter().map(Content::hash).collect();
        hashes.push(text.hash());
        let count = hashes.len();
        hashes.sort();
        hashes.dedup();
        assert_eq!(hashes.len(), count, "every variant hashes differently");
    }

    #[test]
    fn rounds_follow_the_interval_from_the_start() {
        let start = DateTime::parse_from_rfc3339("2026-01-10T00:00:00Z")
            .unwrap()
            .to_utc();
        let schedule = RepeatSchedule {
            start,
            interval: TimeDelta::hours(24),
        };
        assert_eq!(schedule.round_at(start - TimeDelta::seconds(1)), None);
        assert_eq!(schedule.round_at(start), Some(0));
        assert_eq!(schedule.round_at(start + TimeDelta::hours(23)), Some(0));
        assert_eq!(schedule.round_at(start + TimeDelta::hours(24)), Some(1));
        assert_eq!(schedule.round_start(2), start + TimeDelta::hours(48));
    }

    proptest! {
        #[test]
        fn now_lies_inside_its_round(offset_secs in 0i64..10_000_000, interval_secs in 60i64..1_000_000) {
            let start = DateTime::parse_from_rfc3339("2026-01-10T00:00:00Z").unwrap().to_utc();
            let schedule = RepeatSchedule { start, interval: TimeDelta::seconds(interval_secs) };
            let now = start + TimeDelta::seconds(offset_secs);
            let round = schedule.round_at(now).unwrap();
            prop_assert!(schedule.round_start(round) <= now);
            prop_assert!(now < schedule.round_start(round + 1));
        }

        #[test]
        fn intervals_round_trip_through_their_format(secs in 60u64..=365 * 86_400) {
            prop_assert_eq!(parse_interval(&format_interval(secs)), Ok(Duration::from_secs(secs)));
        }
    }
}
