//! Pacing with governor on the service clock: a review never sends an account
//! more than `reviewer.requests_per_minute` requests, and every wait for the
//! rate limit happens outside the account's lease.
//!
//! governor's own clock reads the wall clock; [`ServiceTime`] implements
//! governor's `Clock` over the [`ServiceClock`], so paused-time tests pace on
//! virtual time, and waits go through the same clock.

use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;
use tgfleet_domain::Clock;
use tgfleet_runtime::ServiceClock;

/// governor's view of a [`ServiceClock`]: time since the Unix epoch.
#[derive(Clone, Debug)]
pub struct ServiceTime(pub ServiceClock);

impl GovernorClock for ServiceTime {
    type Instant = Duration;

    fn now(&self) -> Duration {
        (self.0.now() - chrono::DateTime::UNIX_EPOCH)
            .to_std()
            .unwrap_or_default()
    }
}

/// Requests one check of a group costs: `channels.getParticipant` and
/// `channels.getFullChannel` for the rights, plus one resolve when no peer is stored.
pub fn check_cost(needs_resolve: bool) -> u32 {
    if needs_resolve { 3 } else { 2 }
}

/// One account's request budget. A batch takes a burst of requests from the
/// limiter (waiting outside the lease when it is empty), then spends them on
/// checks under the lease.
#[derive(Debug)]
pub struct Pacer {
    limiter: RateLimiter<NotKeyed, InMemoryState, ServiceTime, NoOpMiddleware<Duration>>,
    time: ServiceTime,
    batch: NonZeroU32,
}

impl Pacer {
    /// A pacer allowing `requests_per_minute` (at least 1), in batches of half a
    /// minute's worth (at least one full check with a resolve, at most 30).
    pub fn new(clock: ServiceClock, requests_per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(requests_per_minute).unwrap_or(NonZeroU32::MIN);
        let batch = (per_minute.get() / 2).clamp(check_cost(true), 30);
        let batch = NonZeroU32::new(batch).unwrap_or(NonZeroU32::MIN);
        let time = ServiceTime(clock);
        let quota = Quota::per_minute(per_minute).allow_burst(batch);
        Self {
            limiter: RateLimiter::direct_with_clock(quota, time.clone()),
            time,
            batch,
        }
    }

    /// Requests per batch.
    pub fn batch_size(&self) -> u32 {
        self.batch.get()
    }

    /// Waits (on the service clock) until a batch of requests is allowed, takes
    /// it and returns its size. Call it without holding the account's lease.
    pub async fn take_batch(&self) -> u32 {
        loop {
            match self.limiter.check_n(self.batch) {
                // A batch is exactly the burst size, so it always fits (no `InsufficientCapacity`).
                Ok(Ok(())) | Err(_) => return self.batch.get(),
                Ok(Err(not_until)) => {
                    let wait = not_until.wait_time_from(self.time.now());
                    self.time.0.sleep(wait.max(Duration::from_millis(1))).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeDelta, Utc};

    #[tokio::test(start_paused = true)]
    async fn batches_keep_to_the_rate_on_the_service_clock() {
        let start: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-01-10T03:00:00Z")
            .unwrap()
            .to_utc();
        let clock = ServiceClock::virtual_at(start);
        let pacer = Pacer::new(clock.clone(), 20);
        assert_eq!(pacer.batch_size(), 10);
        let mut taken = 0;
        while clock.now() < start + TimeDelta::minutes(10) {
            taken += pacer.take_batch().await;
        }
        // Ten minutes at 20 per minute, plus the first burst and the batch that
        // ended past the ten-minute mark.
        assert!((200..=220).contains(&taken), "{taken}");
    }

    #[tokio::test(start_paused = true)]
    async fn tiny_rates_still_fit_a_whole_check() {
        let clock = ServiceClock::virtual_at(Utc::now());
        let pacer = Pacer::new(clock, 1);
        assert_eq!(pacer.batch_size(), 3);
        assert_eq!(pacer.take_batch().await, 3);
    }
}
