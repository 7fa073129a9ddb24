//! The activity service's rules: when an account's next keep-alive cycle runs
//! (a random gap, only inside the activity windows of the account's time zone),
//! which local day a reaction counts against, and how many reactions are left.

use crate::ActivityWindows;
use crate::clock::to_delta;
use chrono::{DateTime, LocalResult, NaiveTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use rand::{Rng, RngExt};
use std::time::Duration;

/// The longest spread added after a window opens, so that accounts waiting for
/// the same window do not all start in the same minute.
pub const MAX_OPENING_SPREAD: Duration = Duration::from_secs(30 * 60);

/// A random gap between two cycles, uniform in `[min, max]` (whole seconds).
/// `max` below `min` is treated as `min`.
pub fn cycle_gap<R: Rng + ?Sized>(rng: &mut R, min: Duration, max: Duration) -> Duration {
    let (min, max) = (min.as_secs(), max.as_secs().max(min.as_secs()));
    Duration::from_secs(rng.random_range(min..=max))
}

/// A random spread after a window opens: uniform in `[0, min(gap_min, 30 min)]`.
pub fn opening_spread<R: Rng + ?Sized>(rng: &mut R, gap_min: Duration) -> Duration {
    cycle_gap(rng, Duration::ZERO, gap_min.min(MAX_OPENING_SPREAD))
}

/// Whether `at` falls inside `windows` in `zone`.
pub fn inside_windows(at: DateTime<Utc>, zone: Tz, windows: &ActivityWindows) -> bool {
    windows.contains(at.with_timezone(&zone).time())
}

/// The first instant at or after `at` that lies inside `windows` in `zone`
/// (`at` itself when it is inside). Correct across DST changes: a window that
/// opens in a skipped local hour opens at the first local minute that exists.
pub fn next_window_start(at: DateTime<Utc>, zone: Tz, windows: &ActivityWindows) -> DateTime<Utc> {
    let mut candidate = at;
    // Each step lands on the start of a local minute that the windows contain,
    // unless a DST change moved the wall clock; two steps settle any change.
    for _ in 0..4 {
        if inside_windows(candidate, zone, windows) {
            return candidate;
        }
        let local = candidate.with_timezone(&zone);
        let minutes = windows.minutes_until_open(local.time());
        let minute_start = candidate
            - TimeDelta::seconds(i64::from(local.second()))
            - TimeDelta::nanoseconds(i64::from(local.nanosecond()));
        candidate = minute_start + TimeDelta::minutes(i64::from(minutes.max(1)));
    }
    candidate
}

/// When the next cycle runs: `gap` after `now`, moved to the next window opening
/// (plus `spread`, if that is still inside the window) when it falls outside.
pub fn next_cycle_at(
    now: DateTime<Utc>,
    gap: Duration,
    spread: Duration,
    zone: Tz,
    windows: &ActivityWindows,
) -> DateTime<Utc> {
    let candidate = now + to_delta(gap);
    if inside_windows(candidate, zone, windows) {
        return candidate;
    }
    let opening = next_window_start(candidate, zone, windows);
    let spread_out = opening + to_delta(spread);
    let still_open = (0..=spread.as_secs() / 60)
        .all(|minute| inside_windows(opening + TimeDelta::minutes(minute as i64), zone, windows));
    if still_open { spread_out } else { opening }
}

/// The start of the local calendar day that contains `at`, in UTC (the first
/// instant of that day when midnight does not exist because of DST).
pub fn local_day_start(at: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
    let date = at.with_timezone(&zone).date_naive();
    let mut time = NaiveTime::MIN;
    for _ in 0..24 * 4 {
        match zone.from_local_datetime(&date.and_time(time)) {
            LocalResult::Single(start) => return start.with_timezone(&Utc),
            LocalResult::Ambiguous(earliest, _) => return earliest.with_timezone(&Utc),
            LocalResult::None => time += TimeDelta::minutes(15),
        }
    }
    at
}

/// Reactions an account may still make today: none when reactions are off,
/// otherwise what is left of the daily cap.
pub fn reactions_left(enabled: bool, per_day: u32, made_today: u32) -> u32 {
    if enabled {
        per_day.saturating_sub(made_today)
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn seed_windows() -> ActivityWindows {
        ActivityWindows::parse("5-10,18-24").unwrap()
    }

    const JAKARTA: Tz = chrono_tz::Asia::Jakarta;
    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    #[test]
    fn windows_are_read_in_the_account_zone() {
        // 23:30 UTC is 06:30 in Jakarta (inside) and 00:30 in Berlin in winter (outside).
        let at = utc("2026-01-10T23:30:00Z");
        assert!(inside_windows(at, JAKARTA, &seed_windows()));
        assert!(!inside_windows(at, BERLIN, &seed_windows()));
    }

    #[test]
    fn the_next_window_start_is_the_opening_in_local_time() {
        // 10:00 Jakarta (03:00 UTC): the next window opens at 18:00 Jakarta (11:00 UTC).
        assert_eq!(
            next_window_start(utc("2026-01-10T03:00:00Z"), JAKARTA, &seed_windows()),
            utc("2026-01-10T11:00:00Z")
        );
        // Seconds into a minute do not shift the opening.
        assert_eq!(
            next_window_start(utc("2026-01-10T03:17:42Z"), JAKARTA, &seed_windows()),
            utc("2026-01-10T11:00:00Z")
        );
        // Inside: unchanged.
        let inside = utc("2026-01-10T00:12:34Z");
        assert_eq!(next_window_start(inside, JAKARTA, &seed_windows()), inside);
    }

    #[test]
    fn a_window_opening_in_a_skipped_hour_opens_when_the_clock_resumes() {
        // Berlin skips 02:00-03:00 on 2026-03-29. A "2-4" window opens at 03:00 CEST (01:00 UTC).
        let windows = ActivityWindows::parse("2-4").unwrap();
        let start = next_window_start(utc("2026-03-28T23:00:00Z"), BERLIN, &windows);
        assert_eq!(start, utc("2026-03-29T01:00:00Z"));
        assert!(inside_windows(start, BERLIN, &windows));
    }

    #[test]
    fn next_cycles_keep_the_gap_and_the_windows() {
        // (now, gap, spread, windows, expected): Jakarta is UTC+7.
        let cases = [
            // 06:00 + 1 h is still inside the morning window.
            (
                "2026-01-10T23:00:00Z",
                3600,
                600,
                "5-10,18-24",
                "2026-01-11T00:00:00Z",
            ),
            // 09:30 + 1 h is past it: the evening window opens at 18:00, plus the spread.
            (
                "2026-01-11T02:30:00Z",
                3600,
                600,
                "5-10,18-24",
                "2026-01-11T11:10:00Z",
            ),
            // A spread longer than the window is dropped: 06:00 the next day.
            (
                "2026-01-11T00:30:00Z",
                60,
                7200,
                "6-7",
                "2026-01-11T23:00:00Z",
            ),
        ];
        for (now, gap, spread, windows, expected) in cases {
            let next = next_cycle_at(
                utc(now),
                Duration::from_secs(gap),
                Duration::from_secs(spread),
                JAKARTA,
                &ActivityWindows::parse(windows).unwrap(),
            );
            assert_eq!(next, utc(expected), "{now} + {gap}s in {windows}");
        }
    }

    #[test]
    fn local_days_start_at_local_midnight() {
        assert_eq!(
            local_day_start(utc("2026-01-10T20:00:00Z"), JAKARTA),
            utc("2026-01-10T17:00:00Z")
        );
        assert_eq!(
            local_day_start(utc("2026-01-10T16:59:59Z"), JAKARTA),
            utc("2026-01-09T17:00:00Z")
        );
        // Havana skips midnight on its spring DST day (2026-03-08): the day starts at 01:00 CDT.
        let havana = chrono_tz::America::Havana;
        assert_eq!(
            local_day_start(utc("2026-03-08T12:00:00Z"), havana),
            utc("2026-03-08T05:00:00Z")
        );
    }

    #[test]
    fn reactions_are_off_by_default_and_capped() {
        assert_eq!(reactions_left(false, 3, 0), 0);
        assert_eq!(reactions_left(true, 3, 0), 3);
        assert_eq!(reactions_left(true, 3, 2), 1);
        assert_eq!(reactions_left(true, 3, 5), 0);
    }

    #[test]
    fn gaps_stay_in_their_range() {
        let mut rng = StdRng::seed_from_u64(7);
        let (min, max) = (Duration::from_secs(1800), Duration::from_secs(5400));
        let gaps: Vec<Duration> = (0..500).map(|_| cycle_gap(&mut rng, min, max)).collect();
        assert!(gaps.iter().all(|gap| (min..=max).contains(gap)));
        assert!(gaps.iter().any(|gap| *gap < Duration::from_secs(2400)));
        assert!(gaps.iter().any(|gap| *gap > Duration::from_secs(4800)));
        assert_eq!(
            cycle_gap(&mut rng, max, min),
            max,
            "an inverted range collapses to its minimum"
        );
        let spread = opening_spread(&mut rng, Duration::from_secs(4 * 3600));
        assert!(spread <= MAX_OPENING_SPREAD);
    }

    fn zones() -> impl Strategy<Value = Tz> {
        prop_oneof![
            Just(JAKARTA),
            Just(BERLIN),
            Just(chrono_tz::America::New_York),
            Just(chrono_tz::Australia::Lord_Howe),
            Just(chrono_tz::UTC),
        ]
    }

    fn windows_strategy() -> impl Strategy<Value = ActivityWindows> {
        prop::collection::vec((0u8..24, 1u8..=24), 1..4).prop_filter_map(
            "ranges must not be empty",
            |ranges| {
                let text: Vec<String> = ranges
                    .iter()
                    .filter(|(start, end)| start != end)
                    .map(|(start, end)| format!("{start}-{end}"))
                    .collect();
                ActivityWindows::parse(&text.join(",")).ok()
            },
        )
    }

    proptest! {
        #[test]
        fn the_next_cycle_is_inside_a_window_and_not_before_the_gap(
            start_secs in 1_767_225_600i64..1_830_297_600,
            gap_secs in 0u64..20_000,
            spread_secs in 0u64..1_800,
            zone in zones(),
            windows in windows_strategy(),
        ) {
            let now = DateTime::from_timestamp(start_secs, 0).unwrap();
            let gap = Duration::from_secs(gap_secs);
            let next = next_cycle_at(now, gap, Duration::from_secs(spread_secs), zone, &windows);
            prop_assert!(inside_windows(next, zone, &windows), "{next} in {zone} for {windows}");
            prop_assert!(next >= now + to_delta(gap));
            prop_assert!(next <= now + to_delta(gap) + TimeDelta::hours(26));
        }

        #[test]
        fn a_local_day_starts_within_a_day_before(
            secs in 1_767_225_600i64..1_830_297_600,
            zone in zones(),
        ) {
            let at = DateTime::from_timestamp(secs, 0).unwrap();
            let start = local_day_start(at, zone);
            prop_assert!(start <= at);
            prop_assert!(at - start < TimeDelta::hours(25));
            prop_assert_eq!(start.with_timezone(&zone).date_naive(), at.with_timezone(&zone).date_naive());
        }
    }
}
