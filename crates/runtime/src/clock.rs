//! The clocks services run on. Every service reads time from a [`ServiceClock`]
//! and waits through it, so the same code runs on the wall clock in production,
//! on paused tokio time in tests (a whole day in seconds), and on a scaled clock in
//! the demo (minutes of Telegram time per second, shared by every process).

use chrono::{DateTime, TimeDelta, Utc};
use std::time::Duration;
use tgfleet_domain::Clock;

/// A clock that can also wait.
#[derive(Clone, Debug)]
pub enum ServiceClock {
    /// The wall clock; waits are real.
    System,
    /// Time derived from tokio's clock: under `tokio::time::pause` it advances only
    /// when every task waits, so tests run simulated days instantly.
    Virtual {
        /// The UTC time at `origin_instant`.
        origin: DateTime<Utc>,
        /// The tokio instant that corresponds to `origin`.
        origin_instant: tokio::time::Instant,
    },
    /// Wall-clock time sped up `scale` times around a fixed `origin`. Processes that
    /// share `origin` and `scale` agree on the time without talking to each other.
    Scaled {
        /// The instant at which scaled and real time coincide.
        origin: DateTime<Utc>,
        /// How many seconds of simulated time pass per real second (> 0).
        scale: f64,
    },
}

impl ServiceClock {
    /// A virtual clock starting at `origin` now.
    pub fn virtual_at(origin: DateTime<Utc>) -> Self {
        Self::Virtual {
            origin,
            origin_instant: tokio::time::Instant::now(),
        }
    }

    /// The clock `[clock]` configures: the wall clock, or the scaled clock around its
    /// origin (the start of this process when no origin is set). Services and the CLI
    /// both take their time from it, so that what the CLI records (a campaign's
    /// start, a login) is in the services' time.
    pub fn configured(settings: &tgfleet_config::ClockSettings) -> Self {
        if settings.is_real_time() {
            return Self::System;
        }
        let origin = settings.origin.map_or_else(Utc::now, |origin| origin.0);
        Self::scaled(origin, settings.scale)
    }

    /// A scaled clock; `scale` below or equal to zero is treated as 1.
    pub fn scaled(origin: DateTime<Utc>, scale: f64) -> Self {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        Self::Scaled { origin, scale }
    }

    /// How many simulated seconds pass per real second.
    pub fn scale(&self) -> f64 {
        match self {
            Self::Scaled { scale, .. } => *scale,
            Self::System | Self::Virtual { .. } => 1.0,
        }
    }

    /// Waits for `duration` of this clock's time.
    pub async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(self.real_duration(duration)).await;
    }

    /// Waits until this clock reads `deadline` (returns at once if it already does).
    pub async fn sleep_until(&self, deadline: DateTime<Utc>) {
        let remaining = (deadline - self.now()).to_std().unwrap_or(Duration::ZERO);
        self.sleep(remaining).await;
    }

    /// The real duration that `duration` of this clock's time takes.
    pub fn real_duration(&self, duration: Duration) -> Duration {
        match self {
            Self::Scaled { scale, .. } => duration.div_f64(*scale),
            Self::System | Self::Virtual { .. } => duration,
        }
    }
}

impl Clock for ServiceClock {
    fn now(&self) -> DateTime<Utc> {
        match self {
            Self::System => Utc::now(),
            Self::Virtual {
                origin,
                origin_instant,
            } => {
                let elapsed = tokio::time::Instant::now().duration_since(*origin_instant);
                *origin + TimeDelta::from_std(elapsed).unwrap_or(TimeDelta::MAX)
            }
            Self::Scaled { origin, scale } => {
                let real = (Utc::now() - *origin).as_seconds_f64();
                *origin + TimeDelta::microseconds((real * scale * 1e6) as i64)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn virtual_clock_follows_paused_tokio_time() {
        let origin = DateTime::parse_from_rfc3339("2026-01-10T02:00:00Z")
            .unwrap()
            .to_utc();
        let clock = ServiceClock::virtual_at(origin);
        assert_eq!(clock.now(), origin);
        clock.sleep(Duration::from_secs(6 * 3600)).await;
        assert_eq!(clock.now(), origin + TimeDelta::hours(6));
        clock.sleep_until(origin + TimeDelta::hours(5)).await;
        assert_eq!(clock.now(), origin + TimeDelta::hours(6));
    }

    #[test]
    fn scaled_clock_runs_faster_than_real_time() {
        let origin = Utc::now() - TimeDelta::seconds(10);
        let clock = ServiceClock::scaled(origin, 60.0);
        let ahead = clock.now() - origin;
        assert!(ahead >= TimeDelta::seconds(600), "{ahead}");
        assert!(ahead < TimeDelta::seconds(660), "{ahead}");
        assert_eq!(
            clock.real_duration(Duration::from_secs(600)),
            Duration::from_secs(10)
        );
        assert_eq!(ServiceClock::scaled(origin, -3.0).scale(), 1.0);
    }
}
