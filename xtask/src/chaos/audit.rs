//! The world's ledger against the database after a chaos run.
//!
//! A world message is the fleet's post for the database's post row of the same group whose
//! claim (`created_at`) came last before the message (both on the shared scaled clock):
//!
//! * duplicates: world messages beyond the first per (campaign, group, round);
//! * unknown to the database: world messages matching no post row by message id whose
//!   claimed row is missing or settled as `failed` / `skipped` (a `pending` or `unknown`
//!   row means the database knows the send may have happened);
//! * repeated joins: accepted join calls of an account already in the group;
//! * pending work lost: posts still `pending` after the fleet settled, and join slots
//!   planned more than [`LOST_AFTER`] before the end that never ran, for accounts free
//!   to join.

use crate::demo::Database;
use anyhow::{Context as _, bail};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use std::collections::HashMap;

/// A planned join this much older than the end (simulated) that never ran is lost: two lease
/// TTLs and a join slot of the demo's configuration.
pub const LOST_AFTER: TimeDelta = TimeDelta::minutes(60);
/// Clock skew allowed between a claim and its message (simulated seconds).
const CLAIM_SLACK: TimeDelta = TimeDelta::seconds(30);

/// One entry of tg-sim's `GET /ledger`.
#[derive(Debug, Deserialize)]
pub struct LedgerEntry {
    at: DateTime<Utc>,
    account: String,
    chat: i64,
    kind: String,
    #[serde(default)]
    message_id: i32,
    #[serde(default)]
    already_member: bool,
}

/// A post row of the database.
#[derive(Debug)]
struct PostRow {
    campaign: i64,
    round: i64,
    state: String,
    message_id: Option<i32>,
    claimed_at: DateTime<Utc>,
}

/// The four numbers of the goal and what they were computed from.
#[derive(Debug, Default)]
pub struct Audit {
    /// World messages of the fleet.
    pub world_posts: usize,
    /// Post rows in the database (any state) and those `sent`.
    pub db_posts: usize,
    /// Post rows `sent`.
    pub db_sent: usize,
    /// Accepted join calls in the world.
    pub world_joins: usize,
    /// Duplicate posts per (campaign, group, round) in the world.
    pub duplicates: usize,
    /// World posts the database does not know.
    pub unknown_to_db: usize,
    /// Joins repeated.
    pub repeated_joins: usize,
    /// Posts left `pending`.
    pub pending_posts: usize,
    /// Planned joins that never ran.
    pub lost_joins: usize,
}

impl Audit {
    /// Whether all four goal numbers are zero.
    pub fn clean(&self) -> bool {
        self.duplicates == 0
            && self.unknown_to_db == 0
            && self.repeated_joins == 0
            && self.pending_posts + self.lost_joins == 0
    }
}

/// Compares `ledger` with the database at simulated time `end`.
pub fn audit(
    ledger: &[LedgerEntry],
    database: &Database,
    end: DateTime<Utc>,
) -> anyhow::Result<Audit> {
    let labels: Vec<String> = rows(database, "SELECT label FROM accounts")?
        .into_iter()
        .map(|row| row[0].clone())
        .collect();
    let group_of: HashMap<i64, i64> = rows(
        database,
        "SELECT telegram_id, id FROM groups WHERE telegram_id IS NOT NULL \
         UNION SELECT peer_id, group_id FROM memberships WHERE peer_id IS NOT NULL",
    )?
    .into_iter()
    .map(|row| Ok((row[0].parse()?, row[1].parse()?)))
    .collect::<anyhow::Result<_>>()?;
    let mut posts: HashMap<i64, Vec<PostRow>> = HashMap::new();
    for row in rows(
        database,
        "SELECT group_id, campaign_id, round, state, telegram_message_id, \
                to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') \
         FROM posts ORDER BY created_at",
    )? {
        posts.entry(row[0].parse()?).or_default().push(PostRow {
            campaign: row[1].parse()?,
            round: row[2].parse()?,
            state: row[3].clone(),
            message_id: row[4].parse().ok(),
            claimed_at: row[5].parse().context("a post's created_at")?,
        });
    }
    let mut audit = tally(ledger, &labels, &group_of, &posts);
    audit.pending_posts = count(
        database,
        "SELECT count(*) FROM posts WHERE state = 'pending'",
    )?;
    let cutoff = (end - LOST_AFTER).to_rfc3339();
    let now = end.to_rfc3339();
    audit.lost_joins = count(
        database,
        &format!(
            "SELECT count(*) FROM memberships m JOIN accounts a ON a.id = m.account_id \
             WHERE m.state = 'pending' AND m.planned_tick < '{cutoff}' \
               AND a.status = 'active' AND a.joins_stopped_reason IS NULL \
               AND coalesce(a.join_flood_until, '-infinity') < '{now}' \
               AND coalesce(a.rest_until, '-infinity') < '{now}'"
        ),
    )?;
    Ok(audit)
}

