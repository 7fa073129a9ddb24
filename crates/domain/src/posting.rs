//! Posting eligibility (docs/design.md): when an account may post, and which
//! (campaign, group) pair it may post next.
//!
//! Every rule answers a [`Verdict`]: ready now, wait until a time (a lower bound: the
//! earliest instant the rule can be satisfied, so a scheduler waking then never
//! oversleeps), or blocked until something else changes (an operator, a review).
//! Caps are sliding windows: at most `per_day` messages in any 24 hours and `per_hour`
//! in any hour, counting every message that may have reached Telegram.

use crate::campaign::{CampaignStatus, RepeatSchedule};
use crate::ids::VariantId;
use crate::status::AccountStatus;
use crate::windows::ActivityWindows;
use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};
use chrono_tz::Tz;

/// The fleet's posting limits (`[posting]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostingRules {
    /// Local hours in which accounts post.
    pub windows: ActivityWindows,
    /// Messages per account in any 24 hours.
    pub per_day: u32,
    /// Messages per account in any hour.
    pub per_hour: u32,
    /// Gap between any two messages of one account.
    pub min_gap_account: TimeDelta,
    /// Gap between any two messages in one chat (by any account of the fleet).
    pub min_gap_chat: TimeDelta,
    /// How long a post may take from the decision to the send (pre-check and send
    /// requests): a post starts only if the windows are still open that much later.
    pub window_margin: TimeDelta,
}

/// Why something must wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Hold {
    /// Outside the account's activity windows.
    OutsideWindow,
    /// `per_day` messages in the last 24 hours.
    DailyCap,
    /// `per_hour` messages in the last hour.
    HourlyCap,
    /// Too soon after the account's last message.
    AccountGap,
    /// A FloodWait on posting.
    PostFlood,
    /// The spam-block cool-down.
    CoolDown,
    /// The account rests.
    Resting,
    /// Too soon after the last message in the group.
    ChatGap,
    /// The group's slow mode.
    SlowMode,
    /// This round's post is done; the next round has not begun.
    RoundDone,
    /// The round's last attempt asked to retry later.
    RetryLater,
    /// Every variant was posted in the group within the interval.
    RepeatedContent,
    /// The campaign has not started.
    NotStarted,
    /// Another post to the group is in flight: its outcome may close the group.
    InFlight,
}

/// Why something cannot post until the operator or a review changes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Blocked {
    /// The account is suspended, unauthorized, deactivated, or resting without an end.
    AccountUnusable(AccountStatus),
    /// The campaign is paused.
    CampaignPaused,
    /// The campaign's end date passed.
    CampaignEnded,
    /// The campaign has no enabled variant.
    NoVariant,
}

/// The answer of an eligibility rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict<T> {
    /// Eligible now.
    Ready(T),
    /// Not before `until` (a lower bound), because of `hold`.
    Wait {
        /// The earliest instant the verdict can change.
        until: DateTime<Utc>,
        /// The rule that holds latest.
        hold: Hold,
    },
    /// Not until something else changes.
    Blocked(Blocked),
}

impl<T> Verdict<T> {
    /// The ready value, if any.
    pub fn ready(self) -> Option<T> {
        match self {
            Self::Ready(value) => Some(value),
            Self::Wait { .. } | Self::Blocked(_) => None,
        }
    }

    /// When to look again: now for a ready verdict, `until` for a wait, never when blocked.
    pub fn wake_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Ready(_) => Some(now),
            Self::Wait { until, .. } => Some(*until),
            Self::Blocked(_) => None,
        }
    }
}

/// Collects the waits of several rules: the verdict waits for the latest of them.
#[derive(Debug, Default)]
pub(crate) struct Waits(Option<(DateTime<Utc>, Hold)>);

impl Waits {
    pub(crate) fn until(&mut self, until: Option<DateTime<Utc>>, now: DateTime<Utc>, hold: Hold) {
        if let Some(until) = until.filter(|until| *until > now)
            && self.0.is_none_or(|(latest, _)| until > latest)
        {
            self.0 = Some((until, hold));
        }
    }

    pub(crate) fn verdict<T>(self, ready: T) -> Verdict<T> {
        match self.0 {
            None => Verdict::Ready(ready),
            Some((until, hold)) => Verdict::Wait { until, hold },
        }
    }
}

