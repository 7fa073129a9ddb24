//! Join slots: planning a slot's joins per account, and the executor's reads.

use super::StoredPeer;
use super::assign::ASSIGNMENT_LOCK;
use crate::conflict::ConflictRetry;
use crate::error::decode_status;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use tgfleet_domain::join_policy::{AttemptHistory, JoinerState, SlotEligibility, slot_eligibility};
use tgfleet_domain::{AccountId, AccountStatus, GroupHandle, GroupId, MembershipState};

/// One account's share of a slot, as [`Store::plan_slot`] planned it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotPlan {
    /// The account.
    pub account: AccountId,
    /// Its label.
    pub label: String,
    /// Whether (and why not) it joins in this slot.
    pub eligibility: SlotEligibility,
    /// Its pending groups (open groups only).
    pub pending: u32,
    /// Joins planned for this slot: `min(limit, pending)` for a joining account, else 0.
    pub planned: u32,
}

/// An account with planned joins, for the executor's wake-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedJoiner {
    /// The account.
    pub account: AccountId,
    /// Its label.
    pub label: String,
    /// When its next join is due (`None`: now).
    pub due_at: Option<DateTime<Utc>>,
}

/// What [`Store::join_queue`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JoinQueue {
    /// Accounts whose next join is due now, longest due first.
    pub due: Vec<QueuedJoiner>,
    /// The earliest time another account's next join falls due.
    pub next_due_at: Option<DateTime<Utc>>,
}

/// The next join of an account, read under its lease by [`Store::next_join`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextJoin {
    /// The group.
    pub group: GroupId,
    /// Its handle.
    pub handle: GroupHandle,
    /// The peer this account resolved earlier, if any.
    pub peer: Option<StoredPeer>,
    /// The join's place in its slot (1-based; 0 when it left the slot while in flight).
    pub seq: u32,
    /// How many joins its slot planned for the account.
    pub slot_size: u32,
    /// A join request may have been sent before a crash (`join_started_at` is set):
    /// check membership instead of joining again.
    pub in_flight: bool,
    /// Earlier attempts.
    pub history: AttemptHistory,
}

/// One membership, as the account-manager sees it (for operators and tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinMembership {
    /// The group.
    pub group: GroupId,
    /// Its handle.
    pub handle: GroupHandle,
    /// The membership's state.
    pub state: MembershipState,
    /// The slot tick that last planned it.
    pub planned_tick: Option<DateTime<Utc>>,
    /// Its place in that slot, while planned.
    pub planned_seq: Option<u32>,
    /// Set while a join request may be in flight.
    pub join_started_at: Option<DateTime<Utc>>,
    /// When the account joined.
    pub joined_at: Option<DateTime<Utc>>,
    /// Attempts recorded.
    pub attempts: u32,
    /// The last error.
    pub last_error: Option<String>,
    /// Whether a peer reference is stored.
    pub has_peer: bool,
}

/// One row of the event log about an account's joins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// The group.
    pub group: Option<GroupId>,
    /// `resolve`, `join` or `join_check`.
    pub action: String,
    /// `ok` or the error's outcome word.
    pub outcome: String,
    /// The FloodWait Telegram asked for.
    pub flood_wait_secs: Option<u32>,
}

