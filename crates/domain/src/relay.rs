//! Relay campaigns (issue 18): a source channel's new posts become the campaign's
//! variants, filtered by regular expressions, relayed in order after a delay and
//! never after their maximum age; forward or copy, with a copy fallback for
//! protected sources; and the etiquette every campaign keeps (a group whose latest
//! messages include one of the fleet's is skipped).

use crate::campaign::{BodyFormat, CampaignStatus, Content, VariantKind, parse_span};
use crate::ids::VariantId;
use crate::post_outcome::{Consequence, Precheck};
use crate::posting::{
    Blocked, Hold, IN_FLIGHT_RECHECK, LastAttempt, PostPlan, PostingRules, RecentContent, Verdict,
    Waits,
};
use crate::status::{ParseStatusError, PostState, status_enum};
use crate::tg_error::ContentKind;
use chrono::{DateTime, TimeDelta, Utc};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

status_enum!(
    /// How a relay campaign posts its source's posts.
    RelayMode, "relay mode" {
        /// `messages.forwardMessages`: readers see the source as the author.
        Forward => "forward",
        /// The content sent as the account's own message.
        Copy => "copy",
    }
);

status_enum!(
    /// What a source post carries.
    PostKind, "post kind" {
        /// Text only.
        Text => "text",
        /// A photo with a caption.
        Photo => "photo",
        /// A document with a caption.
        Document => "document",
        /// A video with a caption.
        Video => "video",
        /// Several photos, videos or documents sent together (one `grouped_id`).
        Album => "album",
    }
);

impl PostKind {
    /// The content kinds whose rights posting it needs (as [`VariantKind::needs`]:
    /// TDLib `can_send_message_content`, one right per content type, the legacy
    /// `send_media` covering every file).
    /// An album's needs are those of every kind of file in it
    /// ([`PostKind::album_needs`]); alone, `Album` claims them all.
    pub fn needs(self) -> &'static [ContentKind] {
        match self {
            Self::Text => &[ContentKind::Plain],
            Self::Photo => &[ContentKind::Photos, ContentKind::Media],
            Self::Document => &[ContentKind::Docs, ContentKind::Media],
            Self::Video => &[ContentKind::Videos, ContentKind::Media],
            Self::Album => &[
                ContentKind::Photos,
                ContentKind::Videos,
                ContentKind::Docs,
                ContentKind::Media,
            ],
        }
    }

    /// The rights an album of files of these kinds needs: the right of every kind
    /// in it (TDLib `can_send_message_content` is asked per message of an album).
    pub fn album_needs(parts: &[Self]) -> &'static [ContentKind] {
        let has = |kind| parts.contains(&kind);
        match (has(Self::Photo), has(Self::Video), has(Self::Document)) {
            (true, false, false) => Self::Photo.needs(),
            (false, true, false) => Self::Video.needs(),
            (false, false, true) => Self::Document.needs(),
            (true, true, false) => &[ContentKind::Photos, ContentKind::Videos, ContentKind::Media],
            _ => Self::Album.needs(),
        }
    }

    /// The variant kind whose content hash an ordinary variant of the same content
    /// would have (so relay and ordinary campaigns deduplicate against each other).
    fn as_variant_kind(self) -> VariantKind {
        match self {
            Self::Text => VariantKind::Text,
            Self::Photo | Self::Album => VariantKind::Photo,
            Self::Document | Self::Video => VariantKind::Document,
        }
    }
}

/// The content hash of a source post: what readers see. A text post hashes as an
/// ordinary plain-text variant with the same text does; a file is identified by
/// Telegram's id for it (relays never download it), so the same photo posted twice
/// by the source twice hashes alike; an album by the ids of its files, in order.
pub fn relay_content_hash(kind: PostKind, text: &str, media_ids: &[i64]) -> String {
    let media: Vec<u8> = media_ids.iter().flat_map(|id| id.to_le_bytes()).collect();
    Content {
        kind: kind.as_variant_kind(),
        format: BodyFormat::Plain,
        body: text,
        media: (!media_ids.is_empty()).then_some(media.as_slice()),
        source: None,
    }
    .hash()
}

/// A relay's include and exclude patterns: a post passes when its text matches at
/// least one include pattern (or there is none) and no exclude pattern.
#[derive(Clone, Debug, Default)]
pub struct RelayFilters {
    include: Vec<Regex>,
    exclude: Vec<Regex>,
}

