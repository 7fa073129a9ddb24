//! The account-manager's join rules (docs/design.md, "Behaviour"): which accounts
//! take part in a slot, how long to pause between two joins, how FloodWaits are
//! classified, and what every answer to a join attempt does to the membership,
//! the group and the account.
//!
//! Pure: time (`now`) and the random pause come in as arguments.

use crate::review_policy::CannotPost;
use crate::tg_error::{
    About, AccountAnswer, CallAnswer, GroupAnswer, JoinNote, MembershipAnswer, TgError,
};
use crate::{AccountStatus, GroupStatus, MembershipState};
use chrono::{DateTime, TimeDelta, Utc};
use rand::{Rng, RngExt as _};
use std::time::Duration;

/// The `[joins]` settings the policies need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinRules {
    /// Joins per account per slot.
    pub max_groups_per_slot: u32,
    /// Shortest pause between two joins of one account.
    pub pause_min: Duration,
    /// Longest pause between two joins of one account.
    pub pause_max: Duration,
    /// FloodWaits up to this long are waited out (as a stored next-join time).
    pub flood_wait_short_max: Duration,
    /// FloodWaits longer than this put the account to rest.
    pub flood_wait_rest_above: Duration,
    /// Retries of a group after transient errors, within one slot.
    pub transient_retries: u32,
    /// Telegram's cap on an account's channels and supergroups (500).
    pub channels_cap: u32,
    /// How long joins pause after CHANNELS_TOO_MUCH below the cap.
    pub channels_hold: Duration,
}

/// How long to wait before retrying a group after a transient (network) error.
pub const TRANSIENT_BACKOFF: Duration = Duration::from_secs(60);

/// Attempts with unexpected errors after which a group is given up for the account
/// (membership `failed`), so one broken group does not take a slot place forever.
pub const MAX_UNEXPECTED_ATTEMPTS: u32 = 3;

impl JoinRules {
    /// A random pause in `[pause_min, pause_max]`, whole seconds.
    pub fn pause(&self, rng: &mut impl Rng) -> Duration {
        let (low, high) = (self.pause_min.as_secs(), self.pause_max.as_secs());
        if low >= high {
            return Duration::from_secs(low);
        }
        Duration::from_secs(rng.random_range(low..=high))
    }

    /// Which kind of FloodWait `wait` is.
    pub fn classify_flood_wait(&self, wait: Duration) -> FloodWaitClass {
        if wait > self.flood_wait_rest_above {
            FloodWaitClass::Rest
        } else if wait > self.flood_wait_short_max {
            FloodWaitClass::Long
        } else {
            FloodWaitClass::Short
        }
    }
}

/// The three FloodWait rules of joins (docs/design.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloodWaitClass {
    /// Up to the short threshold (10 min): wait it out, then the next group.
    Short,
    /// Above it: do not wait; the account stops joining until the wait ends.
    Long,
    /// Above the rest threshold (1 h): the account rests (critical).
    Rest,
}

/// What a join attempt (or the look-up or check made for it) came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinAnswer<'a> {
    /// The account joined.
    Joined,
    /// A membership check found the account a member already.
    FoundMember,
    /// Telegram answered with an error.
    Refused(&'a TgError),
    /// The invite leads to a legacy basic group (`messages.checkChatInvite` showed a
    /// `chatInvite` without the `channel` flag, or the basic `chat` itself): refused
    /// before joining, no join was sent. tgfleet posts only to supergroups and
    /// channels: a basic group's members are reached with other methods
    /// (`messages.getFullChat`, `messages.deleteChatUser`) that the port does not speak.
    BasicGroup,
}

/// What is known about the group's earlier attempts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AttemptHistory {
    /// Attempts recorded before this one (any outcome).
    pub attempts: u32,
    /// Transient failures in the current slot before this one.
    pub transient_failures: u32,
    /// The account's memberships (joined) when it tried: CHANNELS_TOO_MUCH below
    /// [`JoinRules::channels_cap`] is an anti-abuse hold, at the cap a stop.
    pub account_memberships: u32,
}