/// What the account-level rules look at.
#[derive(Clone, Copy, Debug)]
pub struct AccountSnapshot<'a> {
    /// The account's status.
    pub status: AccountStatus,
    /// End of a rest.
    pub rest_until: Option<DateTime<Utc>>,
    /// End of a FloodWait on posting.
    pub post_flood_until: Option<DateTime<Utc>>,
    /// End of the spam-block cool-down.
    pub post_cooldown_until: Option<DateTime<Utc>>,
    /// The account's time zone (its own, else the schedule's).
    pub zone: Tz,
    /// When the account's messages of the last 24 hours went out (any order; older ones are ignored).
    pub recent_posts: &'a [DateTime<Utc>],
}

/// Whether an account may post at `now`: status and rest, FloodWait and cool-down,
/// activity windows in its zone (open now and `window_margin` later), the daily and
/// hourly caps, the gap since its last message.
pub fn account_verdict(
    account: &AccountSnapshot<'_>,
    rules: &PostingRules,
    now: DateTime<Utc>,
) -> Verdict<()> {
    let mut waits = Waits::default();
    match account.status {
        AccountStatus::Active => {}
        AccountStatus::Resting => match account.rest_until {
            Some(until) => waits.until(Some(until), now, Hold::Resting),
            None => return Verdict::Blocked(Blocked::AccountUnusable(account.status)),
        },
        other => return Verdict::Blocked(Blocked::AccountUnusable(other)),
    }
    waits.until(account.post_flood_until, now, Hold::PostFlood);
    waits.until(account.post_cooldown_until, now, Hold::CoolDown);
    waits.until(
        cap_frees_at(account.recent_posts, rules.per_day, TimeDelta::days(1), now),
        now,
        Hold::DailyCap,
    );
    waits.until(
        cap_frees_at(
            account.recent_posts,
            rules.per_hour,
            TimeDelta::hours(1),
            now,
        ),
        now,
        Hold::HourlyCap,
    );
    let last = account
        .recent_posts
        .iter()
        .filter(|at| **at <= now)
        .max()
        .copied();
    waits.until(
        last.map(|at| at + rules.min_gap_account),
        now,
        Hold::AccountGap,
    );
    waits.until(
        Some(next_window_open(&rules.windows, account.zone, now)),
        now,
        Hold::OutsideWindow,
    );
    // Still inside `window_margin` later: before the opening that follows `now + margin`,
    // minus the margin, that instant lies outside.
    let later = now + rules.window_margin;
    waits.until(
        Some(next_window_open(&rules.windows, account.zone, later) - rules.window_margin),
        now,
        Hold::OutsideWindow,
    );
    waits.verdict(())
}

/// When a sliding cap of `cap` messages per `window` has room again: `None` if it
/// has room at `now`. With the window's messages sorted `p0 < p1 < …`, there is room
/// once the oldest `count - cap + 1` of them have left it.
pub fn cap_frees_at(
    posts: &[DateTime<Utc>],
    cap: u32,
    window: TimeDelta,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut inside: Vec<DateTime<Utc>> = posts
        .iter()
        .copied()
        .filter(|at| *at > now - window && *at <= now)
        .collect();
    let cap = cap as usize;
    if inside.len() < cap {
        return None;
    }
    inside.sort_unstable();
    Some(inside[inside.len() - cap] + window)
}

/// The first instant at or after `now` inside the windows, in `zone`'s local time
/// (minute precision; windows open on whole local hours).
pub fn next_window_open(windows: &ActivityWindows, zone: Tz, now: DateTime<Utc>) -> DateTime<Utc> {
    if windows.contains(now.with_timezone(&zone).time()) {
        return now;
    }
    let minute = TimeDelta::minutes(1);
    let mut at = now.duration_trunc(minute).unwrap_or(now) + minute;
    // Local minutes and UTC minutes differ by at most an hour across a DST change, so
    // stepping an hour less than the local distance never passes the opening.
    for _ in 0..10_000 {
        let local = at.with_timezone(&zone).time();
        let until_open = i64::from(windows.minutes_until_open(local));
        if until_open == 0 {
            return at;
        }
        at += TimeDelta::minutes((until_open - 60).max(1));
    }
    at
}

