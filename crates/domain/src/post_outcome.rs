//! What a post's pre-check and send lead to: the verdict on the account's write
//! rights in a group, and the consequences of each send outcome for the post, the
//! account (FloodWait, spam-block strikes and cool-down), the membership
//! (slow mode) and the group (banned for everyone, invariant 4).

use crate::status::{AccountStatus, PostState};
use chrono::{DateTime, TimeDelta, Utc};
use rand::{Rng, RngExt as _};

/// Rights that a restriction removes (`true`: removed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Restrictions {
    /// Cannot read the group (a ban).
    pub view: bool,
    /// Cannot send messages.
    pub send: bool,
    /// Cannot send media.
    pub media: bool,
    /// Cannot send links.
    pub links: bool,
}

/// Where the account stands in the group, by the pre-check's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberStanding {
    /// A member.
    Member,
    /// An admin or the creator (rights and slow mode do not apply).
    Admin,
    /// Not a member.
    Left,
    /// Kicked and banned.
    Banned,
}

/// The account's write rights in a group, as the pre-check reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteRights {
    /// Member, admin, left or banned.
    pub standing: MemberStanding,
    /// Members may write at all (false for broadcast channels and gigagroups).
    pub members_write: bool,
    /// The account's own restriction.
    pub mine: Restrictions,
    /// The group's defaults.
    pub defaults: Restrictions,
    /// Non-members must join before writing.
    pub join_to_send: bool,
    /// Slow mode lets this account send next at this time.
    pub slow_mode_next_send_at: Option<DateTime<Utc>>,
}

/// What the message needs beyond the right to send.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContentNeeds {
    /// It carries a photo or document.
    pub media: bool,
    /// Its text or caption contains a link.
    pub links: bool,
}

/// The pre-check's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precheck {
    /// Send.
    Clear,
    /// Slow mode: not before this time (nothing is wrong with the group).
    SlowModeUntil(DateTime<Utc>),
    /// The account is no longer a member: its membership is marked left; the group
    /// stays open to the other accounts.
    NotMember,
    /// The account is banned or barred from writing: the group is off-limits to every
    /// account (invariant 4).
    Banned(&'static str),
    /// The group does not let members post this (defaults, broadcast): `can_post` false.
    CannotPost(&'static str),
}

impl Precheck {
    /// The reason code stored in `posts.error_code` for a failed pre-check.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::Clear => None,
            Self::SlowModeUntil(_) => Some("SLOWMODE_WAIT"),
            Self::NotMember => Some("PRECHECK_NOT_MEMBER"),
            Self::Banned(code) | Self::CannotPost(code) => Some(code),
        }
    }
}

/// Judges the account's rights before a send: still a member, not banned or
/// restricted, the group's default rights allow messages (and media, links as the
/// message needs), join-to-send, then slow mode.
pub fn precheck(rights: &WriteRights, needs: ContentNeeds, now: DateTime<Utc>) -> Precheck {
    match rights.standing {
        MemberStanding::Banned => return Precheck::Banned("PRECHECK_BANNED"),
        // A non-member cannot write, join-to-send or not: the membership is stale.
        MemberStanding::Left => return Precheck::NotMember,
        MemberStanding::Admin => return Precheck::Clear,
        MemberStanding::Member => {}
    }
    let mine = rights.mine;
    if mine.view {
        return Precheck::Banned("PRECHECK_BANNED");
    }
    if mine.send || (needs.media && mine.media) || (needs.links && mine.links) {
        return Precheck::Banned("PRECHECK_RESTRICTED");
    }
    if !rights.members_write {
        return Precheck::CannotPost("PRECHECK_BROADCAST");
    }
    let defaults = rights.defaults;
    if defaults.send {
        return Precheck::CannotPost("PRECHECK_NO_SEND_RIGHT");
    }
    if needs.media && defaults.media {
        return Precheck::CannotPost("PRECHECK_NO_MEDIA_RIGHT");
    }
    if needs.links && defaults.links {
        return Precheck::CannotPost("PRECHECK_NO_LINKS_RIGHT");
    }
    match rights.slow_mode_next_send_at {
        Some(at) if at > now => Precheck::SlowModeUntil(at),
        _ => Precheck::Clear,
    }
}