/// A pattern that is not a regular expression.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{option} {pattern:?} is not a regular expression: {reason}")]
pub struct FilterError {
    /// `--include` or `--exclude`.
    pub option: &'static str,
    /// The pattern as given.
    pub pattern: String,
    /// What the regex parser said.
    pub reason: String,
}

impl RelayFilters {
    /// Compiles the patterns; the first bad one is named in the error.
    pub fn parse(include: &[String], exclude: &[String]) -> Result<Self, FilterError> {
        let compile = |option: &'static str, patterns: &[String]| {
            patterns
                .iter()
                .map(|pattern| {
                    Regex::new(pattern).map_err(|error| FilterError {
                        option,
                        pattern: pattern.clone(),
                        reason: error
                            .to_string()
                            .lines()
                            .last()
                            .unwrap_or_default()
                            .trim()
                            .to_owned(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Self {
            include: compile("--include", include)?,
            exclude: compile("--exclude", exclude)?,
        })
    }

    /// Whether a post with this text is relayed.
    pub fn passes(&self, text: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|re| re.is_match(text)))
            && !self.exclude.iter().any(|re| re.is_match(text))
    }
}

/// A span that is out of its range or unreadable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{option} {input:?} is not a duration: expected a number and a unit (d, h, m, s), e.g. 5m, 24h or 1d12h, between {min} and {max}"
)]
pub struct SpanError {
    /// The option (`--delay`, `--max-age`).
    pub option: &'static str,
    /// The input as given.
    pub input: String,
    /// The shortest accepted, written.
    pub min: String,
    /// The longest accepted, written.
    pub max: String,
}

/// Reads a relay's span option within `[min, max]`.
pub fn parse_relay_span(
    option: &'static str,
    input: &str,
    min: Duration,
    max: Duration,
) -> Result<Duration, SpanError> {
    parse_span(input)
        .filter(|span| (min..=max).contains(span))
        .ok_or_else(|| SpanError {
            option,
            input: input.to_owned(),
            min: crate::campaign::format_interval(min.as_secs()),
            max: crate::campaign::format_interval(max.as_secs()),
        })
}

/// The longest `--delay` (chosen: a relay that waits longer is not a relay).
pub const MAX_DELAY: Duration = Duration::from_secs(7 * 86_400);
/// The shortest `--max-age`.
pub const MIN_MAX_AGE: Duration = Duration::from_secs(60);
/// The longest `--max-age`.
pub const MAX_MAX_AGE: Duration = Duration::from_secs(30 * 86_400);

/// One relayed post of the campaign as the pair rule sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RelayItem<'a> {
    /// Its variant.
    pub variant: VariantId,
    /// Its round: the source message id (rounds follow the source's order).
    pub round: u64,
    /// What readers see.
    pub content_hash: &'a str,
    /// Relayed from then (read time plus the campaign's delay).
    pub ready_at: DateTime<Utc>,
    /// Not relayed from then (posted time plus the campaign's maximum age).
    pub expires_at: DateTime<Utc>,
    /// Deleted at the source.
    pub deleted: bool,
    /// The rights it needs.
    pub needs: &'static [ContentKind],
}

/// What the relay pair rule looks at.
#[derive(Clone, Copy, Debug)]
pub struct RelayPair<'a> {
    /// Active or paused.
    pub status: CampaignStatus,
    /// No post from this on.
    pub ends_at: Option<DateTime<Utc>>,
    /// How long the same content stays out of a group.
    pub interval: TimeDelta,
    /// The group's slow mode allows this account's next message from then.
    pub slow_mode_until: Option<DateTime<Utc>>,
    /// The last message in the group by any account of the fleet.
    pub chat_last_post: Option<DateTime<Utc>>,
    /// A post to the group is claimed and not completed.
    pub in_flight: bool,
    /// The latest post row of this campaign in this group.
    pub last_attempt: Option<LastAttempt>,
    /// The campaign's relayed posts (any order).
    pub items: &'a [RelayItem<'a>],
    /// The content kinds the group refuses.
    pub refused: &'a [ContentKind],
    /// Content that reached the group recently (any campaign).
    pub recent_content: &'a [RecentContent<'a>],
}

