//! Where the world backend reads the time: wall-clock time sped up around an epoch (demos),
//! or a clock a test sets by hand.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};

/// A source of the world's `now`.
pub trait SimClock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

impl<C: SimClock + ?Sized> SimClock for Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

/// Wall-clock time sped up `scale` times around `epoch`:
/// `now = epoch + (real_now - epoch) * scale`.
///
/// The formula is the one of `tgfleet_runtime::ServiceClock::Scaled`, so a tg-sim and the
/// services started with the same epoch and scale agree on the time without talking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScaledClock {
    epoch: DateTime<Utc>,
    scale: f64,
}

impl ScaledClock {
    /// A clock running `scale` times faster than real time from `epoch` on. `None` unless
    /// `scale` is a positive finite number.
    pub fn new(epoch: DateTime<Utc>, scale: f64) -> Option<Self> {
        (scale.is_finite() && scale > 0.0).then_some(Self { epoch, scale })
    }

    /// Real time (scale 1, epoch now).
    pub fn real_time() -> Self {
        Self {
            epoch: Utc::now(),
            scale: 1.0,
        }
    }

    /// The instant at which scaled and real time coincide.
    pub fn epoch(&self) -> DateTime<Utc> {
        self.epoch
    }

    /// Simulated seconds per real second.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The scaled time at the real time `real_now`.
    pub fn at(&self, real_now: DateTime<Utc>) -> DateTime<Utc> {
        let real = (real_now - self.epoch).as_seconds_f64();
        self.epoch + TimeDelta::microseconds((real * self.scale * 1e6) as i64)
    }
}

impl SimClock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        self.at(Utc::now())
    }
}

/// A clock that stands still until a test moves it.
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock reading `start`.
    pub fn new(start: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self {
            now: Mutex::new(start),
        })
    }

    /// Sets the time.
    pub fn set(&self, now: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Moves the time forward (or back, for a negative delta).
    pub fn advance(&self, by: TimeDelta) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl SimClock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManualClock").field(&self.now()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_time_runs_scale_times_faster_from_the_epoch() {
        let epoch = DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let clock = ScaledClock::new(epoch, 60.0).unwrap();
        assert_eq!(clock.at(epoch), epoch);
        assert_eq!(
            clock.at(epoch + TimeDelta::seconds(10)),
            epoch + TimeDelta::minutes(10)
        );
        assert_eq!(
            clock.at(epoch - TimeDelta::seconds(1)),
            epoch - TimeDelta::minutes(1)
        );
        let real = ScaledClock::new(epoch, 1.0).unwrap();
        let later = epoch + TimeDelta::milliseconds(1500);
        assert_eq!(real.at(later), later);
    }

    #[test]
    fn scales_must_be_positive_and_finite() {
        let epoch = Utc::now();
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(ScaledClock::new(epoch, bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = Utc::now();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(TimeDelta::seconds(30));
        assert_eq!(clock.now(), start + TimeDelta::seconds(30));
        clock.set(start);
        assert_eq!(SimClock::now(&clock), start);
    }
}