/// How a send (or the pre-check's request) failed, in the policy's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendFailure {
    /// Wait this many seconds before posting again.
    FloodWait(u32),
    /// The group's slow mode: this many seconds.
    SlowMode(u32),
    /// Writing (or this content) is forbidden in the group.
    WriteForbidden(String),
    /// The account is banned in the group.
    BannedInGroup(String),
    /// The group is private, gone, or its invite expired.
    Inaccessible(String),
    /// Telegram limited the account for spam.
    PeerFlood,
    /// The session is not authorized any more.
    Unauthorized(String),
    /// Telegram deactivated the account.
    Deactivated(String),
    /// Network trouble or a server failure.
    Transient(String),
    /// Anything else, by name.
    Other(String),
}

impl SendFailure {
    /// The code stored in `posts.error_code`.
    pub fn code(&self) -> String {
        match self {
            Self::FloodWait(secs) => format!("FLOOD_WAIT_{secs}"),
            Self::SlowMode(secs) => format!("SLOWMODE_WAIT_{secs}"),
            Self::PeerFlood => "PEER_FLOOD".to_owned(),
            Self::WriteForbidden(name)
            | Self::BannedInGroup(name)
            | Self::Inaccessible(name)
            | Self::Unauthorized(name)
            | Self::Deactivated(name)
            | Self::Other(name) => name.clone(),
            Self::Transient(detail) => format!("TRANSIENT: {detail}"),
        }
    }
}

/// The spam-block and retry rules (`[posting]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StrikeRules {
    /// PeerFlood / long FloodWait answers in a row that start a cool-down.
    pub threshold: u32,
    /// A FloodWait longer than this counts as a strike.
    pub flood_wait_short_max: TimeDelta,
    /// Shortest cool-down.
    pub cooldown_min: TimeDelta,
    /// Longest cool-down.
    pub cooldown_max: TimeDelta,
    /// How long a (campaign, group) waits after a transient failure.
    pub transient_retry: TimeDelta,
}

/// How the group must be marked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupMark {
    /// Off-limits to every account (invariant 4): status `banned`.
    Banned(String),
    /// Members may not post this: `can_post` false.
    CannotPost(String),
    /// Private, gone or expired: status `inaccessible`.
    Inaccessible(String),
}

/// How the membership of the posting account changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MembershipMark {
    /// The account left (or was removed).
    Left,
    /// The account is banned there.
    Banned,
}

/// Everything one attempt changes, written in one fenced transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consequence {
    /// The post's final state.
    pub state: PostState,
    /// Why it was not sent.
    pub error_code: Option<String>,
    /// Nothing reached the group and the (campaign, group) may be retried from then.
    pub retry_at: Option<DateTime<Utc>>,
    /// The account's posts wait until then (FloodWait).
    pub post_flood_until: Option<DateTime<Utc>>,
    /// The account's strike count afterwards (`None`: unchanged).
    pub strikes: Option<u32>,
    /// A cool-down starts, until then.
    pub cooldown_until: Option<DateTime<Utc>>,
    /// The account is no longer usable.
    pub account_status: Option<(AccountStatus, String)>,
    /// The group's slow mode allows the account's next message then.
    pub next_send_at: Option<DateTime<Utc>>,
    /// The membership changes.
    pub membership: Option<MembershipMark>,
    /// The group is marked.
    pub group: Option<GroupMark>,
}

impl Consequence {
    fn post(state: PostState, error_code: Option<String>) -> Self {
        Self {
            state,
            error_code,
            retry_at: None,
            post_flood_until: None,
            strikes: None,
            cooldown_until: None,
            account_status: None,
            next_send_at: None,
            membership: None,
            group: None,
        }
    }

    /// A sent post: strikes reset; slow mode (if any) starts counting.
    pub fn sent(slow_mode_secs: Option<u32>, now: DateTime<Utc>) -> Self {
        Self {
            strikes: Some(0),
            next_send_at: slow_mode_secs
                .filter(|secs| *secs > 0)
                .map(|secs| now + TimeDelta::seconds(i64::from(secs))),
            ..Self::post(PostState::Sent, None)
        }
    }