/// Whether a relay campaign may post in the group at `now`, and which post: the
/// source's posts go in order (round = source message id), each at most once per
/// group. A post is passed over for good when it was deleted at the source, is older
/// than the maximum age, needs a right the group refuses, or its content reached the
/// group within the interval (from any campaign). The first remaining post waits for
/// its delay; then the chat gap, slow mode and in-flight rules apply as for any
/// campaign. A failed attempt that asked to be retried is retried (its post first).
pub fn relay_pair_verdict(
    pair: &RelayPair<'_>,
    rules: &PostingRules,
    now: DateTime<Utc>,
) -> Verdict<PostPlan> {
    if pair.status == CampaignStatus::Paused {
        return Verdict::Blocked(Blocked::CampaignPaused);
    }
    if pair.ends_at.is_some_and(|end| end <= now) {
        return Verdict::Blocked(Blocked::CampaignEnded);
    }
    let mut waits = Waits::default();
    let (after, retry) = match pair.last_attempt {
        None => (None, None),
        Some(last) => match last.retry_at {
            Some(retry_at) => (last.round.checked_sub(1), Some(retry_at)),
            None => (Some(last.round), None),
        },
    };
    let seen = |hash: &str| {
        pair.recent_content
            .iter()
            .any(|content| content.content_hash == hash && content.at > now - pair.interval)
    };
    let mut items: Vec<&RelayItem<'_>> = pair
        .items
        .iter()
        .filter(|item| after.is_none_or(|after| item.round > after))
        .collect();
    items.sort_by_key(|item| item.round);
    let next = items.into_iter().find(|item| {
        !item.deleted
            && item.expires_at > now
            && !item.needs.iter().any(|kind| pair.refused.contains(kind))
            && !seen(item.content_hash)
    });
    let Some(item) = next else {
        return Verdict::Blocked(Blocked::NoVariant);
    };
    let mut due_since = item.ready_at;
    if let Some(retry_at) = retry
        && pair
            .last_attempt
            .is_some_and(|last| last.round == item.round)
    {
        waits.until(Some(retry_at), now, Hold::RetryLater);
        due_since = due_since.max(retry_at);
    }
    waits.until(Some(item.ready_at), now, Hold::RoundDone);
    if pair.in_flight {
        waits.until(Some(now + IN_FLIGHT_RECHECK), now, Hold::InFlight);
    }
    waits.until(
        pair.chat_last_post.map(|at| at + rules.min_gap_chat),
        now,
        Hold::ChatGap,
    );
    waits.until(pair.slow_mode_until, now, Hold::SlowMode);
    waits.verdict(PostPlan {
        round: item.round,
        variant: item.variant,
        due_since,
    })
}

/// How a relayed post goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelaySend {
    /// Forwarded.
    Forward,
    /// Copied, as the campaign's mode asks.
    Copy,
    /// Copied because the source forbids forwards and the campaign allows the fallback.
    CopyFallback,
    /// Not sent: the source forbids forwards and the campaign does not allow a copy.
    Refused,
}

/// The skip reason of a forward the source forbids (`noforwards`) without a fallback.
pub const NOFORWARDS_CODE: &str = "SOURCE_NOFORWARDS";

/// How a post of a source with or without `noforwards` goes out in `mode`.
pub fn relay_send(mode: RelayMode, noforwards: bool, allow_copy_fallback: bool) -> RelaySend {
    match (mode, noforwards, allow_copy_fallback) {
        (RelayMode::Copy, _, _) => RelaySend::Copy,
        (RelayMode::Forward, false, _) => RelaySend::Forward,
        (RelayMode::Forward, true, true) => RelaySend::CopyFallback,
        (RelayMode::Forward, true, false) => RelaySend::Refused,
    }
}

/// A forward refused because the source forbids forwards: skipped for good in its
/// round (the next post goes on), the group untouched.
pub fn noforwards_skip(now: DateTime<Utc>) -> Consequence {
    let mut consequence = Consequence::skipped(Precheck::Clear, now);
    consequence.state = PostState::Skipped;
    consequence.error_code = Some(NOFORWARDS_CODE.to_owned());
    consequence
}

/// The skip reason of the etiquette rule.
pub const ETIQUETTE_CODE: &str = "RECENT_MESSAGE_OURS";

/// The etiquette: whether one of the group's latest `last_n` messages (newest first,
/// by sender) is the fleet's, so posting now would crowd a quiet group.
pub fn fleet_among_latest(senders: &[Option<i64>], fleet: &[i64], last_n: usize) -> bool {
    senders
        .iter()
        .take(last_n)
        .flatten()
        .any(|sender| fleet.contains(sender))
}

