//! The clock abstraction. Every time comparison in tgfleet (plans, leases, caps)
//! uses an injected [`Clock`], never `Utc::now()` or SQL `now()` directly, so that
//! service tests can run a whole day in seconds under paused tokio time.

use chrono::{DateTime, TimeDelta, Utc};
use std::fmt::Debug;
use std::time::Duration;

/// A source of the current wall-clock time.
pub trait Clock: Send + Sync + Debug {
    /// The current instant in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// `duration` as a chrono [`TimeDelta`], saturating at [`TimeDelta::MAX`] (a wait too
/// long to represent is as good as forever).
pub fn to_delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_convert_and_saturate() {
        assert_eq!(to_delta(Duration::from_secs(90)), TimeDelta::seconds(90));
        assert_eq!(to_delta(Duration::MAX), TimeDelta::MAX);
    }
}
