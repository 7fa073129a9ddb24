//! Parsed configuration values: time zones, cron schedules, log formats, services.

use chrono::{DateTime, TimeZone as _, Timelike as _, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use serde::Deserialize;
use std::fmt;

/// An IANA time zone such as `Asia/Jakarta`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct TimeZone(pub chrono_tz::Tz);

impl TimeZone {
    /// The local date and time of `instant` in this zone.
    pub fn local(&self, instant: DateTime<Utc>) -> DateTime<chrono_tz::Tz> {
        instant.with_timezone(&self.0)
    }
}

impl TryFrom<String> for TimeZone {
    type Error = String;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        name.parse::<chrono_tz::Tz>().map(Self).map_err(|_| {
            format!("unknown time zone {name:?} (expected an IANA name such as \"Asia/Jakarta\")")
        })
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

/// A 5-field cron expression (`minute hour day-of-month month day-of-week`), as
/// tokio-cron-scheduler's parser (croner) reads it, evaluated in a time zone.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct CronSchedule {
    text: String,
    cron: Cron,
}

impl CronSchedule {
    /// Parses a 5-field expression such as `0 9 * * *`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let fields = text.split_whitespace().count();
        if fields != 5 && !text.trim_start().starts_with('@') {
            return Err(format!(
                "bad cron expression {text:?}: expected 5 fields (minute hour day-of-month month day-of-week), found {fields}"
            ));
        }
        let parser = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .build();
        let cron = parser
            .parse(text)
            .map_err(|err| format!("bad cron expression {text:?}: {err}"))?;
        Ok(Self {
            text: text.trim().to_owned(),
            cron,
        })
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed croner schedule.
    pub fn cron(&self) -> &Cron {
        &self.cron
    }

    /// The first firing strictly after `after`, in `zone`'s local time.
    pub fn next_after(&self, after: DateTime<Utc>, zone: TimeZone) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(&zone.0);
        self.cron
            .find_next_occurrence(&local, false)
            .ok()
            .map(|next| whole_second(Utc.from_utc_datetime(&next.naive_utc())))
    }

    /// The last firing at or before `at`, in `zone`'s local time.
    pub fn latest_at_or_before(&self, at: DateTime<Utc>, zone: TimeZone) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&zone.0);
        self.cron
            .find_previous_occurrence(&local, true)
            .ok()
            .map(|previous| whole_second(Utc.from_utc_datetime(&previous.naive_utc())))
    }
}

/// Firings are whole seconds (croner keeps the sub-second part of its starting point),
/// so replicas computing the same tick from different instants agree on it.
fn whole_second(at: DateTime<Utc>) -> DateTime<Utc> {
    at.with_nanosecond(0).unwrap_or(at)
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CronSchedule").field(&self.text).finish()
    }
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for CronSchedule {}

impl TryFrom<String> for CronSchedule {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// An instant written in RFC 3339 (`2026-11-22T09:00:00Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Rfc3339(pub DateTime<Utc>);

impl TryFrom<String> for Rfc3339 {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        DateTime::parse_from_rfc3339(text.trim())
            .map(|at| Self(at.to_utc()))
            .map_err(|error| {
                format!("{text:?} is not an RFC 3339 time ({error}), e.g. \"2026-11-22T09:00:00Z\"")
            })
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl TryFrom<String> for LogFormat {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(format!(
                "unknown log format {value:?}: expected \"text\" or \"json\""
            )),
        }
    }
}

/// A long-running tgfleet process, for its `/health` and `/metrics` port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    /// `tgfleet run --all`: every service in one process.
    All,
    /// The join slots.
    AccountManager,
    /// Posting.
    Marketer,
    /// Keep-alive cycles.
    Activity,
    /// The daily audit.
    GroupReviewer,
}

impl Service {
    /// The service's name as binaries, logs, lease holders and metrics show it.
    pub fn name(self) -> &'static str {
        match self {
            Self::All => "tgfleet",
            Self::AccountManager => "account-manager",
            Self::Marketer => "marketer",
            Self::Activity => "activity",
            Self::GroupReviewer => "group-reviewer",
        }
    }

    /// The offset of the service's port from `telemetry.health_base_port`.
    pub fn port_offset(self) -> u16 {
        match self {
            Self::All => 0,
            Self::AccountManager => 1,
            Self::Marketer => 2,
            Self::Activity => 3,
            Self::GroupReviewer => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_needs_exactly_five_valid_fields() {
        assert!(CronSchedule::parse("0 9 * * *").is_ok());
        assert!(CronSchedule::parse("0 9,15 * * 1-5").is_ok());
        let six = CronSchedule::parse("0 0 9 * * *").unwrap_err();
        assert!(six.contains("expected 5 fields"), "{six}");
        let bad_hour = CronSchedule::parse("0 25 * * *").unwrap_err();
        assert!(bad_hour.contains("\"0 25 * * *\""), "{bad_hour}");
    }

    #[test]
    fn next_slot_is_computed_in_the_time_zone() {
        let slot = CronSchedule::parse("0 9 * * *").unwrap();
        let jakarta = TimeZone::try_from("Asia/Jakarta".to_owned()).unwrap();
        // 2026-01-10 01:00 UTC is 08:00 in Jakarta (UTC+7): the 09:00 slot is 02:00 UTC.
        let after = Utc.with_ymd_and_hms(2026, 1, 10, 1, 0, 0).unwrap();
        let next = slot.next_after(after, jakarta).unwrap();
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 1, 10, 2, 0, 0).unwrap());
        let again = slot.next_after(next, jakarta).unwrap();
        assert_eq!(again, Utc.with_ymd_and_hms(2026, 1, 11, 2, 0, 0).unwrap());
        assert_eq!(slot.latest_at_or_before(again, jakarta), Some(again));
    }
}