fn count(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn parse_handle(key: &str) -> Result<GroupHandle, StoreError> {
    GroupHandle::parse(key).map_err(|err| StoreError::invalid("groups.handle", err.to_string()))
}

#[derive(sqlx::FromRow)]
struct JoinerRow {
    id: i64,
    label: String,
    status: String,
    joins_stopped: bool,
    join_flood_until: Option<DateTime<Utc>>,
    rest_until: Option<DateTime<Utc>>,
}

impl Store {
    /// Plans the slot firing at `tick`: for each account that joins in it
    /// ([`slot_eligibility`]; a rest that ended by the tick makes the account
    /// `active` again), its oldest pending memberships of open groups (by
    /// `created_at`, then group id), at most `limit`, get `planned_tick = tick` and
    /// `planned_seq` 1..K, and its `join_next_at` becomes the tick (or stays later if
    /// a pause or wait runs past it). Joins left planned by an earlier slot are
    /// re-planned; a join in flight (`join_started_at` set) keeps its place.
    /// Notifies `tgfleet_changes` with `join_plans` so every replica's executor wakes.
    /// A handful of set-based statements, whatever the number of accounts.
    ///
    /// Locks, in one transaction and in the fleet's lock order (advisory lock,
    /// accounts, memberships, groups): the assignment's advisory lock (planning
    /// never interleaves with [`Store::assign_groups`]); the `active` and `resting`
    /// accounts `FOR NO KEY UPDATE` (in id order); the memberships it plans. A writer
    /// that holds a membership holds its account first ([`Store::record_join`]), so
    /// planning and join storage cannot deadlock. `NO KEY` matters: the foreign-key
    /// checks of other writers (an event or a post naming the account, taken after
    /// they touched a membership, as [`Store::record_resolved`] does) take `KEY SHARE`,
    /// which `FOR UPDATE` would block and `FOR NO KEY UPDATE` does not (measured at
    /// 1,000 accounts: `FOR UPDATE` here deadlocked with those inserts). A
    /// transaction Postgres aborts anyway (a conflict) is run again. Callers run it once per tick fleet-wide
    /// (`cron_ticks`).
    pub async fn plan_slot(
        &self,
        tick: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<SlotPlan>, StoreError> {
        let mut retry = ConflictRetry::new(self, "planning the slot");
        loop {
            match self.plan_slot_once(tick, limit).await {
                Err(error) if retry.again(&error).await => {}
                outcome => return outcome,
            }
        }
    }

    async fn plan_slot_once(
        &self,
        tick: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<SlotPlan>, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ASSIGNMENT_LOCK)
            .execute(&mut *tx)
            .await?;
        let joiners: Vec<JoinerRow> = sqlx::query_as(
            "SELECT id, label, status, joins_stopped_reason IS NOT NULL AS joins_stopped,
                    join_flood_until, rest_until
               FROM accounts
              WHERE status IN ('active', 'resting')
              ORDER BY id
                FOR NO KEY UPDATE",
        )
        .fetch_all(&mut *tx)
        .await?;
        let pending: HashMap<i64, i64> = sqlx::query_as(
            "SELECT m.account_id, count(*) FROM memberships m JOIN groups g ON g.id = m.group_id
              WHERE m.state = 'pending' AND g.status IN ('new', 'active')
              GROUP BY m.account_id",
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        let mut plans = Vec::with_capacity(joiners.len());
        let (mut waking, mut joining) = (Vec::new(), Vec::new());
        for joiner in joiners {
            let state = JoinerState {
                status: decode_status::<AccountStatus>("accounts.status", &joiner.status)?,
                joins_stopped: joiner.joins_stopped,
                join_flood_until: joiner.join_flood_until,
                rest_until: joiner.rest_until,
            };
            let eligibility = slot_eligibility(&state, tick);
            if let SlotEligibility::Joins { wakes_from_rest } = eligibility {
                if wakes_from_rest {
                    waking.push(joiner.id);
                }
                joining.push(joiner.id);
            }
            plans.push(SlotPlan {
                account: AccountId(joiner.id),
                label: joiner.label,
                eligibility,
                pending: count(pending.get(&joiner.id).copied().unwrap_or(0)),
                planned: 0,
            });
        }
        if !waking.is_empty() {
            sqlx::query(
                "UPDATE accounts SET status = 'active', status_reason = NULL, rest_until = NULL,
                        updated_at = now()
                  WHERE id = ANY($1)",
            )
            .bind(&waking)
            .execute(&mut *tx)
            .await?;
        }
        let planned = plan_accounts(&mut tx, &joining, tick, limit).await?;
        for plan in &mut plans {
            plan.planned = planned.get(&plan.account.0).copied().unwrap_or(0);
        }
        sqlx::query("SELECT pg_notify('tgfleet_changes', 'join_plans')")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(plans)
    }

    /// Accounts that may join (`active`, joins not stopped) and have a planned or
    /// in-flight join of an open group: at most `limit` of those due at `now`
    /// (`GREATEST(join_next_at, join_flood_until)` unset or passed; longest due
    /// first, then by id), leaving out `skip` (accounts the caller is working or
    /// retrying), and the earliest due time after `now` of the others. Reads
    /// without locking; returns at most `limit` rows however large the fleet.
    pub async fn join_queue(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        skip: &[AccountId],
    ) -> Result<JoinQueue, StoreError> {
        let skip: Vec<i64> = skip.iter().map(|account| account.0).collect();
        let rows: Vec<QueueRow> = sqlx::query_as(
            "WITH queued AS (
                 SELECT a.id, a.label, GREATEST(a.join_next_at, a.join_flood_until) AS due_at
                   FROM accounts a
                  WHERE a.status = 'active' AND a.joins_stopped_reason IS NULL
                    AND EXISTS (
                        SELECT 1 FROM memberships m JOIN groups g ON g.id = m.group_id
                         WHERE m.account_id = a.id AND m.state = 'pending'
                           AND (m.planned_seq IS NOT NULL OR m.join_started_at IS NOT NULL)
                           AND g.status IN ('new', 'active'))),
             due AS (
                 SELECT id, label, due_at FROM queued
                  WHERE (due_at IS NULL OR due_at <= $1) AND id <> ALL($2)
                  ORDER BY due_at NULLS FIRST, id
                  LIMIT $3)
             SELECT id, label, due_at FROM due
             UNION ALL
             SELECT NULL, NULL, min(due_at) FROM queued WHERE due_at > $1",
        )
        .bind(now)
        .bind(&skip)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut queue = JoinQueue::default();
        for row in rows {
            match row {
                (Some(id), Some(label), due_at) => queue.due.push(QueuedJoiner {
                    account: AccountId(id),
                    label,
                    due_at,
                }),
                (_, _, later) => queue.next_due_at = later,
            }
        }
        Ok(queue)
    }

    /// The account's next join if one is due at `now`: the join in flight first,
    /// else the lowest `planned_seq`. `None` when the account may not join now
    /// (not `active`, joins stopped, its next join or a FloodWait lies ahead) or has
    /// nothing planned. Call it under the account's lease, so the answer stays true
    /// while the join runs. Reads without locking.
    pub async fn next_join(
        &self,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<Option<NextJoin>, StoreError> {
        let row: Option<NextJoinRow> = sqlx::query_as(
            "SELECT m.group_id, g.handle, m.peer_id, m.access_hash, m.peer_kind, m.planned_seq,
                    m.join_started_at IS NOT NULL AS in_flight, m.attempts, m.join_transient_failures,
                    (SELECT count(*) FROM memberships x
                      WHERE x.account_id = m.account_id AND x.planned_tick = m.planned_tick) AS slot_size,
                    (SELECT count(*) FROM memberships j
                      WHERE j.account_id = m.account_id AND j.state = 'joined') AS joined
               FROM accounts a
               JOIN memberships m ON m.account_id = a.id
               JOIN groups g ON g.id = m.group_id
              WHERE a.id = $1 AND a.status = 'active' AND a.joins_stopped_reason IS NULL
                AND (GREATEST(a.join_next_at, a.join_flood_until) IS NULL
                     OR GREATEST(a.join_next_at, a.join_flood_until) <= $2)
                AND m.state = 'pending'
                AND (m.planned_seq IS NOT NULL OR m.join_started_at IS NOT NULL)
                AND g.status IN ('new', 'active')
              ORDER BY m.join_started_at IS NULL, m.planned_seq NULLS LAST, m.group_id
              LIMIT 1",
        )
        .bind(account.0)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(NextJoin {
            group: GroupId(row.group_id),
            handle: parse_handle(&row.handle)?,
            peer: StoredPeer::from_columns(row.peer_id, row.access_hash, row.peer_kind),
            seq: row.planned_seq.map_or(0, i32::unsigned_abs),
            slot_size: count(row.slot_size),
            in_flight: row.in_flight,
            history: AttemptHistory {
                attempts: row.attempts.unsigned_abs(),
                transient_failures: row.join_transient_failures.unsigned_abs(),
                account_memberships: u32::try_from(row.joined).unwrap_or(u32::MAX),
            },
        }))
    }

    /// Every membership of an account, by group id. Reads without locking.
    pub async fn join_memberships(
        &self,
        account: AccountId,
    ) -> Result<Vec<JoinMembership>, StoreError> {
        let rows: Vec<MembershipRow> = sqlx::query_as(
            "SELECT m.group_id, g.handle, m.state, m.planned_tick, m.planned_seq, m.join_started_at,
                    m.joined_at, m.attempts, m.last_error, m.peer_id IS NOT NULL AS has_peer
               FROM memberships m JOIN groups g ON g.id = m.group_id
              WHERE m.account_id = $1
              ORDER BY m.group_id",
        )
        .bind(account.0)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(JoinMembership {
                    group: GroupId(row.group_id),
                    handle: parse_handle(&row.handle)?,
                    state: decode_status("memberships.state", &row.state)?,
                    planned_tick: row.planned_tick,
                    planned_seq: row.planned_seq.map(i32::unsigned_abs),
                    join_started_at: row.join_started_at,
                    joined_at: row.joined_at,
                    attempts: row.attempts.unsigned_abs(),
                    last_error: row.last_error,
                    has_peer: row.has_peer,
                })
            })
            .collect()
    }

    /// The account-manager's events about one account (`resolve`, `join`,
    /// `join_check`), oldest first. Reads without locking.
    pub async fn join_events(&self, account: AccountId) -> Result<Vec<JoinEvent>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT at, group_id, action, outcome, flood_wait_secs FROM events
              WHERE account_id = $1 AND service = 'account-manager'
              ORDER BY at, id",
        )
        .bind(account.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| JoinEvent {
                at: row.at,
                group: row.group_id.map(GroupId),
                action: row.action,
                outcome: row.outcome,
                flood_wait_secs: row.flood_wait_secs.map(i32::unsigned_abs),
            })
            .collect())
    }
}

