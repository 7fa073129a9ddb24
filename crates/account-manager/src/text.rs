//! Durations and times the way log lines show them.

use chrono::{DateTime, Utc};
use std::time::Duration;
use tgfleet_config::TimeZone;

/// `7m12s`, `45s`, `2h05m`.
pub(crate) fn duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    let (hours, minutes, seconds) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (hours, minutes) {
        (0, 0) => format!("{seconds}s"),
        (0, _) => format!("{minutes}m{seconds:02}s"),
        _ => format!("{hours}h{minutes:02}m"),
    }
}

/// `2026-01-10 09:35 Asia/Jakarta`.
pub(crate) fn local(instant: DateTime<Utc>, zone: TimeZone) -> String {
    format!("{} {zone}", zone.local(instant).format("%Y-%m-%d %H:%M"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_the_seed() {
        assert_eq!(duration(Duration::from_secs(432)), "7m12s");
        assert_eq!(duration(Duration::from_secs(45)), "45s");
        assert_eq!(duration(Duration::from_secs(600)), "10m00s");
        assert_eq!(duration(Duration::from_secs(7500)), "2h05m");
    }

    #[test]
    fn times_are_shown_in_the_slot_zone() {
        let instant = DateTime::parse_from_rfc3339("2026-01-10T02:35:00Z")
            .unwrap()
            .to_utc();
        let zone = TimeZone(chrono_tz::Asia::Jakarta);
        assert_eq!(local(instant, zone), "2026-01-10 09:35 Asia/Jakarta");
    }
}