/// A campaign as the pair rules see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CampaignPlan {
    /// Active or paused.
    pub status: CampaignStatus,
    /// No post before this.
    pub starts_at: Option<DateTime<Utc>>,
    /// No post from this on.
    pub ends_at: Option<DateTime<Utc>>,
    /// The rounds (start: `starts_at`, else the campaign's creation).
    pub schedule: RepeatSchedule,
}

/// The latest post row of a (campaign, group).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LastAttempt {
    /// Its round.
    pub round: u64,
    /// Set when nothing was sent and the round may be tried again from then.
    pub retry_at: Option<DateTime<Utc>>,
    /// The variant it carried.
    pub variant: VariantId,
}

/// An enabled variant of the campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VariantOption<'a> {
    /// The variant.
    pub id: VariantId,
    /// Its content fingerprint.
    pub content_hash: &'a str,
}

/// Content that may have reached the group (sent, or outcome unknown).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecentContent<'a> {
    /// The content fingerprint.
    pub content_hash: &'a str,
    /// When it went out (or was claimed).
    pub at: DateTime<Utc>,
}

/// What the rules of one (account, group, campaign) look at, beyond the account.
#[derive(Clone, Copy, Debug)]
pub struct PairSnapshot<'a> {
    /// The campaign.
    pub campaign: CampaignPlan,
    /// The group's slow mode allows this account's next message from then (`memberships.next_send_at`).
    pub slow_mode_until: Option<DateTime<Utc>>,
    /// The last message in the group by any account of the fleet.
    pub chat_last_post: Option<DateTime<Utc>>,
    /// A post to the group (any campaign, any account) is claimed and not completed.
    pub in_flight: bool,
    /// The latest post row of this campaign in this group.
    pub last_attempt: Option<LastAttempt>,
    /// The campaign's enabled variants.
    pub variants: &'a [VariantOption<'a>],
    /// Content that reached the group recently (any campaign).
    pub recent_content: &'a [RecentContent<'a>],
}

/// How soon to look again at a group whose post is in flight (not a lower bound: the
/// post may complete any moment).
pub const IN_FLIGHT_RECHECK: TimeDelta = TimeDelta::seconds(10);

/// What to post when a pair is ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PostPlan {
    /// The round to claim.
    pub round: u64,
    /// The variant to send.
    pub variant: VariantId,
    /// Since when this post has been due (for fairness between groups).
    pub due_since: DateTime<Utc>,
}

/// Whether the campaign may post in the group at `now` (the account's own rules are
/// [`account_verdict`]'s): campaign active and within its period, the round not done
/// (or its failed attempt due for a retry), no other post to the group in flight (its
/// outcome may ban the group for everyone), the chat gap, slow mode, and a variant
/// whose content the group has not seen within the interval (variants rotate).
pub fn pair_verdict(
    pair: &PairSnapshot<'_>,
    rules: &PostingRules,
    now: DateTime<Utc>,
) -> Verdict<PostPlan> {
    let campaign = &pair.campaign;
    if campaign.status == CampaignStatus::Paused {
        return Verdict::Blocked(Blocked::CampaignPaused);
    }
    if campaign.ends_at.is_some_and(|end| end <= now) {
        return Verdict::Blocked(Blocked::CampaignEnded);
    }
    if pair.variants.is_empty() {
        return Verdict::Blocked(Blocked::NoVariant);
    }
    let schedule = campaign.schedule;
    let start = campaign
        .starts_at
        .map_or(schedule.start, |starts_at| starts_at.max(schedule.start));
    if start > now {
        return Verdict::Wait {
            until: start,
            hold: Hold::NotStarted,
        };
    }
    let round = schedule.round_at(now).unwrap_or(0);
    let mut waits = Waits::default();
    let mut due_since = schedule.round_start(round);
    if let Some(last) = pair.last_attempt
        && last.round >= round
    {
        match last.retry_at {
            Some(retry_at) => {
                waits.until(Some(retry_at), now, Hold::RetryLater);
                due_since = due_since.max(retry_at);
            }
            None => {
                return Verdict::Wait {
                    until: schedule.round_start(last.round + 1),
                    hold: Hold::RoundDone,
                };
            }
        }
    }
    if pair.in_flight {
        waits.until(Some(now + IN_FLIGHT_RECHECK), now, Hold::InFlight);
    }
    waits.until(
        pair.chat_last_post.map(|at| at + rules.min_gap_chat),
        now,
        Hold::ChatGap,
    );
    waits.until(pair.slow_mode_until, now, Hold::SlowMode);
    let last_variant = pair.last_attempt.map(|last| last.variant);
    let chosen = choose_variant(
        pair.variants,
        last_variant,
        pair.recent_content,
        schedule.interval,
        now,
    );
    match chosen {
        Ok(variant) => waits.verdict(PostPlan {
            round,
            variant,
            due_since,
        }),
        Err(repeat_at) => {
            waits.until(Some(repeat_at), now, Hold::RepeatedContent);
            match waits.verdict(()) {
                Verdict::Wait { until, hold } => Verdict::Wait { until, hold },
                Verdict::Ready(()) | Verdict::Blocked(_) => Verdict::Wait {
                    until: now + TimeDelta::minutes(1),
                    hold: Hold::RepeatedContent,
                },
            }
        }
    }
}