    /// A failed pre-check: nothing was sent. Slow mode and a lost membership let the
    /// (campaign, group) be retried; a ban or a missing right marks the group.
    pub fn skipped(verdict: Precheck, now: DateTime<Utc>) -> Self {
        let code = verdict.code().map(str::to_owned);
        let mut consequence = Self::post(PostState::Skipped, code);
        match verdict {
            Precheck::Clear => {}
            Precheck::SlowModeUntil(at) => {
                consequence.retry_at = Some(at);
                consequence.next_send_at = Some(at);
            }
            Precheck::NotMember => {
                consequence.retry_at = Some(now);
                consequence.membership = Some(MembershipMark::Left);
            }
            Precheck::Banned(code) => {
                consequence.membership = Some(MembershipMark::Banned);
                consequence.group = Some(GroupMark::Banned(code.to_owned()));
            }
            Precheck::CannotPost(code) => {
                consequence.group = Some(GroupMark::CannotPost(code.to_owned()));
            }
        }
        consequence
    }

    /// A failed request (the pre-check's or the send's). Nothing reached the group
    /// (Telegram answered an error): a write ban, an inaccessible group or an
    /// unexpected refusal ends the round; waits, spam limits, lost sessions and
    /// network trouble let it be retried. FloodWait holds the account's posts; a
    /// PeerFlood or a long FloodWait is a strike, and the `threshold`-th strike in a row
    /// starts a cool-down random in `[cooldown_min, cooldown_max]` (strikes start over).
    pub fn failed(
        failure: &SendFailure,
        strikes_before: u32,
        rules: &StrikeRules,
        now: DateTime<Utc>,
        rng: &mut impl Rng,
    ) -> Self {
        let mut consequence = Self::post(PostState::Failed, Some(failure.code()));
        let mut strike = false;
        match failure {
            SendFailure::FloodWait(secs) => {
                let wait = TimeDelta::seconds(i64::from(*secs));
                consequence.post_flood_until = Some(now + wait);
                consequence.retry_at = Some(now + wait);
                strike = wait > rules.flood_wait_short_max;
            }
            SendFailure::SlowMode(secs) => {
                let at = now + TimeDelta::seconds(i64::from(*secs));
                consequence.next_send_at = Some(at);
                consequence.retry_at = Some(at);
            }
            SendFailure::WriteForbidden(name) | SendFailure::BannedInGroup(name) => {
                consequence.group = Some(GroupMark::Banned(name.clone()));
                consequence.membership = Some(MembershipMark::Banned);
            }
            SendFailure::Inaccessible(name) => {
                consequence.group = Some(GroupMark::Inaccessible(name.clone()));
            }
            SendFailure::PeerFlood => {
                consequence.retry_at = Some(now);
                strike = true;
            }
            SendFailure::Unauthorized(name) => {
                consequence.retry_at = Some(now);
                consequence.account_status = Some((AccountStatus::Unauthorized, name.clone()));
            }
            SendFailure::Deactivated(name) => {
                consequence.retry_at = Some(now);
                consequence.account_status = Some((AccountStatus::Deactivated, name.clone()));
            }
            SendFailure::Transient(_) => {
                consequence.retry_at = Some(now + rules.transient_retry);
            }
            // An unexpected refusal (a deleted source post, restricted forwards): retrying
            // within the round would repeat it, so the round ends here.
            SendFailure::Other(_) => {}
        }
        if strike {
            let strikes = strikes_before.saturating_add(1);
            if strikes >= rules.threshold {
                consequence.cooldown_until = Some(now + cooldown(rules, rng));
                consequence.strikes = Some(0);
            } else {
                consequence.strikes = Some(strikes);
            }
        }
        consequence
    }
}

