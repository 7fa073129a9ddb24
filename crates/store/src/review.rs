//! group-reviewer's queries: which groups to review through which account, the
//! fenced write of one finding (group, membership and history in one
//! transaction), and the run totals. History rows are only ever inserted.

use crate::error::decode_status;
use crate::{Lease, Store, StoreError, StoredPeer, check_lease};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use tgfleet_domain::{
    AccountId, GroupHandle, GroupId, GroupStatus, MembershipState, ReviewVerdict,
};

/// One group to review and the account to review it through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewTarget {
    /// The group.
    pub group_id: GroupId,
    /// Its handle.
    pub handle: GroupHandle,
    /// Its catalogue status before the review.
    pub status: GroupStatus,
    /// The account that reviews it: the group's responsible account, or else the
    /// account of its best membership (joined first, then the oldest).
    pub account_id: AccountId,
    /// That account's label.
    pub account_label: String,
    /// That account's membership state, if it has a membership row.
    pub membership: Option<MembershipState>,
    /// The peer stored for that account, if it was resolved before.
    pub peer: Option<StoredPeer>,
    /// The previous review.
    pub last_reviewed_at: Option<DateTime<Utc>>,
}

/// A review run's id (`review_runs.id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReviewRunId(pub i64);

/// What the chat looked like, to fill in the catalogue (kept when `None`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CatalogueFacts {
    /// `supergroup`, `channel`, `gigagroup` or `basic_group`.
    pub kind: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// Telegram's id of the chat.
    pub telegram_id: Option<i64>,
}

/// One finding to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewFinding {
    /// The run it belongs to.
    pub run: ReviewRunId,
    /// The group.
    pub group_id: GroupId,
    /// The account that looked.
    pub account_id: AccountId,
    /// When (the caller's clock).
    pub at: DateTime<Utc>,
    /// What it saw; `None` when the check failed (the group and membership are
    /// left unchanged, the failure goes to the history as `error`).
    pub verdict: Option<ReviewVerdict>,
    /// A peer resolved during this review, stored if the membership has none.
    pub peer: Option<StoredPeer>,
    /// Catalogue facts learnt on the way.
    pub chat: CatalogueFacts,
    /// The group's slow-mode interval, for members.
    pub slow_mode_secs: Option<u32>,
    /// When slow mode lets this account send next, for members.
    pub next_send_at: Option<DateTime<Utc>>,
    /// The Telegram error behind the verdict or the failure, if any (never a secret).
    pub detail: Option<String>,
}

/// What [`Store::record_review_finding`] changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordedReview {
    /// The group's status before.
    pub status_before: GroupStatus,
    /// The group's status after.
    pub status_after: GroupStatus,
    /// `can_post` after.
    pub can_post: bool,
    /// The membership's state after, if the account has a membership row.
    pub membership_after: Option<MembershipState>,
}

/// A run's totals, written when it ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReviewTotals {
    /// Groups with a verdict.
    pub checked: u32,
    /// Of those, where the account is a member.
    pub members: u32,
    /// Of those, groups that can be posted to afterwards.
    pub can_post: u32,
    /// Of those, groups marked banned afterwards.
    pub marked_banned: u32,
    /// Of those, groups marked inaccessible afterwards.
    pub marked_inaccessible: u32,
    /// Checks that failed (recorded as `error`).
    pub errors: u32,
    /// Groups left for the next run.
    pub deferred: u32,
    /// Groups whose account is not usable.
    pub skipped: u32,
}

/// A run as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewRun {
    /// The run.
    pub id: ReviewRunId,
    /// Which replica ran it.
    pub holder: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended (`None`: running, or interrupted).
    pub finished_at: Option<DateTime<Utc>>,
    /// The totals, once it ended.
    pub totals: Option<ReviewTotals>,
}

/// One history row of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewHistoryEntry {
    /// The run.
    pub run: ReviewRunId,
    /// The account that looked.
    pub account_id: AccountId,
    /// When.
    pub reviewed_at: DateTime<Utc>,
    /// `can_post`, `cannot_post`, `not_member`, `banned`, `inaccessible` or `error`.
    pub finding: String,
    /// The status before.
    pub status_before: GroupStatus,
    /// The status after.
    pub status_after: GroupStatus,
    /// `can_post` after.
    pub can_post: bool,
    /// The Telegram error or reason, if any.
    pub detail: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TargetRow {
    group_id: i64,
    handle: String,
    status: String,
    last_reviewed_at: Option<DateTime<Utc>>,
    account_id: i64,
    account_label: String,
    state: Option<String>,
    peer_id: Option<i64>,
    access_hash: Option<i64>,
    peer_kind: Option<String>,
}