/// What the group-level rules look at for a one-off send (`POST /api/v1/messages`):
/// a message to one group, no campaign, no round, no variant to rotate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageSnapshot {
    /// The group's slow mode allows this account's next message then.
    pub slow_mode_until: Option<DateTime<Utc>>,
    /// The last message in the group by any account of the fleet.
    pub chat_last_post: Option<DateTime<Utc>>,
    /// Another post to the group is claimed and not completed.
    pub in_flight: bool,
    /// The send's last attempt sent nothing and asked to be retried from then.
    pub retry_at: Option<DateTime<Utc>>,
}

/// Whether a one-off send may go to its group now: the same chat gap, slow mode and
/// in-flight rules as a campaign post ([`pair_verdict`]), and its own retry time.
/// The account-level rules ([`account_verdict`]) apply as well, to the caller.
pub fn message_verdict(
    message: &MessageSnapshot,
    rules: &PostingRules,
    now: DateTime<Utc>,
) -> Verdict<()> {
    let mut waits = Waits::default();
    waits.until(message.retry_at, now, Hold::RetryLater);
    if message.in_flight {
        waits.until(Some(now + IN_FLIGHT_RECHECK), now, Hold::InFlight);
    }
    waits.until(
        message.chat_last_post.map(|at| at + rules.min_gap_chat),
        now,
        Hold::ChatGap,
    );
    waits.until(message.slow_mode_until, now, Hold::SlowMode);
    waits.verdict(())
}