/// The ledger's side of the audit: its posts and joins against the post rows per group.
fn tally(
    ledger: &[LedgerEntry],
    labels: &[String],
    group_of: &HashMap<i64, i64>,
    posts: &HashMap<i64, Vec<PostRow>>,
) -> Audit {
    let mut audit = Audit {
        db_posts: posts.values().map(Vec::len).sum(),
        db_sent: posts
            .values()
            .flatten()
            .filter(|post| post.state == "sent")
            .count(),
        ..Audit::default()
    };

    let mut per_round: HashMap<(i64, i64, i64), usize> = HashMap::new();
    for entry in ledger
        .iter()
        .filter(|entry| labels.contains(&entry.account))
    {
        match entry.kind.as_str() {
            "message" => {
                audit.world_posts += 1;
                let group = group_of.get(&entry.chat).copied();
                let rows = group.and_then(|group| posts.get(&group));
                let by_id = rows.and_then(|rows| {
                    rows.iter()
                        .find(|post| post.message_id == Some(entry.message_id))
                });
                let claimed = by_id.or_else(|| {
                    rows.and_then(|rows| {
                        rows.iter()
                            .rev()
                            .find(|post| post.claimed_at <= entry.at + CLAIM_SLACK)
                    })
                });
                match (group, claimed) {
                    (Some(group), Some(post)) => {
                        *per_round
                            .entry((post.campaign, group, post.round))
                            .or_default() += 1;
                        let known = by_id.is_some()
                            || matches!(post.state.as_str(), "pending" | "unknown" | "sent");
                        if !known {
                            audit.unknown_to_db += 1;
                        }
                    }
                    _ => audit.unknown_to_db += 1,
                }
            }
            "join" => {
                audit.world_joins += 1;
                if entry.already_member {
                    audit.repeated_joins += 1;
                }
            }
            _ => {}
        }
    }
    audit.duplicates = per_round.values().map(|count| count - 1).sum();
    audit
}

fn count(database: &Database, sql: &str) -> anyhow::Result<usize> {
    let text = crate::process::capture(database.psql().args(["-tAc", sql]))?;
    text.trim()
        .parse()
        .with_context(|| format!("{sql}: not a count: {text:?}"))
}

/// The rows of a query, tab-separated fields (NULL as an empty string).
fn rows(database: &Database, sql: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let text = crate::process::capture(database.psql().args(["-tA", "-F", "\t", "-c", sql]))?;
    let rows: Vec<Vec<String>> = text
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect();
    if let Some(row) = rows.iter().find(|row| row.is_empty()) {
        bail!("{sql}: an empty row {row:?}");
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAT: i64 = 1_900_000_001;
    const GROUP: i64 = 7;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-06T10:00:00Z")
            .unwrap()
            .to_utc()
            + TimeDelta::minutes(minute)
    }

    fn message(minute: i64, message_id: i32) -> LedgerEntry {
        LedgerEntry {
            at: at(minute),
            account: "acc0001".into(),
            chat: CHAT,
            kind: "message".into(),
            message_id,
            already_member: false,
        }
    }

    fn join(already_member: bool) -> LedgerEntry {
        LedgerEntry {
            kind: "join".into(),
            already_member,
            ..message(0, 0)
        }
    }

    fn post(minute: i64, round: i64, state: &str, message_id: Option<i32>) -> PostRow {
        PostRow {
            campaign: 1,
            round,
            state: state.into(),
            message_id,
            claimed_at: at(minute),
        }
    }

    fn tallied(ledger: &[LedgerEntry], rows: Vec<PostRow>) -> Audit {
        let labels = vec!["acc0001".to_owned()];
        let group_of = HashMap::from([(CHAT, GROUP)]);
        tally(ledger, &labels, &group_of, &HashMap::from([(GROUP, rows)]))
    }

    #[test]
    fn one_message_per_sent_or_unknown_row_is_clean() {
        let audit = tallied(
            &[message(1, 31), message(30, 32), join(false)],
            vec![post(0, 0, "sent", Some(31)), post(29, 1, "unknown", None)],
        );
        assert_eq!(
            (audit.world_posts, audit.duplicates, audit.unknown_to_db),
            (2, 0, 0)
        );
        assert_eq!((audit.world_joins, audit.repeated_joins), (1, 0));
    }

    #[test]
    fn a_second_message_in_a_round_is_a_duplicate() {
        let audit = tallied(
            &[message(1, 31), message(2, 32)],
            vec![post(0, 0, "sent", Some(31))],
        );
        assert_eq!((audit.duplicates, audit.unknown_to_db), (1, 0));
    }

    #[test]
    fn messages_without_a_row_or_with_a_failed_one_are_unknown_and_joins_repeat() {
        let audit = tallied(&[message(1, 31), join(false), join(true)], Vec::new());
        assert_eq!((audit.unknown_to_db, audit.repeated_joins), (1, 1));
        let audit = tallied(&[message(5, 31)], vec![post(4, 0, "failed", None)]);
        assert_eq!(audit.unknown_to_db, 1);
        let stranger = LedgerEntry {
            account: "someone".into(),
            ..message(1, 40)
        };
        assert_eq!(tallied(&[stranger], Vec::new()).world_posts, 0);
    }
}
