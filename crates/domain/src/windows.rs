//! Activity windows: the local hours in which an account may act, written as
//! `5-10,18-24` (from 05:00 to 10:00 and from 18:00 to midnight).
//!
//! Each range is `START-END` in whole hours, `0 <= START <= 23`, `1 <= END <= 24`,
//! end exclusive. A range whose end is before its start wraps past midnight
//! (`22-2` is 22:00 to 02:00).

use chrono::{NaiveTime, Timelike};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One `START-END` range of local hours, end exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HourRange {
    /// First hour inside the window (0-23).
    pub start: u8,
    /// First hour after the window (1-24).
    pub end: u8,
}

impl HourRange {
    /// Whether `minute_of_day` (0-1439) falls inside the range.
    fn contains_minute(self, minute_of_day: u32) -> bool {
        let start = u32::from(self.start) * 60;
        let end = u32::from(self.end) * 60;
        if start < end {
            (start..end).contains(&minute_of_day)
        } else {
            minute_of_day >= start || minute_of_day < end
        }
    }
}

/// A set of local-hour ranges such as `5-10,18-24`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ActivityWindows {
    ranges: Vec<HourRange>,
}

/// Why a windows string could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WindowsError {
    /// Nothing but blanks and commas.
    #[error("no window given; expected ranges of hours such as \"5-10,18-24\"")]
    Empty,
    /// A piece was not `START-END`.
    #[error("{0:?} is not a range of hours START-END such as \"5-10\"")]
    NotARange(String),
    /// An hour outside the clock, or an empty range.
    #[error("{0:?}: hours must be 0-23 for the start and 1-24 for the end, and differ")]
    BadHours(String),
}

impl ActivityWindows {
    /// Windows covering the whole day (`0-24`).
    pub fn always() -> Self {
        Self {
            ranges: vec![HourRange { start: 0, end: 24 }],
        }
    }

    /// Parses `5-10,18-24`.
    pub fn parse(input: &str) -> Result<Self, WindowsError> {
        let ranges = input
            .split(',')
            .map(str::trim)
            .filter(|piece| !piece.is_empty())
            .map(parse_range)
            .collect::<Result<Vec<_>, _>>()?;
        if ranges.is_empty() {
            return Err(WindowsError::Empty);
        }
        Ok(Self { ranges })
    }

    /// The ranges, in the order written.
    pub fn ranges(&self) -> &[HourRange] {
        &self.ranges
    }

    /// Whether a local time of day falls inside one of the windows.
    pub fn contains(&self, local_time: NaiveTime) -> bool {
        self.contains_hour_minute(local_time.hour(), local_time.minute())
    }

    /// Whether the local `hour:minute` falls inside one of the windows.
    /// Hours past 23 or minutes past 59 are never inside.
    pub fn contains_hour_minute(&self, hour: u32, minute: u32) -> bool {
        if hour > 23 || minute > 59 {
            return false;
        }
        let minute_of_day = hour * 60 + minute;
        self.ranges
            .iter()
            .any(|range| range.contains_minute(minute_of_day))
    }

    /// Minutes from `local_time` until the next window opens: 0 when inside one.
    /// Windows never open only if there are none, which parsing rules out.
    pub fn minutes_until_open(&self, local_time: NaiveTime) -> u32 {
        let now = local_time.hour() * 60 + local_time.minute();
        (0..24 * 60)
            .find(|offset| {
                let minute_of_day = (now + offset) % (24 * 60);
                self.ranges
                    .iter()
                    .any(|range| range.contains_minute(minute_of_day))
            })
            .unwrap_or(0)
    }
}

fn parse_range(piece: &str) -> Result<HourRange, WindowsError> {
    let (start, end) = piece
        .split_once('-')
        .ok_or_else(|| WindowsError::NotARange(piece.to_owned()))?;
    let parse_hour = |text: &str| {
        text.trim()
            .parse::<u8>()
            .map_err(|_| WindowsError::NotARange(piece.to_owned()))
    };
    let (start, end) = (parse_hour(start)?, parse_hour(end)?);
    if start > 23 || end == 0 || end > 24 || start == end {
        return Err(WindowsError::BadHours(piece.to_owned()));
    }
    Ok(HourRange { start, end })
}

impl fmt::Display for ActivityWindows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, range) in self.ranges.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}-{}", range.start, range.end)?;
        }
        Ok(())
    }
}

impl FromStr for ActivityWindows {
    type Err = WindowsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ActivityWindows {
    type Error = WindowsError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ActivityWindows> for String {
    fn from(windows: ActivityWindows) -> Self {
        windows.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(hour: u32, minute: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(hour, minute, 0).unwrap()
    }

    #[test]
    fn seed_windows_cover_morning_and_evening() {
        let windows = ActivityWindows::parse("5-10,18-24").unwrap();
        assert!(!windows.contains(at(4, 59)));
        assert!(windows.contains(at(5, 0)));
        assert!(windows.contains(at(9, 59)));
        assert!(!windows.contains(at(10, 0)));
        assert!(!windows.contains(at(17, 59)));
        assert!(windows.contains(at(18, 0)));
        assert!(windows.contains(at(23, 59)));
        assert!(!windows.contains(at(0, 0)));
        assert_eq!(windows.to_string(), "5-10,18-24");
    }

    #[test]
    fn a_range_can_wrap_past_midnight() {
        let windows = ActivityWindows::parse("22-2").unwrap();
        assert!(windows.contains(at(23, 0)));
        assert!(windows.contains(at(1, 59)));
        assert!(!windows.contains(at(2, 0)));
        assert!(!windows.contains(at(21, 59)));
    }

    #[test]
    fn minutes_until_open_counts_to_the_next_window() {
        let windows = ActivityWindows::parse("5-10,18-24").unwrap();
        assert_eq!(windows.minutes_until_open(at(6, 0)), 0);
        assert_eq!(windows.minutes_until_open(at(10, 0)), 8 * 60);
        assert_eq!(windows.minutes_until_open(at(0, 30)), 4 * 60 + 30);
    }

    #[test]
    fn bad_windows_name_the_piece() {
        assert_eq!(ActivityWindows::parse(" , "), Err(WindowsError::Empty));
        assert_eq!(
            ActivityWindows::parse("5-10,evening"),
            Err(WindowsError::NotARange("evening".into()))
        );
        assert_eq!(
            ActivityWindows::parse("5-25"),
            Err(WindowsError::BadHours("5-25".into()))
        );
        assert_eq!(
            ActivityWindows::parse("7-7"),
            Err(WindowsError::BadHours("7-7".into()))
        );
        assert_eq!(
            ActivityWindows::parse("24-3"),
            Err(WindowsError::BadHours("24-3".into()))
        );
    }

    proptest! {
        #[test]
        fn a_single_range_contains_exactly_its_hours(start in 0u8..24, end in 1u8..=24, hour in 0u32..24, minute in 0u32..60) {
            prop_assume!(start != end);
            let windows = ActivityWindows::parse(&format!("{start}-{end}")).unwrap();
            let (start, end) = (u32::from(start), u32::from(end));
            let expected = if start < end {
                start <= hour && hour < end
            } else {
                hour >= start || hour < end
            };
            prop_assert_eq!(windows.contains_hour_minute(hour, minute), expected);
        }
    }
}