/// What happens to the membership after an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MembershipEffect {
    /// The join is settled in this state (`joined`, `join_requested`, `failed`, `banned`).
    Settled(MembershipState),
    /// The group stays first in the account's slot: retried after the account's next-join time.
    RetryInSlot,
    /// The group stays pending but leaves this slot; a later slot takes it again.
    LaterSlot,
}

/// What happens to the account after an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountEffect {
    /// The next join of the slot is due at this time (a pause, a waited FloodWait or a retry back-off).
    NextJoinAt(DateTime<Utc>),
    /// A long FloodWait: no joins until then; the rest of the slot is dropped.
    JoinFloodUntil(DateTime<Utc>),
    /// A very long FloodWait: the account rests (status `resting`) until then; the
    /// rest of the slot is dropped. Critical.
    RestUntil(DateTime<Utc>),
    /// Joins stop for this account (CHANNELS_TOO_MUCH); its pending groups go to others.
    StopJoins,
    /// The account cannot work any more; its pending groups go to others.
    Disable(AccountStatus),
    /// The account is spam-limited: the rest of its slot is dropped, its groups stay.
    EndSlot,
}

/// The consequences of one answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinDecision {
    /// The membership's fate.
    pub membership: MembershipEffect,
    /// The group's new catalogue status, if it changes.
    pub group: Option<GroupStatus>,
    /// The account's fate.
    pub account: AccountEffect,
    /// The group is reachable but tgfleet does not post there, for this reason:
    /// `can_post` false, and no account joins it (their pending joins fail).
    pub unsupported: Option<CannotPost>,
}

impl JoinDecision {
    /// Whether the account's pending groups must be handed to other accounts.
    pub fn hands_over(&self) -> bool {
        matches!(
            self.account,
            AccountEffect::StopJoins | AccountEffect::Disable(_)
        )
    }

    /// Whether the account's remaining joins of this slot are dropped.
    pub fn ends_slot(&self) -> bool {
        !matches!(self.account, AccountEffect::NextJoinAt(_))
    }
}

fn after(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::MAX)
}

