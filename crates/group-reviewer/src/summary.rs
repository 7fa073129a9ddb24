//! The review's summary, printed by the binary and logged by the schedule.

use chrono::{DateTime, Utc};
use std::fmt;
use tgfleet_domain::ReviewVerdict;
use tgfleet_store::{RecordedReview, ReviewRunId, ReviewTotals};

/// Why an account's groups were not all checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PassedOver {
    /// Left for the next run.
    Deferred(DeferReason),
    /// The account is not usable; the groups wait until it is.
    Skipped(String),
}

impl fmt::Display for PassedOver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Deferred(reason) => write!(f, "deferred: {reason}"),
            Self::Skipped(reason) => write!(f, "skipped: account {reason}"),
        }
    }
}

/// Why groups were left for the next run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeferReason {
    /// A FloodWait longer than the short threshold.
    FloodWait {
        /// When the account may make requests again.
        until: DateTime<Utc>,
    },
    /// Another service kept the account's lease through every retry.
    Busy,
    /// The account could not connect through every retry.
    Unreachable(String),
    /// The process is shutting down.
    Shutdown,
}

impl fmt::Display for DeferReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FloodWait { until } => write!(f, "FloodWait until {until}"),
            Self::Busy => f.write_str("the account stayed busy with another service"),
            Self::Unreachable(error) => write!(f, "the account could not connect: {error}"),
            Self::Shutdown => f.write_str("shutdown"),
        }
    }
}

/// Groups of one account that this run did not check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountNote {
    /// The account's label.
    pub account: String,
    /// How many of its groups.
    pub groups: u32,
    /// Why.
    pub why: PassedOver,
}

/// What a review found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReviewSummary {
    /// The run's id in `review_runs`.
    pub run: Option<ReviewRunId>,
    /// The totals stored with the run.
    pub totals: ReviewTotals,
    /// Checked groups where the account is not a member.
    pub not_members: u32,
    /// Times an account was busy (held by another service) and retried later.
    pub busy_retries: u32,
    /// FloodWaits met (short ones were waited out outside the lease).
    pub flood_waits: u32,
    /// Accounts whose groups were deferred or skipped.
    pub notes: Vec<AccountNote>,
}

impl ReviewSummary {
    /// Counts one recorded finding.
    pub fn count(&mut self, verdict: Option<ReviewVerdict>, recorded: &RecordedReview) {
        let Some(verdict) = verdict else {
            self.totals.errors += 1;
            return;
        };
        let totals = &mut self.totals;
        totals.checked += 1;
        totals.members += u32::from(verdict.is_member());
        self.not_members += u32::from(verdict == ReviewVerdict::NotMember);
        totals.can_post += u32::from(recorded.can_post);
        totals.marked_banned +=
            u32::from(recorded.status_after == tgfleet_domain::GroupStatus::Banned);
        totals.marked_inaccessible +=
            u32::from(recorded.status_after == tgfleet_domain::GroupStatus::Inaccessible);
    }

    /// Notes groups of `account` that this run passes over.
    pub fn pass_over(&mut self, account: &str, groups: u32, why: PassedOver) {
        if groups == 0 {
            return;
        }
        match why {
            PassedOver::Deferred(_) => self.totals.deferred += groups,
            PassedOver::Skipped(_) => self.totals.skipped += groups,
        }
        self.notes.push(AccountNote {
            account: account.to_owned(),
            groups,
            why,
        });
    }

    /// Adds another account's summary to this one.
    pub fn merge(&mut self, other: Self) {
        let (mine, theirs) = (&mut self.totals, other.totals);
        mine.checked += theirs.checked;
        mine.members += theirs.members;
        mine.can_post += theirs.can_post;
        mine.marked_banned += theirs.marked_banned;
        mine.marked_inaccessible += theirs.marked_inaccessible;
        mine.errors += theirs.errors;
        mine.deferred += theirs.deferred;
        mine.skipped += theirs.skipped;
        self.not_members += other.not_members;
        self.busy_retries += other.busy_retries;
        self.flood_waits += other.flood_waits;
        self.notes.extend(other.notes);
    }