/// The next variant in rotation (by id, after `last`) whose content the group has not
/// seen within `interval`; or, when all were seen, when the first of them may repeat.
pub fn choose_variant(
    variants: &[VariantOption<'_>],
    last: Option<VariantId>,
    recent: &[RecentContent<'_>],
    interval: TimeDelta,
    now: DateTime<Utc>,
) -> Result<VariantId, DateTime<Utc>> {
    let mut ordered: Vec<&VariantOption<'_>> = variants.iter().collect();
    ordered.sort_by_key(|variant| variant.id);
    let split = last.map_or(0, |last| {
        ordered.partition_point(|variant| variant.id <= last)
    });
    ordered.rotate_left(split);
    let seen_until = |hash: &str| {
        recent
            .iter()
            .filter(|content| content.content_hash == hash && content.at > now - interval)
            .map(|content| content.at + interval)
            .max()
    };
    let mut earliest: Option<DateTime<Utc>> = None;
    for variant in ordered {
        match seen_until(variant.content_hash) {
            None => return Ok(variant.id),
            Some(until) => earliest = Some(earliest.map_or(until, |e| e.min(until))),
        }
    }
    Err(earliest.unwrap_or(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn rules() -> PostingRules {
        PostingRules {
            windows: ActivityWindows::parse("5-10,18-24").unwrap(),
            per_day: 40,
            per_hour: 8,
            min_gap_account: TimeDelta::seconds(90),
            min_gap_chat: TimeDelta::minutes(40),
            window_margin: TimeDelta::zero(),
        }
    }

    fn active(zone: Tz, recent: &[DateTime<Utc>]) -> AccountSnapshot<'_> {
        AccountSnapshot {
            status: AccountStatus::Active,
            rest_until: None,
            post_flood_until: None,
            post_cooldown_until: None,
            zone,
            recent_posts: recent,
        }
    }

    const JAKARTA: Tz = chrono_tz::Asia::Jakarta;

    #[test]
    fn windows_are_read_in_the_account_zone() {
        // 2026-01-10 02:00 UTC is 09:00 in Jakarta (inside 5-10) and 05:00 in Moscow.
        let now = at("2026-01-10T02:00:00Z");
        assert_eq!(
            account_verdict(&active(JAKARTA, &[]), &rules(), now),
            Verdict::Ready(())
        );
        // 03:30 UTC is 10:30 in Jakarta: the evening window opens at 18:00 (11:00 UTC).
        let later = at("2026-01-10T03:30:00Z");
        assert_eq!(
            account_verdict(&active(JAKARTA, &[]), &rules(), later),
            Verdict::Wait {
                until: at("2026-01-10T11:00:00Z"),
                hold: Hold::OutsideWindow
            }
        );
        let tokyo = account_verdict(&active(chrono_tz::Asia::Tokyo, &[]), &rules(), later);
        // 03:30 UTC is 12:30 in Tokyo; 18:00 Tokyo is 09:00 UTC.
        assert_eq!(
            tokyo,
            Verdict::Wait {
                until: at("2026-01-10T09:00:00Z"),
                hold: Hold::OutsideWindow
            }
        );
    }

    #[test]
    fn a_post_starts_only_if_the_window_stays_open_for_the_margin() {
        let rules = PostingRules {
            window_margin: TimeDelta::seconds(60),
            ..rules()
        };
        // 02:59:30 UTC is 09:59:30 in Jakarta: the morning window closes in 30 s.
        let now = at("2026-01-10T02:59:30Z");
        assert_eq!(
            account_verdict(&active(JAKARTA, &[]), &rules, now),
            Verdict::Wait {
                until: at("2026-01-10T11:00:00Z") - TimeDelta::seconds(60),
                hold: Hold::OutsideWindow
            }
        );
        // 10:59:00 UTC (17:59 local): now is outside, a minute later is inside.
        let before_evening = at("2026-01-10T10:59:00Z");
        assert_eq!(
            account_verdict(&active(JAKARTA, &[]), &rules, before_evening),
            Verdict::Wait {
                until: at("2026-01-10T11:00:00Z"),
                hold: Hold::OutsideWindow
            }
        );
        assert_eq!(
            account_verdict(&active(JAKARTA, &[]), &rules, at("2026-01-10T02:58:59Z")),
            Verdict::Ready(())
        );
    }

    #[test]
    fn the_next_window_is_found_across_a_dst_change() {
        // Europe/Berlin springs forward on 2026-03-29 at 02:00 local (01:00 UTC).
        let windows = ActivityWindows::parse("5-10").unwrap();
        let now = at("2026-03-28T23:30:00Z"); // 00:30 CET
        let open = next_window_open(&windows, chrono_tz::Europe::Berlin, now);
        assert_eq!(open, at("2026-03-29T03:00:00Z")); // 05:00 CEST
    }

    #[test]
    fn caps_slide_and_free_when_the_oldest_message_leaves() {
        let now = at("2026-01-10T02:00:00Z");
        let hourly: Vec<_> = (0..8)
            .map(|i| now - TimeDelta::minutes(55 - i * 5))
            .collect();
        assert_eq!(
            account_verdict(&active(JAKARTA, &hourly), &rules(), now),
            Verdict::Wait {
                until: hourly[0] + TimeDelta::hours(1),
                hold: Hold::HourlyCap
            }
        );
        assert_eq!(
            cap_frees_at(&hourly, 8, TimeDelta::hours(1), now),
            Some(now + TimeDelta::minutes(5))
        );
        assert_eq!(cap_frees_at(&hourly, 9, TimeDelta::hours(1), now), None);
        let daily: Vec<_> = (0..40)
            .map(|i| now - TimeDelta::hours(23) + TimeDelta::minutes(i * 2))
            .collect();
        assert_eq!(
            cap_frees_at(&daily, 40, TimeDelta::days(1), now),
            Some(daily[0] + TimeDelta::days(1))
        );
    }

    #[test]
    fn status_flood_and_cool_down_hold_the_account() {
        let now = at("2026-01-10T02:00:00Z");
        let mut account = active(JAKARTA, &[]);
        account.status = AccountStatus::Suspended;
        assert_eq!(
            account_verdict(&account, &rules(), now),
            Verdict::Blocked(Blocked::AccountUnusable(AccountStatus::Suspended))
        );
        account.status = AccountStatus::Resting;
        account.rest_until = Some(now - TimeDelta::minutes(1));
        assert_eq!(account_verdict(&account, &rules(), now), Verdict::Ready(()));
        account.post_flood_until = Some(now + TimeDelta::minutes(5));
        account.post_cooldown_until = Some(now + TimeDelta::minutes(50));
        assert_eq!(
            account_verdict(&account, &rules(), now),
            Verdict::Wait {
                until: now + TimeDelta::minutes(50),
                hold: Hold::CoolDown
            }
        );
    }

    fn plan(start: DateTime<Utc>) -> CampaignPlan {
        CampaignPlan {
            status: CampaignStatus::Active,
            starts_at: None,
            ends_at: None,
            schedule: RepeatSchedule {
                start,
                interval: TimeDelta::hours(24),
            },
        }
    }

    const VARIANTS: [VariantOption<'static>; 3] = [
        VariantOption {
            id: VariantId(1),
            content_hash: "a",
        },
        VariantOption {
            id: VariantId(2),
            content_hash: "b",
        },
        VariantOption {
            id: VariantId(3),
            content_hash: "c",
        },
    ];

    fn pair<'a>(campaign: CampaignPlan, recent: &'a [RecentContent<'a>]) -> PairSnapshot<'a> {
        PairSnapshot {
            campaign,
            slow_mode_until: None,
            chat_last_post: None,
            in_flight: false,
            last_attempt: None,
            variants: &VARIANTS,
            recent_content: recent,
        }
    }

    #[test]
    fn a_round_posts_once_and_failed_attempts_retry_within_it() {
        let start = at("2026-01-10T00:00:00Z");
        let now = start + TimeDelta::hours(3);
        let mut snapshot = pair(plan(start), &[]);
        assert_eq!(
            pair_verdict(&snapshot, &rules(), now),
            Verdict::Ready(PostPlan {
                round: 0,
                variant: VariantId(1),
                due_since: start
            })
        );
        snapshot.last_attempt = Some(LastAttempt {
            round: 0,
            retry_at: None,
            variant: VariantId(1),
        });
        assert_eq!(
            pair_verdict(&snapshot, &rules(), now),
            Verdict::Wait {
                until: start + TimeDelta::hours(24),
                hold: Hold::RoundDone
            }
        );
        snapshot.last_attempt = Some(LastAttempt {
            round: 0,
            retry_at: Some(now + TimeDelta::minutes(5)),
            variant: VariantId(1),
        });
        assert_eq!(
            pair_verdict(&snapshot, &rules(), now),
            Verdict::Wait {
                until: now + TimeDelta::minutes(5),
                hold: Hold::RetryLater
            }
        );
        let later = now + TimeDelta::minutes(5);
        assert_eq!(
            pair_verdict(&snapshot, &rules(), later),
            Verdict::Ready(PostPlan {
                round: 0,
                variant: VariantId(2),
                due_since: later
            })
        );
        // The next round rotates to the variant after the last one.
        let next_day = start + TimeDelta::hours(25);
        snapshot.last_attempt = Some(LastAttempt {
            round: 0,
            retry_at: None,
            variant: VariantId(3),
        });
        assert_eq!(
            pair_verdict(&snapshot, &rules(), next_day)
                .ready()
                .map(|plan| (plan.round, plan.variant)),
            Some((1, VariantId(1)))
        );
    }

    #[test]
    fn campaign_period_pause_and_end() {
        let start = at("2026-01-10T00:00:00Z");
        let mut campaign = plan(start);
        campaign.starts_at = Some(start + TimeDelta::hours(2));
        let snapshot = pair(campaign, &[]);
        assert_eq!(
            pair_verdict(&snapshot, &rules(), start),
            Verdict::Wait {
                until: start + TimeDelta::hours(2),
                hold: Hold::NotStarted
            }
        );
        campaign.ends_at = Some(start + TimeDelta::hours(3));
        assert_eq!(
            pair_verdict(&pair(campaign, &[]), &rules(), start + TimeDelta::hours(3)),
            Verdict::Blocked(Blocked::CampaignEnded)
        );
        campaign.status = CampaignStatus::Paused;
        assert_eq!(
            pair_verdict(&pair(campaign, &[]), &rules(), start),
            Verdict::Blocked(Blocked::CampaignPaused)
        );
        let empty = PairSnapshot {
            variants: &[],
            ..pair(plan(start), &[])
        };
        assert_eq!(
            pair_verdict(&empty, &rules(), start),
            Verdict::Blocked(Blocked::NoVariant)
        );
    }

    #[test]
    fn a_post_in_flight_in_the_group_holds_every_other() {
        let start = at("2026-01-10T00:00:00Z");
        let now = start + TimeDelta::hours(3);
        let snapshot = PairSnapshot {
            in_flight: true,
            ..pair(plan(start), &[])
        };
        assert_eq!(
            pair_verdict(&snapshot, &rules(), now),
            Verdict::Wait {
                until: now + IN_FLIGHT_RECHECK,
                hold: Hold::InFlight
            }
        );
    }

    #[test]
    fn a_one_off_send_waits_for_the_chat_gap_slow_mode_retry_and_in_flight() {
        let now = at("2026-03-02T12:00:00Z");
        let rules = rules();
        let clear = MessageSnapshot {
            slow_mode_until: None,
            chat_last_post: None,
            in_flight: false,
            retry_at: None,
        };
        assert_eq!(message_verdict(&clear, &rules, now), Verdict::Ready(()));
        let gap = MessageSnapshot {
            chat_last_post: Some(now - TimeDelta::minutes(1)),
            ..clear
        };
        assert_eq!(
            message_verdict(&gap, &rules, now),
            Verdict::Wait {
                until: now - TimeDelta::minutes(1) + rules.min_gap_chat,
                hold: Hold::ChatGap
            }
        );
        let slow = MessageSnapshot {
            slow_mode_until: Some(now + TimeDelta::days(1)),
            ..gap
        };
        assert_eq!(
            message_verdict(&slow, &rules, now),
            Verdict::Wait {
                until: now + TimeDelta::days(1),
                hold: Hold::SlowMode
            }
        );
        let retry = MessageSnapshot {
            retry_at: Some(now + TimeDelta::days(2)),
            ..slow
        };
        assert_eq!(
            message_verdict(&retry, &rules, now).wake_at(now),
            Some(now + TimeDelta::days(2))
        );
        let flight = MessageSnapshot {
            in_flight: true,
            ..clear
        };
        assert_eq!(
            message_verdict(&flight, &rules, now),
            Verdict::Wait {
                until: now + IN_FLIGHT_RECHECK,
                hold: Hold::InFlight
            }
        );
    }

    #[test]
    fn chat_gap_slow_mode_and_repeated_content_wait() {
        let start = at("2026-01-10T00:00:00Z");
        let now = start + TimeDelta::hours(3);
        let mut snapshot = pair(plan(start), &[]);
        snapshot.chat_last_post = Some(now - TimeDelta::minutes(10));
        snapshot.slow_mode_until = Some(now + TimeDelta::minutes(45));
        assert_eq!(
            pair_verdict(&snapshot, &rules(), now),
            Verdict::Wait {
                until: now + TimeDelta::minutes(45),
                hold: Hold::SlowMode
            }
        );
        let seen = [
            RecentContent {
                content_hash: "a",
                at: now - TimeDelta::hours(20),
            },
            RecentContent {
                content_hash: "b",
                at: now - TimeDelta::hours(2),
            },
            RecentContent {
                content_hash: "c",
                at: now - TimeDelta::hours(1),
            },
        ];
        let repeated = pair(plan(start), &seen);
        assert_eq!(
            pair_verdict(&repeated, &rules(), now),
            Verdict::Wait {
                until: now + TimeDelta::hours(4),
                hold: Hold::RepeatedContent
            }
        );
        let fresh = [seen[1], seen[2]];
        assert_eq!(
            pair_verdict(&pair(plan(start), &fresh), &rules(), now)
                .ready()
                .map(|plan| plan.variant),
            Some(VariantId(1))
        );
    }

    /// A greedy poster that posts whenever the account rules allow and otherwise sleeps
    /// until the verdict's time: the schedule it produces must respect every rule, and
    /// it must never sleep past an instant at which it could have posted.
    fn simulate(
        rules: &PostingRules,
        zone: Tz,
        start: DateTime<Utc>,
        hours: i64,
    ) -> Vec<DateTime<Utc>> {
        let end = start + TimeDelta::hours(hours);
        let mut posts = Vec::new();
        let mut now = start;
        while now < end {
            match account_verdict(&active(zone, &posts), rules, now) {
                Verdict::Ready(()) => {
                    posts.push(now);
                    now += TimeDelta::seconds(1);
                }
                Verdict::Wait { until, .. } => {
                    assert!(until > now);
                    let probe = now + (until - now) / 2;
                    assert!(
                        account_verdict(&active(zone, &posts), rules, probe)
                            .ready()
                            .is_none(),
                        "verdict at {now} said wait until {until}, but {probe} was ready"
                    );
                    now = until;
                }
                Verdict::Blocked(blocked) => panic!("{blocked:?}"),
            }
        }
        posts
    }

    fn windows_strategy() -> impl Strategy<Value = ActivityWindows> {
        prop::collection::vec((0u8..24, 1u8..=24), 1..3).prop_filter_map("empty range", |ranges| {
            let text: Vec<String> = ranges
                .iter()
                .filter(|(start, end)| start != end)
                .map(|(start, end)| format!("{start}-{end}"))
                .collect();
            ActivityWindows::parse(&text.join(",")).ok()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn a_greedy_day_respects_caps_gaps_and_windows(
            windows in windows_strategy(),
            per_hour in 1u32..10,
            extra_daily in 0u32..40,
            gap_secs in 0i64..600,
            start_offset_mins in 0i64..1440,
            zone_index in 0usize..3,
            margin_secs in 0i64..120,
        ) {
            let zone = [JAKARTA, chrono_tz::Europe::Berlin, chrono_tz::America::New_York][zone_index];
            let rules = PostingRules {
                windows,
                per_day: per_hour + extra_daily,
                per_hour,
                min_gap_account: TimeDelta::seconds(gap_secs),
                min_gap_chat: TimeDelta::zero(),
                window_margin: TimeDelta::seconds(margin_secs),
            };
            let start = at("2026-03-27T00:00:00Z") + TimeDelta::minutes(start_offset_mins);
            let posts = simulate(&rules, zone, start, 48);
            for (index, post) in posts.iter().enumerate() {
                for at in [*post, *post + rules.window_margin] {
                    let local = at.with_timezone(&zone).time();
                    prop_assert!(rules.windows.contains(local), "{at} outside {}", rules.windows);
                }
                let in_hour = posts[..=index].iter().filter(|p| **p > *post - TimeDelta::hours(1)).count();
                let in_day = posts[..=index].iter().filter(|p| **p > *post - TimeDelta::days(1)).count();
                prop_assert!(in_hour <= rules.per_hour as usize);
                prop_assert!(in_day <= rules.per_day as usize);
                if index > 0 {
                    prop_assert!(*post - posts[index - 1] >= rules.min_gap_account.max(TimeDelta::seconds(1)));
                }
            }
            prop_assert!(!posts.is_empty(), "a 48-hour run always meets an open window");
        }

        #[test]
        fn a_wait_is_never_later_than_the_first_ready_minute(
            windows in windows_strategy(),
            start_offset_mins in 0i64..2880,
            recent_minutes in prop::collection::vec(1i64..1440, 0..12),
            per_hour in 1u32..5,
            margin_secs in 0i64..120,
        ) {
            let now = at("2026-03-28T00:00:00Z") + TimeDelta::minutes(start_offset_mins);
            let recent: Vec<_> = recent_minutes.iter().map(|m| now - TimeDelta::minutes(*m)).collect();
            let rules = PostingRules { windows, per_day: 10, per_hour, min_gap_account: TimeDelta::seconds(90), min_gap_chat: TimeDelta::zero(), window_margin: TimeDelta::seconds(margin_secs) };
            let account = active(chrono_tz::Europe::Berlin, &recent);
            if let Verdict::Wait { until, .. } = account_verdict(&account, &rules, now) {
                let mut probe = now;
                while probe < until {
                    prop_assert!(account_verdict(&account, &rules, probe).ready().is_none(), "ready at {probe} before {until}");
                    probe += TimeDelta::minutes(7);
                }
            }
        }
    }
}