/// A due account (id and label set) or the next due time of the others (both `None`).
type QueueRow = (Option<i64>, Option<String>, Option<DateTime<Utc>>);

#[derive(sqlx::FromRow)]
struct NextJoinRow {
    group_id: i64,
    handle: String,
    peer_id: Option<i64>,
    access_hash: Option<i64>,
    peer_kind: Option<String>,
    planned_seq: Option<i32>,
    in_flight: bool,
    attempts: i32,
    join_transient_failures: i32,
    slot_size: i64,
    joined: i64,
}

#[derive(sqlx::FromRow)]
struct MembershipRow {
    group_id: i64,
    handle: String,
    state: String,
    planned_tick: Option<DateTime<Utc>>,
    planned_seq: Option<i32>,
    join_started_at: Option<DateTime<Utc>>,
    joined_at: Option<DateTime<Utc>>,
    attempts: i32,
    last_error: Option<String>,
    has_peer: bool,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    at: DateTime<Utc>,
    group_id: Option<i64>,
    action: String,
    outcome: String,
    flood_wait_secs: Option<i32>,
}

/// Re-plans the joins of `accounts` for the slot at `tick`; returns how many per
/// account (accounts with none are left out).
async fn plan_accounts(
    conn: &mut sqlx::PgConnection,
    accounts: &[i64],
    tick: DateTime<Utc>,
    limit: u32,
) -> Result<HashMap<i64, u32>, StoreError> {
    if accounts.is_empty() {
        return Ok(HashMap::new());
    }
    sqlx::query(
        "UPDATE memberships SET planned_seq = NULL, updated_at = now()
          WHERE account_id = ANY($1) AND state = 'pending' AND planned_seq IS NOT NULL
            AND join_started_at IS NULL",
    )
    .bind(accounts)
    .execute(&mut *conn)
    .await?;
    let planned: Vec<(i64, i64)> = sqlx::query_as(
        "WITH chosen AS (
             SELECT a.id AS account_id, c.group_id, c.seq
               FROM unnest($1::bigint[]) AS a(id)
              CROSS JOIN LATERAL (
                    SELECT m.group_id, row_number() OVER (ORDER BY m.created_at, m.group_id) AS seq
                      FROM memberships m JOIN groups g ON g.id = m.group_id
                     WHERE m.account_id = a.id AND m.state = 'pending' AND m.join_started_at IS NULL
                       AND g.status IN ('new', 'active')
                     ORDER BY m.created_at, m.group_id
                     LIMIT $3) c),
         updated AS (
             UPDATE memberships m
                SET planned_tick = $2, planned_seq = chosen.seq, join_transient_failures = 0,
                    updated_at = now()
               FROM chosen
              WHERE m.account_id = chosen.account_id AND m.group_id = chosen.group_id
             RETURNING m.account_id)
         SELECT account_id, count(*) FROM updated GROUP BY account_id",
    )
    .bind(accounts)
    .bind(tick)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    let with_joins: Vec<i64> = planned.iter().map(|(account, _)| *account).collect();
    if !with_joins.is_empty() {
        sqlx::query(
            "UPDATE accounts SET join_next_at = GREATEST(join_next_at, $2), updated_at = now()
              WHERE id = ANY($1)",
        )
        .bind(&with_joins)
        .bind(tick)
        .execute(&mut *conn)
        .await?;
    }
    Ok(planned
        .into_iter()
        .map(|(account, joins)| (account, count(joins)))
        .collect())
}