    /// The summary's lines, as printed (the five lines operators grep first).
    pub fn lines(&self) -> Vec<String> {
        let t = &self.totals;
        let mut lines = vec![
            format!("Checked groups: {}", t.checked),
            format!("members: {}", t.members),
            format!("can post: {}", t.can_post),
            format!("marked banned: {}", t.marked_banned),
            format!("marked inaccessible: {}", t.marked_inaccessible),
        ];
        if t.errors > 0 {
            lines.push(format!(
                "check failed: {} (left unchanged; see review_findings)",
                t.errors
            ));
        }
        for note in &self.notes {
            lines.push(match &note.why {
                PassedOver::Deferred(reason) => format!(
                    "deferred to the next run: {} groups of {} ({reason})",
                    note.groups, note.account
                ),
                PassedOver::Skipped(reason) => format!(
                    "skipped: {} groups of {} (account {reason})",
                    note.groups, note.account
                ),
            });
        }
        lines
    }

    /// Logs the summary lines at info level.
    pub fn log(&self) {
        for line in self.lines() {
            tracing::info!("{line}");
        }
    }
}

impl fmt::Display for ReviewSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in self.lines() {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tgfleet_domain::{CannotPost, GroupStatus};

    fn recorded(status_after: GroupStatus, can_post: bool) -> RecordedReview {
        RecordedReview {
            status_before: GroupStatus::New,
            status_after,
            can_post,
            membership_after: None,
        }
    }

    #[test]
    fn counts_follow_the_recorded_state() {
        let mut summary = ReviewSummary::default();
        summary.count(
            Some(ReviewVerdict::CanPost),
            &recorded(GroupStatus::Active, true),
        );
        summary.count(
            Some(ReviewVerdict::CannotPost(CannotPost::Broadcast)),
            &recorded(GroupStatus::Active, false),
        );
        // A member of a group that stays banned: a member, but no posting.
        summary.count(
            Some(ReviewVerdict::CanPost),
            &recorded(GroupStatus::Banned, false),
        );
        summary.count(
            Some(ReviewVerdict::NotMember),
            &recorded(GroupStatus::Active, false),
        );
        summary.count(
            Some(ReviewVerdict::Inaccessible),
            &recorded(GroupStatus::Inaccessible, false),
        );
        summary.count(None, &recorded(GroupStatus::New, false));
        let mut other = ReviewSummary::default();
        other.count(
            Some(ReviewVerdict::Banned),
            &recorded(GroupStatus::Banned, false),
        );
        other.pass_over(
            "acc0002",
            7,
            PassedOver::Deferred(DeferReason::FloodWait {
                until: DateTime::parse_from_rfc3339("2026-01-10T04:00:00Z")
                    .unwrap()
                    .to_utc(),
            }),
        );
        other.pass_over("acc0003", 4, PassedOver::Skipped("suspended".into()));
        other.pass_over("acc0004", 0, PassedOver::Skipped("suspended".into()));
        summary.merge(other);

        assert_eq!(
            summary.totals,
            ReviewTotals {
                checked: 6,
                members: 3,
                can_post: 1,
                marked_banned: 2,
                marked_inaccessible: 1,
                errors: 1,
                deferred: 7,
                skipped: 4,
            }
        );
        assert_eq!(summary.not_members, 1);
        assert_eq!(
            summary.to_string(),
            "Checked groups: 6\n\
             members: 3\n\
             can post: 1\n\
             marked banned: 2\n\
             marked inaccessible: 1\n\
             check failed: 1 (left unchanged; see review_findings)\n\
             deferred to the next run: 7 groups of acc0002 (FloodWait until 2026-01-10 04:00:00 UTC)\n\
             skipped: 4 groups of acc0003 (account suspended)\n"
        );
    }
}