/// Decides what an answer does. `pause` is the random pause drawn for this join
/// ([`JoinRules::pause`]); the next join of the slot waits for it after every answer
/// that neither stops the account nor asks for a longer wait.
pub fn decide_join(
    answer: JoinAnswer<'_>,
    history: AttemptHistory,
    rules: &JoinRules,
    now: DateTime<Utc>,
    pause: Duration,
) -> JoinDecision {
    let next = AccountEffect::NextJoinAt(after(now, pause));
    let decision = |membership, group, account| JoinDecision {
        membership,
        group,
        account,
        unsupported: None,
    };
    use MembershipEffect::{LaterSlot, RetryInSlot, Settled};
    let about = match answer {
        JoinAnswer::Joined | JoinAnswer::FoundMember => About::Join(JoinNote::AlreadyMember),
        JoinAnswer::Refused(error) => error.about,
        JoinAnswer::BasicGroup => {
            return JoinDecision {
                unsupported: Some(CannotPost::BasicGroup),
                ..decision(
                    Settled(MembershipState::Failed),
                    Some(GroupStatus::Active),
                    next,
                )
            };
        }
    };
    let inaccessible = || {
        decision(
            Settled(MembershipState::Failed),
            Some(GroupStatus::Inaccessible),
            next,
        )
    };
    match about {
        About::Join(JoinNote::AlreadyMember) => decision(
            Settled(MembershipState::Joined),
            Some(GroupStatus::Active),
            next,
        ),
        About::Join(JoinNote::RequestSent) => {
            decision(Settled(MembershipState::JoinRequested), None, next)
        }
        // A peer that does not work for a join just resolved (CHANNEL_PRIVATE for a
        // non-member), a group Telegram banned or that is gone: nobody can join it.
        About::Membership(MembershipAnswer::PeerStale)
        | About::Group(GroupAnswer::Gone | GroupAnswer::BannedByTelegram) => inaccessible(),
        // The group's admins banned this account: off-limits to all (invariant 4).
        About::Group(GroupAnswer::BannedUs) => decision(
            Settled(MembershipState::Banned),
            Some(GroupStatus::Banned),
            next,
        ),
        // Below the cap, CHANNELS_TOO_MUCH is Telegram's anti-abuse hold (community
        // report: https://github.com/tdlib/td/issues/1139, "Total chat count is less
        // than 200"): joins pause, then resume. At the cap, joins stop.
        About::Account(AccountAnswer::TooManyChannels)
            if history.account_memberships < rules.channels_cap =>
        {
            decision(
                LaterSlot,
                None,
                AccountEffect::JoinFloodUntil(after(now, rules.channels_hold)),
            )
        }
        About::Account(AccountAnswer::TooManyChannels) => {
            decision(LaterSlot, None, AccountEffect::StopJoins)
        }
        About::Account(
            AccountAnswer::Unauthorized
            | AccountAnswer::DeadKey
            | AccountAnswer::Deactivated
            | AccountAnswer::Frozen,
        ) => {
            let status = match answer {
                JoinAnswer::Refused(error) => error.account_status(),
                _ => None,
            };
            decision(
                LaterSlot,
                None,
                AccountEffect::Disable(status.unwrap_or(AccountStatus::Unauthorized)),
            )
        }
        About::Call(CallAnswer::Wait(_, secs)) => {
            let wait = Duration::from_secs(u64::from(secs));
            let until = after(now, wait);
            let account = match rules.classify_flood_wait(wait) {
                FloodWaitClass::Short => AccountEffect::NextJoinAt(until),
                FloodWaitClass::Long => AccountEffect::JoinFloodUntil(until),
                FloodWaitClass::Rest => AccountEffect::RestUntil(until),
            };
            decision(LaterSlot, None, account)
        }
        // Spam-limited: about the account, never the group; the slot ends.
        About::Account(AccountAnswer::SpamLimited) => {
            decision(LaterSlot, None, AccountEffect::EndSlot)
        }
        About::Call(CallAnswer::Transient | CallAnswer::UnknownOutcome)
            if history.transient_failures < rules.transient_retries =>
        {
            decision(
                RetryInSlot,
                None,
                AccountEffect::NextJoinAt(after(now, TRANSIENT_BACKOFF)),
            )
        }
        About::Call(CallAnswer::Transient | CallAnswer::UnknownOutcome) => {
            decision(LaterSlot, None, next)
        }
        About::Membership(_)
        | About::Content(_)
        | About::Group(_)
        | About::Source
        | About::Unexpected
            if history.attempts + 1 >= MAX_UNEXPECTED_ATTEMPTS =>
        {
            decision(Settled(MembershipState::Failed), None, next)
        }
        About::Membership(_)
        | About::Content(_)
        | About::Group(_)
        | About::Source
        | About::Unexpected => decision(LaterSlot, None, next),
    }
}

/// What the slot planner needs to know about an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinerState {
    /// Its status.
    pub status: AccountStatus,
    /// Whether joins were stopped for it (e.g. CHANNELS_TOO_MUCH).
    pub joins_stopped: bool,
    /// No joins before then (a long FloodWait).
    pub join_flood_until: Option<DateTime<Utc>>,
    /// End of a rest.
    pub rest_until: Option<DateTime<Utc>>,
}

/// Whether an account takes part in a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotEligibility {
    /// It joins in this slot; `wakes_from_rest` when its rest ended by the tick
    /// (it becomes `active` again).
    Joins {
        /// The account was resting and its rest is over.
        wakes_from_rest: bool,
    },
    /// A long FloodWait is still running.
    FloodWait {
        /// When it ends.
        until: DateTime<Utc>,
    },
    /// It rests until then.
    Resting {
        /// When the rest ends (`None`: until the operator resumes it).
        until: Option<DateTime<Utc>>,
    },
    /// Joins were stopped for good, or the account cannot work.
    Excluded,
}

