//! Whether an account may work now, and if not, why (for logs and summaries).

use crate::AccountStatus;
use chrono::{DateTime, Utc};

/// `None` when the account may work at `now`: status `active`, or `resting` with
/// its rest over. Otherwise the reason, e.g. `suspended (operator)` or
/// `resting until 2026-01-10 12:00:00 UTC`.
pub fn unavailable_because(
    status: AccountStatus,
    status_reason: Option<&str>,
    rest_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<String> {
    let with_reason = |word: &str| match status_reason {
        Some(reason) if !reason.trim().is_empty() => format!("{word} ({reason})"),
        _ => word.to_owned(),
    };
    match status {
        AccountStatus::Active => None,
        AccountStatus::Resting => match rest_until {
            Some(until) if until <= now => None,
            Some(until) => Some(format!("resting until {until}")),
            None => Some(with_reason("resting")),
        },
        AccountStatus::Suspended
        | AccountStatus::Unauthorized
        | AccountStatus::Deactivated
        | AccountStatus::Frozen => Some(with_reason(status.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn only_active_accounts_and_finished_rests_work() {
        let now = DateTime::parse_from_rfc3339("2026-01-10T12:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            unavailable_because(AccountStatus::Active, None, None, now),
            None
        );
        assert_eq!(
            unavailable_because(
                AccountStatus::Resting,
                Some("FloodWait"),
                Some(now - TimeDelta::seconds(1)),
                now
            ),
            None
        );
        assert_eq!(
            unavailable_because(
                AccountStatus::Resting,
                None,
                Some(now + TimeDelta::hours(1)),
                now
            )
            .as_deref(),
            Some("resting until 2026-01-10 13:00:00 UTC")
        );
        assert_eq!(
            unavailable_because(AccountStatus::Suspended, Some("operator"), None, now).as_deref(),
            Some("suspended (operator)")
        );
        assert_eq!(
            unavailable_because(AccountStatus::Unauthorized, Some(" "), None, now).as_deref(),
            Some("unauthorized")
        );
        assert_eq!(
            unavailable_because(AccountStatus::Deactivated, None, None, now).as_deref(),
            Some("deactivated")
        );
    }
}