/// A cool-down length, uniform in `[cooldown_min, cooldown_max]` (whole seconds).
pub fn cooldown(rules: &StrikeRules, rng: &mut impl Rng) -> TimeDelta {
    let min = rules.cooldown_min.num_seconds().max(0);
    let max = rules.cooldown_max.num_seconds().max(min);
    TimeDelta::seconds(rng.random_range(min..=max))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng as _;
    use rand_chacha::ChaCha8Rng;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-10T02:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn member() -> WriteRights {
        WriteRights {
            standing: MemberStanding::Member,
            members_write: true,
            mine: Restrictions::default(),
            defaults: Restrictions::default(),
            join_to_send: false,
            slow_mode_next_send_at: None,
        }
    }

    const TEXT: ContentNeeds = ContentNeeds {
        media: false,
        links: false,
    };

    #[test]
    fn precheck_judges_standing_rights_and_slow_mode() {
        let now = now();
        assert_eq!(precheck(&member(), TEXT, now), Precheck::Clear);
        let cases = [
            (
                WriteRights {
                    standing: MemberStanding::Left,
                    ..member()
                },
                TEXT,
                Precheck::NotMember,
            ),
            (
                WriteRights {
                    standing: MemberStanding::Banned,
                    ..member()
                },
                TEXT,
                Precheck::Banned("PRECHECK_BANNED"),
            ),
            (
                WriteRights {
                    mine: Restrictions {
                        send: true,
                        ..Restrictions::default()
                    },
                    ..member()
                },
                TEXT,
                Precheck::Banned("PRECHECK_RESTRICTED"),
            ),
            (
                WriteRights {
                    members_write: false,
                    ..member()
                },
                TEXT,
                Precheck::CannotPost("PRECHECK_BROADCAST"),
            ),
            (
                WriteRights {
                    defaults: Restrictions {
                        send: true,
                        ..Restrictions::default()
                    },
                    ..member()
                },
                TEXT,
                Precheck::CannotPost("PRECHECK_NO_SEND_RIGHT"),
            ),
            (
                WriteRights {
                    defaults: Restrictions {
                        media: true,
                        ..Restrictions::default()
                    },
                    ..member()
                },
                ContentNeeds {
                    media: true,
                    links: false,
                },
                Precheck::CannotPost("PRECHECK_NO_MEDIA_RIGHT"),
            ),
            (
                WriteRights {
                    defaults: Restrictions {
                        links: true,
                        ..Restrictions::default()
                    },
                    ..member()
                },
                ContentNeeds {
                    media: false,
                    links: true,
                },
                Precheck::CannotPost("PRECHECK_NO_LINKS_RIGHT"),
            ),
            (
                WriteRights {
                    slow_mode_next_send_at: Some(now + TimeDelta::seconds(30)),
                    ..member()
                },
                TEXT,
                Precheck::SlowModeUntil(now + TimeDelta::seconds(30)),
            ),
        ];
        for (rights, needs, expected) in cases {
            assert_eq!(precheck(&rights, needs, now), expected, "{rights:?}");
        }
        // Media and links matter only when the message carries them; admins skip rights.
        let no_media = WriteRights {
            defaults: Restrictions {
                media: true,
                links: true,
                ..Restrictions::default()
            },
            ..member()
        };
        assert_eq!(precheck(&no_media, TEXT, now), Precheck::Clear);
        let admin = WriteRights {
            standing: MemberStanding::Admin,
            members_write: false,
            ..no_media
        };
        assert_eq!(
            precheck(
                &admin,
                ContentNeeds {
                    media: true,
                    links: true
                },
                now
            ),
            Precheck::Clear
        );
    }

    fn strike_rules() -> StrikeRules {
        StrikeRules {
            threshold: 3,
            flood_wait_short_max: TimeDelta::minutes(10),
            cooldown_min: TimeDelta::hours(1),
            cooldown_max: TimeDelta::hours(24),
            transient_retry: TimeDelta::minutes(5),
        }
    }

    #[test]
    fn failures_hold_the_account_or_mark_the_group() {
        let now = now();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let rules = strike_rules();
        let short = Consequence::failed(&SendFailure::FloodWait(30), 2, &rules, now, &mut rng);
        assert_eq!(short.post_flood_until, Some(now + TimeDelta::seconds(30)));
        assert_eq!(short.strikes, None, "a short FloodWait is no strike");
        assert_eq!(short.retry_at, Some(now + TimeDelta::seconds(30)));
        let long = Consequence::failed(&SendFailure::FloodWait(3600), 0, &rules, now, &mut rng);
        assert_eq!(long.strikes, Some(1));
        let slow = Consequence::failed(&SendFailure::SlowMode(60), 1, &rules, now, &mut rng);
        assert_eq!(slow.next_send_at, Some(now + TimeDelta::seconds(60)));
        assert_eq!(slow.strikes, None);
        let forbidden = Consequence::failed(
            &SendFailure::WriteForbidden("CHAT_WRITE_FORBIDDEN".into()),
            0,
            &rules,
            now,
            &mut rng,
        );
        assert_eq!(
            forbidden.group,
            Some(GroupMark::Banned("CHAT_WRITE_FORBIDDEN".into()))
        );
        assert_eq!(
            forbidden.retry_at, None,
            "never retried through another account"
        );
        let transient = Consequence::failed(
            &SendFailure::Transient("timeout".into()),
            0,
            &rules,
            now,
            &mut rng,
        );
        assert_eq!(transient.retry_at, Some(now + TimeDelta::minutes(5)));
        assert_eq!(transient.state, PostState::Failed);
        let other = Consequence::failed(
            &SendFailure::Other("MESSAGE_ID_INVALID".into()),
            0,
            &rules,
            now,
            &mut rng,
        );
        assert_eq!((other.retry_at, other.group.clone()), (None, None));
        let revoked = Consequence::failed(
            &SendFailure::Unauthorized("SESSION_REVOKED".into()),
            0,
            &rules,
            now,
            &mut rng,
        );
        assert_eq!(
            revoked.account_status,
            Some((AccountStatus::Unauthorized, "SESSION_REVOKED".into()))
        );
        let sent = Consequence::sent(Some(60), now);
        assert_eq!(sent.strikes, Some(0));
        assert_eq!(sent.next_send_at, Some(now + TimeDelta::seconds(60)));
    }

    #[test]
    fn skipped_posts_mark_what_failed() {
        let now = now();
        let banned = Consequence::skipped(Precheck::Banned("PRECHECK_BANNED"), now);
        assert_eq!(banned.state, PostState::Skipped);
        assert_eq!(
            banned.group,
            Some(GroupMark::Banned("PRECHECK_BANNED".into()))
        );
        assert_eq!(banned.retry_at, None);
        let cannot = Consequence::skipped(Precheck::CannotPost("PRECHECK_BROADCAST"), now);
        assert_eq!(
            cannot.group,
            Some(GroupMark::CannotPost("PRECHECK_BROADCAST".into()))
        );
        let slow = Consequence::skipped(Precheck::SlowModeUntil(now + TimeDelta::hours(1)), now);
        assert_eq!(slow.retry_at, Some(now + TimeDelta::hours(1)));
        assert_eq!(slow.group, None);
        let left = Consequence::skipped(Precheck::NotMember, now);
        assert_eq!(left.membership, Some(MembershipMark::Left));
        assert_eq!(left.retry_at, Some(now));
    }

    proptest! {
        #[test]
        fn the_threshold_th_strike_in_a_row_starts_a_cool_down_within_bounds(
            threshold in 1u32..6,
            seed in any::<u64>(),
            long_waits in prop::collection::vec(any::<bool>(), 1..12),
        ) {
            let now = now();
            let rules = StrikeRules { threshold, ..strike_rules() };
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut strikes = 0u32;
            for (attempt, long) in long_waits.iter().enumerate() {
                let failure = if *long { SendFailure::FloodWait(7200) } else { SendFailure::PeerFlood };
                let consequence = Consequence::failed(&failure, strikes, &rules, now, &mut rng);
                let expected_cool_down = strikes + 1 >= threshold;
                prop_assert_eq!(consequence.cooldown_until.is_some(), expected_cool_down, "attempt {}", attempt);
                if let Some(until) = consequence.cooldown_until {
                    prop_assert!(until >= now + rules.cooldown_min && until <= now + rules.cooldown_max);
                }
                strikes = consequence.strikes.unwrap_or(strikes);
                prop_assert!(strikes < threshold);
            }
        }
    }
}