/// Decides whether an account joins in the slot firing at `tick`.
pub fn slot_eligibility(state: &JoinerState, tick: DateTime<Utc>) -> SlotEligibility {
    if state.joins_stopped {
        return SlotEligibility::Excluded;
    }
    let wakes_from_rest = match state.status {
        AccountStatus::Active => false,
        AccountStatus::Resting => match state.rest_until {
            Some(until) if until <= tick => true,
            until => return SlotEligibility::Resting { until },
        },
        AccountStatus::Suspended
        | AccountStatus::Unauthorized
        | AccountStatus::Deactivated
        | AccountStatus::Frozen => {
            return SlotEligibility::Excluded;
        }
    };
    match state.join_flood_until {
        Some(until) if until > tick => SlotEligibility::FloodWait { until },
        _ => SlotEligibility::Joins { wakes_from_rest },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng as _;
    use rand::rngs::StdRng;

    fn rules() -> JoinRules {
        JoinRules {
            max_groups_per_slot: 5,
            pause_min: Duration::from_secs(300),
            pause_max: Duration::from_secs(600),
            flood_wait_short_max: Duration::from_secs(600),
            flood_wait_rest_above: Duration::from_secs(3600),
            transient_retries: 2,
            channels_cap: 500,
            channels_hold: Duration::from_secs(24 * 3600),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-10T02:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn rpc(name: &str) -> TgError {
        TgError::from_rpc(400, name, None)
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn decide(answer: JoinAnswer<'_>) -> JoinDecision {
        decide_join(
            answer,
            AttemptHistory::default(),
            &rules(),
            now(),
            secs(432),
        )
    }

    #[test]
    fn a_basic_group_is_refused_before_joining_and_never_tried_again() {
        let decision = decide(JoinAnswer::BasicGroup);
        assert_eq!(
            decision.membership,
            MembershipEffect::Settled(MembershipState::Failed)
        );
        assert_eq!(decision.group, Some(GroupStatus::Active));
        assert_eq!(decision.unsupported, Some(CannotPost::BasicGroup));
        assert_eq!(
            decision.account,
            AccountEffect::NextJoinAt(now() + TimeDelta::seconds(432))
        );
        assert!(!decision.ends_slot() && !decision.hands_over());
        // Every other answer leaves the group's support alone.
        assert_eq!(decide(JoinAnswer::Joined).unsupported, None);
    }

    #[test]
    fn flood_waits_follow_the_seed_thresholds() {
        let rules = rules();
        assert_eq!(rules.classify_flood_wait(secs(312)), FloodWaitClass::Short);
        assert_eq!(rules.classify_flood_wait(secs(600)), FloodWaitClass::Short);
        assert_eq!(rules.classify_flood_wait(secs(601)), FloodWaitClass::Long);
        assert_eq!(rules.classify_flood_wait(secs(1800)), FloodWaitClass::Long);
        assert_eq!(rules.classify_flood_wait(secs(3600)), FloodWaitClass::Long);
        assert_eq!(rules.classify_flood_wait(secs(3601)), FloodWaitClass::Rest);
        assert_eq!(rules.classify_flood_wait(secs(7200)), FloodWaitClass::Rest);
    }

    #[test]
    fn a_short_flood_wait_is_waited_and_the_group_waits_for_a_later_slot() {
        let decision = decide(JoinAnswer::Refused(&TgError::flood_wait(312)));
        assert_eq!(decision.membership, MembershipEffect::LaterSlot);
        assert_eq!(
            decision.account,
            AccountEffect::NextJoinAt(now() + TimeDelta::seconds(312))
        );
        assert!(!decision.ends_slot());
        assert!(!decision.hands_over());
    }

    #[test]
    fn a_long_flood_wait_stops_joins_and_a_very_long_one_rests_the_account() {
        let long = decide(JoinAnswer::Refused(&TgError::flood_wait(1800)));
        assert_eq!(
            long.account,
            AccountEffect::JoinFloodUntil(now() + TimeDelta::seconds(1800))
        );
        assert!(long.ends_slot());
        let rest = decide(JoinAnswer::Refused(&TgError::flood_wait(7200)));
        assert_eq!(
            rest.account,
            AccountEffect::RestUntil(now() + TimeDelta::hours(2))
        );
        assert_eq!(rest.membership, MembershipEffect::LaterSlot);
        assert!(rest.ends_slot() && !rest.hands_over());
    }

    #[test]
    fn group_outcomes_settle_the_membership_and_the_pause_follows() {
        let paused = AccountEffect::NextJoinAt(now() + TimeDelta::seconds(432));
        let cases = [
            (
                JoinAnswer::Joined,
                MembershipState::Joined,
                Some(GroupStatus::Active),
            ),
            (
                JoinAnswer::Refused(&rpc("USER_ALREADY_PARTICIPANT")),
                MembershipState::Joined,
                Some(GroupStatus::Active),
            ),
            (
                JoinAnswer::Refused(&rpc("INVITE_REQUEST_SENT")),
                MembershipState::JoinRequested,
                None,
            ),
            (
                JoinAnswer::Refused(&rpc("INVITE_HASH_EXPIRED")),
                MembershipState::Failed,
                Some(GroupStatus::Inaccessible),
            ),
            (
                JoinAnswer::Refused(&rpc("USER_KICKED")),
                MembershipState::Banned,
                Some(GroupStatus::Banned),
            ),
        ];
        for (answer, state, group) in cases {
            let decision = decide(answer);
            assert_eq!(
                decision.membership,
                MembershipEffect::Settled(state),
                "{answer:?}"
            );
            assert_eq!(decision.group, group, "{answer:?}");
            assert_eq!(decision.account, paused, "{answer:?}");
        }
    }

    #[test]
    fn unusable_accounts_hand_their_groups_over() {
        for (answer, effect) in [
            (
                JoinAnswer::Refused(&rpc("SESSION_REVOKED")),
                AccountEffect::Disable(AccountStatus::Unauthorized),
            ),
            (
                JoinAnswer::Refused(&rpc("USER_DEACTIVATED_BAN")),
                AccountEffect::Disable(AccountStatus::Deactivated),
            ),
        ] {
            let decision = decide(answer);
            assert_eq!(decision.account, effect);
            assert_eq!(decision.membership, MembershipEffect::LaterSlot);
            assert!(decision.hands_over() && decision.ends_slot());
        }
        let spam = decide(JoinAnswer::Refused(&rpc("PEER_FLOOD")));
        assert!(spam.ends_slot() && !spam.hands_over());
    }

    #[test]
    fn channels_too_much_below_the_cap_holds_joins_and_at_the_cap_stops_them() {
        let rules = rules();
        let too_much = rpc("CHANNELS_TOO_MUCH");
        let with = |account_memberships| {
            decide_join(
                JoinAnswer::Refused(&too_much),
                AttemptHistory {
                    account_memberships,
                    ..AttemptHistory::default()
                },
                &rules,
                now(),
                secs(300),
            )
        };
        let held = with(42);
        assert_eq!(
            held.account,
            AccountEffect::JoinFloodUntil(now() + TimeDelta::hours(24))
        );
        assert_eq!(held.membership, MembershipEffect::LaterSlot);
        assert!(held.ends_slot() && !held.hands_over(), "the groups stay");
        let full = with(rules.channels_cap);
        assert_eq!(full.account, AccountEffect::StopJoins);
        assert!(full.ends_slot() && full.hands_over());
    }

    #[test]
    fn transient_errors_are_retried_a_bounded_number_of_times() {
        let rules = rules();
        let attempt = |transient_failures| {
            decide_join(
                JoinAnswer::Refused(&rpc("RPC_CALL_FAIL")),
                AttemptHistory {
                    attempts: transient_failures,
                    transient_failures,
                    account_memberships: 0,
                },
                &rules,
                now(),
                secs(432),
            )
        };
        for failures in 0..rules.transient_retries {
            let decision = attempt(failures);
            assert_eq!(decision.membership, MembershipEffect::RetryInSlot);
            assert_eq!(
                decision.account,
                AccountEffect::NextJoinAt(now() + TimeDelta::seconds(60))
            );
        }
        let given_up = attempt(rules.transient_retries);
        assert_eq!(given_up.membership, MembershipEffect::LaterSlot);
        assert_eq!(
            given_up.account,
            AccountEffect::NextJoinAt(now() + TimeDelta::seconds(432))
        );
    }

    #[test]
    fn unexpected_errors_move_on_and_eventually_give_the_group_up() {
        let rules = rules();
        let attempt = |attempts| {
            decide_join(
                JoinAnswer::Refused(&rpc("MESSAGE_EMPTY")),
                AttemptHistory {
                    attempts,
                    transient_failures: 0,
                    account_memberships: 0,
                },
                &rules,
                now(),
                secs(432),
            )
        };
        assert_eq!(attempt(0).membership, MembershipEffect::LaterSlot);
        assert_eq!(
            attempt(MAX_UNEXPECTED_ATTEMPTS - 1).membership,
            MembershipEffect::Settled(MembershipState::Failed)
        );
        assert!(!attempt(0).ends_slot());
    }

    #[test]
    fn slot_eligibility_skips_flooded_resting_and_stopped_accounts() {
        let tick = now();
        let active = JoinerState {
            status: AccountStatus::Active,
            joins_stopped: false,
            join_flood_until: None,
            rest_until: None,
        };
        assert_eq!(
            slot_eligibility(&active, tick),
            SlotEligibility::Joins {
                wakes_from_rest: false
            }
        );
        let flooded_until = tick + TimeDelta::minutes(10);
        let flooded = JoinerState {
            join_flood_until: Some(flooded_until),
            ..active
        };
        assert_eq!(
            slot_eligibility(&flooded, tick),
            SlotEligibility::FloodWait {
                until: flooded_until
            }
        );
        assert_eq!(
            slot_eligibility(&flooded, flooded_until),
            SlotEligibility::Joins {
                wakes_from_rest: false
            }
        );
        let resting = JoinerState {
            status: AccountStatus::Resting,
            rest_until: Some(tick + TimeDelta::hours(1)),
            ..active
        };
        assert!(matches!(
            slot_eligibility(&resting, tick),
            SlotEligibility::Resting { .. }
        ));
        assert_eq!(
            slot_eligibility(&resting, tick + TimeDelta::hours(1)),
            SlotEligibility::Joins {
                wakes_from_rest: true
            }
        );
        let stopped = JoinerState {
            joins_stopped: true,
            ..active
        };
        assert_eq!(slot_eligibility(&stopped, tick), SlotEligibility::Excluded);
        for status in [
            AccountStatus::Suspended,
            AccountStatus::Unauthorized,
            AccountStatus::Deactivated,
        ] {
            let state = JoinerState { status, ..active };
            assert_eq!(slot_eligibility(&state, tick), SlotEligibility::Excluded);
        }
    }

    proptest! {
        #[test]
        fn pauses_stay_in_range(seed: u64, low in 0u64..3600, extra in 0u64..3600) {
            let rules = JoinRules {
                pause_min: secs(low),
                pause_max: secs(low + extra),
                ..rules()
            };
            let mut rng = StdRng::seed_from_u64(seed);
            for _ in 0..20 {
                let pause = rules.pause(&mut rng);
                prop_assert!(pause >= rules.pause_min && pause <= rules.pause_max);
            }
        }

        #[test]
        fn flood_classes_grow_with_the_wait(short in 1u64..5000, extra in 0u64..5000, a in 0u64..20_000, b in 0u64..20_000) {
            let rules = JoinRules {
                flood_wait_short_max: secs(short),
                flood_wait_rest_above: secs(short + extra),
                ..rules()
            };
            let rank = |class| match class {
                FloodWaitClass::Short => 0,
                FloodWaitClass::Long => 1,
                FloodWaitClass::Rest => 2,
            };
            let (small, large) = (a.min(b), a.max(b));
            prop_assert!(rank(rules.classify_flood_wait(secs(small))) <= rank(rules.classify_flood_wait(secs(large))));
            prop_assert_eq!(rules.classify_flood_wait(secs(small.min(short))), FloodWaitClass::Short);
        }

        #[test]
        fn a_flood_wait_never_schedules_a_join_before_it_ends(wait in 0u64..200_000) {
            let decision = decide(JoinAnswer::Refused(&TgError::flood_wait(u32::try_from(wait).unwrap())));
            let until = now() + TimeDelta::seconds(wait as i64);
            let scheduled = match decision.account {
                AccountEffect::NextJoinAt(at) | AccountEffect::JoinFloodUntil(at) | AccountEffect::RestUntil(at) => at,
                other => return Err(TestCaseError::fail(format!("{other:?}"))),
            };
            prop_assert_eq!(scheduled, until);
            prop_assert_eq!(decision.membership, MembershipEffect::LaterSlot);
        }
    }
}
