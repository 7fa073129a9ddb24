//! Responsibility for groups: balanced assignment under the membership cap, and
//! the hand-over of pending groups from accounts that can no longer join.

use crate::{Store, StoreError};
use sqlx::PgConnection;
use std::collections::BTreeMap;
use tgfleet_domain::{AccountId, AccountLoad, GroupId, assign_balanced};

/// Serialises assigners fleet-wide (`pg_advisory_xact_lock`), so balance is
/// computed from committed counts. The value spells `tgfljoin`.
pub(super) const ASSIGNMENT_LOCK: i64 = 0x7467_666c_6a6f_696e;

/// What [`Store::assign_groups`] changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssignmentReport {
    /// Pending groups taken from accounts that can no longer join, by account label.
    pub handed_over: BTreeMap<String, u64>,
    /// Groups newly given to each account, by account label.
    pub assigned: BTreeMap<String, u64>,
    /// Open groups still without a responsible account (every account that may
    /// join is at the cap, or there is none).
    pub unassigned: u64,
}

impl AssignmentReport {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.handed_over.is_empty() && self.assigned.is_empty()
    }

    /// Groups assigned in all.
    pub fn assigned_total(&self) -> u64 {
        self.assigned.values().sum()
    }
}

impl Store {
    /// Gives every open group without a responsible account to the active,
    /// joining account with the fewest live memberships, never above `cap` live
    /// memberships per account ([`assign_balanced`]): a `pending` membership is
    /// created and `groups.responsible_account_id` set. First, accounts that can no
    /// longer join (unauthorized, deactivated, joins stopped) hand over their
    /// pending memberships of open groups: rows without any Telegram outcome are
    /// deleted, the others become `failed` (history is kept), and the groups lose
    /// their responsible account so this same call reassigns them.
    ///
    /// Locks, in one transaction and in the fleet's lock order (advisory lock,
    /// accounts, memberships, groups): `pg_advisory_xact_lock` (one assigner or
    /// slot planner at a time, so balance uses committed counts); the candidate
    /// accounts `FOR SHARE` (their status cannot change until commit); the
    /// handed-over memberships and their groups `FOR UPDATE`; the unassigned groups `FOR UPDATE`, re-checked after
    /// any wait, so two replicas never assign a group twice. Relies on the primary
    /// key `memberships (account_id, group_id)`: a `failed` or `left` row of the same
    /// pair becomes `pending` again.
    pub async fn assign_groups(&self, cap: u32) -> Result<AssignmentReport, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ASSIGNMENT_LOCK)
            .execute(&mut *tx)
            .await?;
        let accounts: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT a.id, a.label,
                    (SELECT count(*) FROM memberships m
                      WHERE m.account_id = a.id AND m.state IN ('pending', 'joined', 'join_requested'))
               FROM accounts a
              WHERE a.status = 'active' AND a.joins_stopped_reason IS NULL
              ORDER BY a.id
                FOR SHARE OF a",
        )
        .fetch_all(&mut *tx)
        .await?;
        let handed_over = hand_over_pending(&mut tx).await?;
        let groups: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM groups
              WHERE responsible_account_id IS NULL AND status IN ('new', 'active')
              ORDER BY id
                FOR UPDATE",
        )
        .fetch_all(&mut *tx)
        .await?;
        let loads: Vec<AccountLoad> = accounts
            .iter()
            .map(|(id, _, live)| AccountLoad {
                account: AccountId(*id),
                live: u32::try_from(*live).unwrap_or(u32::MAX),
            })
            .collect();
        let group_ids: Vec<GroupId> = groups.into_iter().map(GroupId).collect();
        let plan = assign_balanced(&loads, &group_ids, cap);
        let (plan_groups, plan_accounts): (Vec<i64>, Vec<i64>) = plan
            .iter()
            .map(|(group, account)| (group.0, account.0))
            .unzip();
        if !plan.is_empty() {
            sqlx::query(
                "INSERT INTO memberships (account_id, group_id)
                 SELECT account_id, group_id FROM unnest($1::bigint[], $2::bigint[]) AS t(group_id, account_id)
                 ON CONFLICT (account_id, group_id) DO UPDATE
                    SET state = 'pending', planned_tick = NULL, planned_seq = NULL,
                        join_started_at = NULL, join_transient_failures = 0, updated_at = now()
                  WHERE memberships.state IN ('failed', 'left')",
            )
            .bind(&plan_groups)
            .bind(&plan_accounts)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE groups g SET responsible_account_id = t.account_id, updated_at = now()
                   FROM unnest($1::bigint[], $2::bigint[]) AS t(group_id, account_id)
                  WHERE g.id = t.group_id",
            )
            .bind(&plan_groups)
            .bind(&plan_accounts)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let labels: BTreeMap<i64, &str> = accounts
            .iter()
            .map(|(id, label, _)| (*id, label.as_str()))
            .collect();
        let mut assigned = BTreeMap::new();
        for account in &plan_accounts {
            let label = labels.get(account).copied().unwrap_or_default();
            *assigned.entry(label.to_owned()).or_default() += 1;
        }
        Ok(AssignmentReport {
            handed_over,
            assigned,
            unassigned: (group_ids.len() - plan.len()) as u64,
        })
    }
}

/// Releases the pending memberships (of open groups) of accounts that can no
/// longer join; returns how many per account label.
async fn hand_over_pending(conn: &mut PgConnection) -> Result<BTreeMap<String, u64>, StoreError> {
    let released: Vec<(i64, i64, bool, String)> = sqlx::query_as(
        "SELECT m.account_id, m.group_id, m.attempts = 0 AND m.join_started_at IS NULL, a.label
           FROM memberships m
           JOIN accounts a ON a.id = m.account_id
           JOIN groups g ON g.id = m.group_id
          WHERE m.state = 'pending'
            AND (a.status IN ('unauthorized', 'deactivated', 'frozen') OR a.joins_stopped_reason IS NOT NULL)
            AND g.status IN ('new', 'active')
          ORDER BY m.group_id
            FOR UPDATE OF m, g",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut report = BTreeMap::new();
    if released.is_empty() {
        return Ok(report);
    }
    let accounts: Vec<i64> = released.iter().map(|row| row.0).collect();
    let groups: Vec<i64> = released.iter().map(|row| row.1).collect();
    let untouched: Vec<bool> = released.iter().map(|row| row.2).collect();
    sqlx::query(
        "WITH released AS (
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bool[])
                 AS t(account_id, group_id, untouched)),
         dropped AS (
             DELETE FROM memberships m USING released r
              WHERE m.account_id = r.account_id AND m.group_id = r.group_id AND r.untouched),
         freed AS (
             UPDATE groups g SET responsible_account_id = NULL, updated_at = now()
               FROM released r
              WHERE g.id = r.group_id AND g.responsible_account_id = r.account_id)
         UPDATE memberships m
            SET state = 'failed', planned_seq = NULL, join_started_at = NULL,
                last_error = 'handed over: the account can no longer join', updated_at = now()
           FROM released r
          WHERE m.account_id = r.account_id AND m.group_id = r.group_id AND NOT r.untouched",
    )
    .bind(&accounts)
    .bind(&groups)
    .bind(&untouched)
    .execute(&mut *conn)
    .await?;
    for (_, _, _, label) in released {
        *report.entry(label).or_default() += 1;
    }
    Ok(report)
}
