//! The clock abstraction. Every time comparison in tgfleet (plans, leases, caps)
//! uses an injected [`Clock`], never `Utc::now()` or SQL `now()` directly, so that
//! service tests can run a whole day in seconds under paused tokio time.

use chrono::{DateTime, Utc};
use std::fmt::Debug;

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