impl TryFrom<TargetRow> for ReviewTarget {
    type Error = StoreError;

    fn try_from(row: TargetRow) -> Result<Self, StoreError> {
        let handle = GroupHandle::parse(&row.handle)
            .map_err(|err| StoreError::invalid("groups.handle", err.to_string()))?;
        let peer = match (row.peer_id, row.access_hash) {
            (Some(id), Some(access_hash)) => Some(StoredPeer {
                id,
                access_hash,
                kind: row.peer_kind.unwrap_or_else(|| "channel".to_owned()),
            }),
            _ => None,
        };
        Ok(Self {
            group_id: GroupId(row.group_id),
            handle,
            status: decode_status("groups.status", &row.status)?,
            account_id: AccountId(row.account_id),
            account_label: row.account_label,
            membership: row
                .state
                .as_deref()
                .map(|state| decode_status("memberships.state", state))
                .transpose()?,
            peer,
            last_reviewed_at: row.last_reviewed_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RunRow {
    holder: String,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    checked: Option<i32>,
    members: Option<i32>,
    can_post: Option<i32>,
    marked_banned: Option<i32>,
    marked_inaccessible: Option<i32>,
    errors: Option<i32>,
    deferred: Option<i32>,
    skipped: Option<i32>,
}

impl RunRow {
    pub(crate) fn into_run(self, id: ReviewRunId) -> ReviewRun {
        let count = |value: Option<i32>| value.map(i32::unsigned_abs);
        let totals = self.finished_at.and_then(|_| {
            Some(ReviewTotals {
                checked: count(self.checked)?,
                members: count(self.members)?,
                can_post: count(self.can_post)?,
                marked_banned: count(self.marked_banned)?,
                marked_inaccessible: count(self.marked_inaccessible)?,
                errors: count(self.errors)?,
                deferred: count(self.deferred)?,
                skipped: count(self.skipped)?,
            })
        });
        ReviewRun {
            id,
            holder: self.holder,
            started_at: self.started_at,
            finished_at: self.finished_at,
            totals,
        }
    }
}

#[derive(sqlx::FromRow)]
struct HistoryRow {
    run_id: i64,
    account_id: i64,
    reviewed_at: DateTime<Utc>,
    finding: String,
    status_before: String,
    status_after: String,
    can_post: bool,
    detail: Option<String>,
}

impl TryFrom<HistoryRow> for ReviewHistoryEntry {
    type Error = StoreError;

    fn try_from(row: HistoryRow) -> Result<Self, StoreError> {
        Ok(Self {
            run: ReviewRunId(row.run_id),
            account_id: AccountId(row.account_id),
            reviewed_at: row.reviewed_at,
            finding: row.finding,
            status_before: decode_status("review_findings.status_before", &row.status_before)?,
            status_after: decode_status("review_findings.status_after", &row.status_after)?,
            can_post: row.can_post,
            detail: row.detail,
        })
    }
}

/// The finding word stored for a failed check.
pub const ERROR_FINDING: &str = "error";

impl Store {
    /// Every group that has at least one membership, with the account to review it
    /// through, ordered by account label, then least recently reviewed first (so
    /// groups deferred by one run come first in the next), then handle.
    ///
    /// Locks: none (a plain read; the findings are fenced when written).
    pub async fn review_targets(&self) -> Result<Vec<ReviewTarget>, StoreError> {
        sqlx::query_as::<_, TargetRow>(
            "SELECT g.id AS group_id, g.handle, g.status, g.last_reviewed_at,
                    a.id AS account_id, a.label AS account_label,
                    m.state, m.peer_id, m.access_hash, m.peer_kind
               FROM groups g
               CROSS JOIN LATERAL (
                    SELECT COALESCE(g.responsible_account_id, (
                        SELECT best.account_id FROM memberships best
                         WHERE best.group_id = g.id
                         ORDER BY (best.state = 'joined') DESC, best.created_at, best.account_id
                         LIMIT 1)) AS account_id
               ) chosen
               JOIN accounts a ON a.id = chosen.account_id
               LEFT JOIN memberships m ON m.group_id = g.id AND m.account_id = chosen.account_id
              WHERE EXISTS (SELECT 1 FROM memberships any_m WHERE any_m.group_id = g.id)
              ORDER BY a.label, g.last_reviewed_at NULLS FIRST, g.handle",
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(ReviewTarget::try_from)
        .collect()
    }

    /// Opens a review run. Takes no lock; `review_runs` rows are never deleted.
    pub async fn start_review_run(
        &self,
        holder: &str,
        now: DateTime<Utc>,
    ) -> Result<ReviewRunId, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO review_runs (holder, started_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(holder)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(ReviewRunId(id))
    }

    /// Writes a run's totals and end time. Fails with [`StoreError::NotFound`] for
    /// an unknown run and [`StoreError::Invalid`] for a run that already ended.
    ///
    /// Locks: a single-row `UPDATE` by primary key guarded by `finished_at IS NULL`.
    pub async fn finish_review_run(
        &self,
        run: ReviewRunId,
        totals: &ReviewTotals,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let updated = sqlx::query(
            "UPDATE review_runs
                SET finished_at = $2, checked = $3, members = $4, can_post = $5,
                    marked_banned = $6, marked_inaccessible = $7, errors = $8,
                    deferred = $9, skipped = $10
              WHERE id = $1 AND finished_at IS NULL",
        )
        .bind(run.0)
        .bind(now)
        .bind(i64::from(totals.checked))
        .bind(i64::from(totals.members))
        .bind(i64::from(totals.can_post))
        .bind(i64::from(totals.marked_banned))
        .bind(i64::from(totals.marked_inaccessible))
        .bind(i64::from(totals.errors))
        .bind(i64::from(totals.deferred))
        .bind(i64::from(totals.skipped))
        .execute(&self.pool)
        .await?
        .rows_affected();
        if updated == 1 {
            return Ok(());
        }
        match self.review_run(run).await? {
            None => Err(StoreError::not_found(format!("review run {}", run.0))),
            Some(_) => Err(StoreError::invalid(
                format!("review run {}", run.0),
                "already finished",
            )),
        }
    }

    /// A run, if it exists. Reads without locking.
    pub async fn review_run(&self, run: ReviewRunId) -> Result<Option<ReviewRun>, StoreError> {
        let row = sqlx::query_as::<_, RunRow>(
            "SELECT holder, started_at, finished_at, checked, members, can_post, marked_banned,
                    marked_inaccessible, errors, deferred, skipped
               FROM review_runs WHERE id = $1",
        )
        .bind(run.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| row.into_run(run)))
    }

    /// Records one finding on behalf of `lease` (the reviewing account's lease), in
    /// one transaction: the group's status, `can_post`, reason and catalogue facts
    /// (from [`ReviewVerdict::group_after`] applied to the status read under lock),
    /// the membership's state, stored peer and slow mode (from
    /// [`ReviewVerdict::membership_after`]), and a `review_findings` history row.
    /// A failed check (`verdict: None`) changes nothing but the history (and stores
    /// a newly resolved peer).
    ///
    /// Locks: the lease row `FOR SHARE` ([`check_lease`]: fails with
    /// [`StoreError::LeaseLost`] if the lease moved on), then in the fleet's lock
    /// order (accounts, memberships, groups) the reviewing account `FOR NO KEY
    /// UPDATE`, its membership row `FOR UPDATE` and the group row `FOR NO KEY UPDATE`,
    /// until commit, so a concurrent status change by another service is either seen
    /// or waits. (Taking the group first, `FOR UPDATE`, deadlocked with slot planning
    /// at 1,000 accounts: planning updates memberships twice in one transaction, and
    /// the second update's foreign-key check takes `KEY SHARE` on their groups.)
    pub async fn record_review_finding(
        &self,
        lease: &Lease,
        finding: &ReviewFinding,
        now: DateTime<Utc>,
    ) -> Result<RecordedReview, StoreError> {
        let mut tx = self.pool.begin().await?;
        check_lease(&mut tx, lease, now).await?;
        sqlx::query("SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE")
            .bind(finding.account_id.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("SELECT 1 FROM memberships WHERE account_id = $1 AND group_id = $2 FOR UPDATE")
            .bind(finding.account_id.0)
            .bind(finding.group_id.0)
            .execute(&mut *tx)
            .await?;
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM groups WHERE id = $1 FOR NO KEY UPDATE")
                .bind(finding.group_id.0)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(status) = status else {
            return Err(StoreError::not_found(format!("group {}", finding.group_id)));
        };
        let status_before: GroupStatus = decode_status("groups.status", &status)?;
        let (status_after, can_post) = match finding.verdict {
            Some(verdict) => {
                let review = verdict.group_after(status_before);
                let reason = review.reason.map(str::to_owned).or_else(|| {
                    (review.status == GroupStatus::Inaccessible)
                        .then(|| finding.detail.clone())
                        .flatten()
                });
                sqlx::query(
                    "UPDATE groups
                        SET status = $2,
                            can_post = $3,
                            status_reason = CASE WHEN $4::text IS NOT NULL THEN $4
                                                 WHEN status = $2 THEN status_reason
                                                 ELSE NULL END,
                            kind = COALESCE($5, kind),
                            title = COALESCE($6, title),
                            telegram_id = COALESCE($7, telegram_id),
                            last_reviewed_at = $8,
                            updated_at = now()
                      WHERE id = $1",
                )
                .bind(finding.group_id.0)
                .bind(review.status.as_str())
                .bind(review.can_post)
                .bind(reason)
                .bind(&finding.chat.kind)
                .bind(&finding.chat.title)
                .bind(finding.chat.telegram_id)
                .bind(finding.at)
                .execute(&mut *tx)
                .await?;
                (review.status, review.can_post)
            }
            None => {
                let can_post: bool =
                    sqlx::query_scalar("SELECT can_post FROM groups WHERE id = $1")
                        .bind(finding.group_id.0)
                        .fetch_one(&mut *tx)
                        .await?;
                (status_before, can_post)
            }
        };
        let membership_after = review_membership(&mut tx, finding).await?;
        sqlx::query(
            "INSERT INTO review_findings (run_id, group_id, account_id, reviewed_at, finding,
                                          status_before, status_after, can_post, slow_mode_secs, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(finding.run.0)
        .bind(finding.group_id.0)
        .bind(finding.account_id.0)
        .bind(finding.at)
        .bind(finding.verdict.map_or(ERROR_FINDING, ReviewVerdict::finding))
        .bind(status_before.as_str())
        .bind(status_after.as_str())
        .bind(can_post)
        .bind(finding.slow_mode_secs.map(i64::from))
        .bind(&finding.detail)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(RecordedReview {
            status_before,
            status_after,
            can_post,
            membership_after,
        })
    }

    /// A group's review history, oldest first. Reads without locking.
    pub async fn review_history(
        &self,
        group: GroupId,
    ) -> Result<Vec<ReviewHistoryEntry>, StoreError> {
        sqlx::query_as::<_, HistoryRow>(
            "SELECT run_id, account_id, reviewed_at, finding, status_before, status_after, can_post, detail
               FROM review_findings WHERE group_id = $1 ORDER BY reviewed_at, id",
        )
        .bind(group.0)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(ReviewHistoryEntry::try_from)
        .collect()
    }
}

/// Updates the reviewing account's membership row (if any) for one finding:
/// state from the verdict, a newly resolved peer, slow mode for members.
async fn review_membership(
    tx: &mut PgConnection,
    finding: &ReviewFinding,
) -> Result<Option<MembershipState>, StoreError> {
    let state: Option<String> = sqlx::query_scalar(
        "SELECT state FROM memberships WHERE account_id = $1 AND group_id = $2 FOR UPDATE",
    )
    .bind(finding.account_id.0)
    .bind(finding.group_id.0)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(state) = state else {
        return Ok(None);
    };
    let before: MembershipState = decode_status("memberships.state", &state)?;
    let after = finding
        .verdict
        .map_or(before, |verdict| verdict.membership_after(before));
    let member = finding.verdict.is_some_and(ReviewVerdict::is_member);
    let peer = finding.peer.as_ref();
    sqlx::query(
        "UPDATE memberships
            SET state = $3,
                peer_id = CASE WHEN peer_id IS NULL THEN $4 ELSE peer_id END,
                access_hash = CASE WHEN peer_id IS NULL THEN $5 ELSE access_hash END,
                peer_kind = CASE WHEN peer_id IS NULL THEN $6 ELSE peer_kind END,
                slow_mode_secs = CASE WHEN $7 THEN $8 ELSE slow_mode_secs END,
                next_send_at = CASE WHEN $7 THEN $9 ELSE next_send_at END,
                joined_at = CASE WHEN $3 = 'joined' AND joined_at IS NULL THEN $10 ELSE joined_at END,
                updated_at = now()
          WHERE account_id = $1 AND group_id = $2",
    )
    .bind(finding.account_id.0)
    .bind(finding.group_id.0)
    .bind(after.as_str())
    .bind(peer.map(|p| p.id))
    .bind(peer.map(|p| p.access_hash))
    .bind(peer.map(|p| p.kind.as_str()))
    .bind(member)
    .bind(finding.slow_mode_secs.map(i64::from))
    .bind(finding.next_send_at)
    .bind(finding.at)
    .execute(&mut *tx)
    .await?;
    Ok(Some(after))
}
