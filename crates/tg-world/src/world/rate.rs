//! Per-account rate state: one token bucket per method class with escalating
//! FLOOD_WAIT, and the sliding window of sends behind PEER_FLOOD.

use crate::limits::{Budget, FloodPolicy, PeerFloodPolicy};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::VecDeque;

/// Whole seconds from `now` until `later`, rounded up (at least 1).
pub(crate) fn secs_until(now: DateTime<Utc>, later: DateTime<Utc>) -> u32 {
    let millis = (later - now).num_milliseconds().max(1);
    u32::try_from((millis + 999) / 1000).unwrap_or(u32::MAX)
}

/// One method class's budget for one account.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Bucket {
    /// Tokens left at `updated`; `None` until first used (a full bucket).
    state: Option<(f64, DateTime<Utc>)>,
    flood_until: Option<DateTime<Utc>>,
    strikes: u32,
    last_violation: Option<DateTime<Utc>>,
}

impl Bucket {
    /// Takes one call from the budget, or answers the seconds to wait.
    pub(crate) fn take(
        &mut self,
        now: DateTime<Utc>,
        budget: Budget,
        flood: &FloodPolicy,
    ) -> Result<(), u32> {
        if let Some(until) = self.flood_until
            && until > now
        {
            return Err(secs_until(now, until));
        }
        let capacity = f64::from(budget.calls);
        let per_sec = capacity / f64::from(budget.per_secs);
        let tokens = match self.state {
            None => capacity,
            Some((tokens, updated)) => {
                let elapsed = (now - updated).num_milliseconds().max(0) as f64 / 1000.0;
                (tokens + elapsed * per_sec).min(capacity)
            }
        };
        if tokens >= 1.0 {
            self.state = Some((tokens - 1.0, now));
            return Ok(());
        }
        self.state = Some((tokens, now));
        let fresh = self
            .last_violation
            .is_none_or(|last| now - last > TimeDelta::seconds(i64::from(flood.reset_after_secs)));
        self.strikes = if fresh { 1 } else { self.strikes + 1 };
        self.last_violation = Some(now);
        let until_token = ((1.0 - tokens) / per_sec).max(1.0);
        let exponent = i32::try_from(self.strikes - 1).unwrap_or(i32::MAX);
        let wait = (until_token * flood.growth_factor.powi(exponent))
            .ceil()
            .min(f64::from(flood.max_wait_secs));
        let wait = wait as u32;
        self.flood_until = Some(now + TimeDelta::seconds(i64::from(wait)));
        Err(wait)
    }
}

/// The account's recent sends, for PEER_FLOOD.
#[derive(Clone, Debug, Default)]
pub(crate) struct SpamState {
    recent: VecDeque<DateTime<Utc>>,
    limited_until: Option<DateTime<Utc>>,
}

impl SpamState {
    /// Whether the account is spam-limited at `now`.
    pub(crate) fn is_limited(&self, now: DateTime<Utc>) -> bool {
        self.limited_until.is_some_and(|until| until > now)
    }

    /// Records a send; `false` when it tips the account into a spam limit
    /// (the send is refused).
    pub(crate) fn record_send(&mut self, now: DateTime<Utc>, policy: &PeerFloodPolicy) -> bool {
        if policy.max_sends == u32::MAX {
            return true;
        }
        let window = TimeDelta::seconds(i64::from(policy.window_secs));
        while self
            .recent
            .front()
            .is_some_and(|&sent| now - sent >= window)
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= policy.max_sends as usize {
            self.recent.clear();
            self.limited_until = Some(now + TimeDelta::seconds(i64::from(policy.block_secs)));
            return false;
        }
        self.recent.push_back(now);
        true
    }

    /// Until when the account is spam-limited, if it is at `now`.
    pub(crate) fn limited_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.limited_until.filter(|until| *until > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn bucket_refills_and_escalates() {
        let budget = Budget::new(2, 100);
        let flood = FloodPolicy::default();
        let mut bucket = Bucket::default();
        assert_eq!(bucket.take(at(0), budget, &flood), Ok(()));
        assert_eq!(bucket.take(at(0), budget, &flood), Ok(()));
        assert_eq!(bucket.take(at(0), budget, &flood), Err(50));
        assert_eq!(bucket.take(at(10), budget, &flood), Err(40));
        assert_eq!(bucket.take(at(50), budget, &flood), Ok(()));
        assert_eq!(bucket.take(at(50), budget, &flood), Err(100));
        assert_eq!(bucket.take(at(150), budget, &flood), Ok(()));
        assert_eq!(bucket.take(at(150), budget, &flood), Ok(()));
        assert_eq!(bucket.take(at(150), budget, &flood), Err(200));
    }

    #[test]
    fn escalation_resets_after_a_quiet_period() {
        let budget = Budget::new(1, 10);
        let flood = FloodPolicy {
            reset_after_secs: 100,
            ..FloodPolicy::default()
        };
        let mut bucket = Bucket::default();
        assert_eq!(bucket.take(at(0), budget, &flood), Ok(()));
        assert_eq!(bucket.take(at(0), budget, &flood), Err(10));
        assert_eq!(bucket.take(at(10), budget, &flood), Ok(()));
        assert_eq!(bucket.take(at(10), budget, &flood), Err(20));
        assert_eq!(bucket.take(at(1000), budget, &flood), Ok(()));
        assert_eq!(bucket.take(at(1000), budget, &flood), Err(10));
    }

    #[test]
    fn a_burst_of_sends_spam_limits() {
        let policy = PeerFloodPolicy {
            max_sends: 3,
            window_secs: 60,
            block_secs: 600,
        };
        let mut spam = SpamState::default();
        assert!(spam.record_send(at(0), &policy));
        assert!(spam.record_send(at(1), &policy));
        assert!(spam.record_send(at(2), &policy));
        assert!(!spam.record_send(at(3), &policy));
        assert!(spam.is_limited(at(602)));
        assert!(!spam.is_limited(at(603)));
        assert!(spam.record_send(at(100), &policy));
    }
}