/// The etiquette's skip: nothing sent, the same round tried again after `recheck`.
pub fn etiquette_skip(now: DateTime<Utc>, recheck: TimeDelta) -> Consequence {
    let mut consequence = Consequence::skipped(Precheck::Clear, now);
    consequence.state = PostState::Skipped;
    consequence.error_code = Some(ETIQUETTE_CODE.to_owned());
    consequence.retry_at = Some(now + recheck);
    consequence
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windows::ActivityWindows;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-10T00:00:00Z")
            .unwrap()
            .to_utc()
            + TimeDelta::minutes(minutes)
    }

    fn rules() -> PostingRules {
        PostingRules {
            windows: ActivityWindows::parse("0-24").unwrap(),
            per_day: 100,
            per_hour: 100,
            min_gap_account: TimeDelta::zero(),
            min_gap_chat: TimeDelta::minutes(5),
            window_margin: TimeDelta::zero(),
        }
    }

    fn item(round: u64, hash: &'static str, ready: i64) -> RelayItem<'static> {
        RelayItem {
            variant: VariantId(i64::try_from(round).unwrap() + 100),
            round,
            content_hash: hash,
            ready_at: at(ready),
            expires_at: at(ready + 24 * 60),
            deleted: false,
            needs: PostKind::Text.needs(),
        }
    }

    fn pair<'a>(items: &'a [RelayItem<'a>], last: Option<LastAttempt>) -> RelayPair<'a> {
        RelayPair {
            status: CampaignStatus::Active,
            ends_at: None,
            interval: TimeDelta::hours(24),
            slow_mode_until: None,
            chat_last_post: None,
            in_flight: false,
            last_attempt: last,
            items,
            refused: &[],
            recent_content: &[],
        }
    }

    fn sent(round: u64) -> Option<LastAttempt> {
        Some(LastAttempt {
            round,
            retry_at: None,
            variant: VariantId(0),
        })
    }

    #[test]
    fn posts_go_in_source_order_each_once() {
        let items = [item(12, "c", 20), item(10, "a", 0), item(11, "b", 10)];
        let plan = relay_pair_verdict(&pair(&items, None), &rules(), at(30)).ready();
        assert_eq!(plan.map(|plan| plan.round), Some(10));
        let plan = relay_pair_verdict(&pair(&items, sent(10)), &rules(), at(30)).ready();
        assert_eq!(plan.map(|plan| plan.round), Some(11));
        let done = relay_pair_verdict(&pair(&items, sent(12)), &rules(), at(30));
        assert_eq!(done, Verdict::Blocked(Blocked::NoVariant));
    }

    #[test]
    fn a_post_waits_for_its_delay() {
        let items = [item(10, "a", 60)];
        assert_eq!(
            relay_pair_verdict(&pair(&items, None), &rules(), at(30)),
            Verdict::Wait {
                until: at(60),
                hold: Hold::RoundDone
            }
        );
    }

    #[test]
    fn deleted_expired_refused_and_repeated_posts_are_passed_over() {
        let mut deleted = item(10, "a", 0);
        deleted.deleted = true;
        let mut expired = item(11, "b", 0);
        expired.expires_at = at(1);
        let mut photo = item(12, "c", 0);
        photo.needs = PostKind::Photo.needs();
        let repeated = item(13, "d", 0);
        let fresh = item(14, "e", 0);
        let items = [deleted, expired, photo, repeated, fresh];
        let recent = [RecentContent {
            content_hash: "d",
            at: at(5),
        }];
        let mut snapshot = pair(&items, None);
        snapshot.refused = &[ContentKind::Photos];
        snapshot.recent_content = &recent;
        let plan = relay_pair_verdict(&snapshot, &rules(), at(30)).ready();
        assert_eq!(plan.map(|plan| plan.round), Some(14));
    }

    #[test]
    fn a_failed_attempt_is_retried_first_when_due() {
        let items = [item(10, "a", 0), item(11, "b", 0)];
        let last = Some(LastAttempt {
            round: 10,
            retry_at: Some(at(40)),
            variant: VariantId(110),
        });
        assert_eq!(
            relay_pair_verdict(&pair(&items, last), &rules(), at(30)),
            Verdict::Wait {
                until: at(40),
                hold: Hold::RetryLater
            }
        );
        let plan = relay_pair_verdict(&pair(&items, last), &rules(), at(41)).ready();
        assert_eq!(plan.map(|plan| plan.round), Some(10));
    }

    #[test]
    fn filters_include_then_exclude_and_name_a_bad_pattern() {
        let filters =
            RelayFilters::parse(&["villa|news".into()], &["(?i)sponsored".into()]).unwrap();
        assert!(filters.passes("market news"));
        assert!(!filters.passes("Sponsored news"));
        assert!(!filters.passes("beach photo"));
        assert!(RelayFilters::default().passes("anything"));
        let error = RelayFilters::parse(&[], &["(unclosed".into()]).unwrap_err();
        assert_eq!(error.option, "--exclude");
        assert!(error.to_string().contains("(unclosed"), "{error}");
    }

    #[test]
    fn spans_are_read_within_their_range() {
        let week = MAX_DELAY;
        assert_eq!(
            parse_relay_span("--delay", "5m", Duration::ZERO, week),
            Ok(Duration::from_secs(300))
        );
        assert_eq!(
            parse_relay_span("--delay", "0s", Duration::ZERO, week),
            Ok(Duration::ZERO)
        );
        let error = parse_relay_span("--max-age", "forever", MIN_MAX_AGE, MAX_MAX_AGE).unwrap_err();
        assert!(
            error.to_string().starts_with("--max-age \"forever\""),
            "{error}"
        );
        assert!(parse_relay_span("--delay", "8d", Duration::ZERO, week).is_err());
    }

    #[test]
    fn a_text_post_hashes_like_an_ordinary_text_variant() {
        let ordinary = Content {
            kind: VariantKind::Text,
            format: BodyFormat::Plain,
            body: "Villa for rent",
            media: None,
            source: None,
        }
        .hash();
        assert_eq!(
            relay_content_hash(PostKind::Text, "Villa for rent", &[]),
            ordinary
        );
        assert_ne!(
            relay_content_hash(PostKind::Photo, "Villa for rent", &[1]),
            relay_content_hash(PostKind::Photo, "Villa for rent", &[2])
        );
        assert_ne!(
            relay_content_hash(PostKind::Album, "Villa for rent", &[1, 2]),
            relay_content_hash(PostKind::Album, "Villa for rent", &[2, 1])
        );
    }

    #[test]
    fn an_album_needs_the_right_of_every_kind_in_it() {
        use PostKind::{Document, Photo, Video};
        let needs = PostKind::album_needs(&[Photo, Video, Photo]);
        assert!(needs.contains(&ContentKind::Photos) && needs.contains(&ContentKind::Videos));
        assert!(!needs.contains(&ContentKind::Docs));
        assert_eq!(PostKind::album_needs(&[Photo, Photo]), Photo.needs());
        assert_eq!(PostKind::album_needs(&[Document]), Document.needs());
    }

    #[test]
    fn protected_sources_are_copied_only_with_the_fallback() {
        assert_eq!(
            relay_send(RelayMode::Forward, false, false),
            RelaySend::Forward
        );
        assert_eq!(
            relay_send(RelayMode::Forward, true, false),
            RelaySend::Refused
        );
        assert_eq!(
            relay_send(RelayMode::Forward, true, true),
            RelaySend::CopyFallback
        );
        assert_eq!(relay_send(RelayMode::Copy, true, false), RelaySend::Copy);
        assert_eq!(
            noforwards_skip(at(0)).error_code.as_deref(),
            Some(NOFORWARDS_CODE)
        );
        assert!(noforwards_skip(at(0)).retry_at.is_none());
    }

    #[test]
    fn the_etiquette_looks_at_the_latest_messages_only() {
        let fleet = [7, 8];
        let latest = [Some(1), None, Some(2), Some(3), Some(4), Some(7)];
        assert!(!fleet_among_latest(&latest, &fleet, 5));
        assert!(fleet_among_latest(&latest, &fleet, 6));
        let skip = etiquette_skip(at(0), TimeDelta::minutes(30));
        assert_eq!(skip.error_code.as_deref(), Some(ETIQUETTE_CODE));
        assert_eq!(skip.retry_at, Some(at(30)));
        assert_eq!(skip.state, PostState::Skipped);
    }
}
