//! Posting: what each account may post where, claims (a post is recorded before it
//! is sent, invariant 3), completions, and the recovery of claims a crash left behind.
//!
//! Messages that may have reached Telegram (`sent`, `pending`, `unknown`) count for
//! caps, gaps and repeated content; their time is `coalesce(sent_at, created_at)`.

use crate::campaigns::{Campaign, Variant, active_campaigns};
use crate::error::decode_status;
use crate::{Lease, NewEvent, Store, StoreError, StoredPeer, check_lease, record_event};
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgConnection;
use std::time::Duration;
use tgfleet_domain::post_outcome::{
    BanReport, Consequence, GroupMark, MembershipMark, send_random_id,
};
use tgfleet_domain::{
    AccountId, AccountStatus, CampaignId, ContentKind, GroupHandle, GroupId, PostId, PostState,
    VariantId,
};

/// An account as the posting rules see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostingAccount {
    /// The account.
    pub id: AccountId,
    /// Its label.
    pub label: String,
    /// Its status (only `active` and `resting` accounts are listed).
    pub status: AccountStatus,
    /// End of a rest.
    pub rest_until: Option<DateTime<Utc>>,
    /// End of a posting FloodWait.
    pub post_flood_until: Option<DateTime<Utc>>,
    /// End of the spam-block cool-down.
    pub post_cooldown_until: Option<DateTime<Utc>>,
    /// Consecutive PeerFlood / long FloodWait answers.
    pub post_strikes: i32,
    /// Its own time zone, if set.
    pub time_zone: Option<String>,
    /// When its messages of the last 24 hours went out (or were claimed).
    pub recent_posts: Vec<DateTime<Utc>>,
}

/// The latest post row of a (campaign, group).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatestAttempt {
    /// Its round.
    pub round: i64,
    /// Set when nothing was sent and the round may be retried from then.
    pub retry_at: Option<DateTime<Utc>>,
    /// The variant it carried.
    pub variant: VariantId,
}

/// One (group, campaign) an account is joined to and may post in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostingTarget {
    /// The group.
    pub group_id: GroupId,
    /// Its handle.
    pub handle: GroupHandle,
    /// The account's stored peer for it, if resolved.
    pub peer: Option<StoredPeer>,
    /// Slow mode allows this account's next message then.
    pub next_send_at: Option<DateTime<Utc>>,
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The last message in the group by any account of the fleet.
    pub chat_last_post: Option<DateTime<Utc>>,
    /// A post to the group is claimed and not completed.
    pub in_flight: bool,
    /// The latest post row of this campaign in this group.
    pub last_attempt: Option<LatestAttempt>,
    /// The content kinds the group refuses (`group_refused_content`).
    pub refused: Vec<ContentKind>,
}

/// Content that may have reached a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupContent {
    /// The group.
    pub group_id: GroupId,
    /// The content fingerprint.
    pub content_hash: String,
    /// When it went out (or was claimed).
    pub at: DateTime<Utc>,
}

/// What [`Store::claim_post`] shows its decision, read inside the claim's transaction.
#[derive(Clone, Debug)]
pub struct ClaimSnapshot {
    /// The account, if still active or resting.
    pub account: Option<PostingAccount>,
    /// The (group, campaign) target, if the account may still post there.
    pub target: Option<PostingTarget>,
    /// The campaign and its enabled variants, if still active.
    pub campaign: Option<(Campaign, Vec<Variant>)>,
    /// The group's content within the campaign's interval.
    pub recent_content: Vec<GroupContent>,
}

/// The post a claim records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostToClaim {
    /// The round.
    pub round: u64,
    /// The variant to send.
    pub variant: VariantId,
    /// Its content fingerprint.
    pub content_hash: String,
}

/// A claimed post: pending, ours to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedPost {
    /// The post row.
    pub id: PostId,
    /// Its round.
    pub round: u64,
    /// The variant to send.
    pub variant: VariantId,
    /// How many times the round was claimed, this claim included.
    pub attempts: i32,
    /// The send's `random_id`, the same for every attempt of the post
    /// ([`tgfleet_domain::post_outcome::send_random_id`] of its idempotency key).
    pub random_id: i64,
}

/// How a claim ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The post is ours: send it, then complete it.
    Claimed(ClaimedPost),
    /// The fresh snapshot said no; nothing was written.
    Declined,
    /// Someone else holds or finished the round.
    Taken,
}

/// The outcome of one attempt, for [`Store::complete_post`].
#[derive(Clone, Copy, Debug)]
pub struct PostCompletion<'a> {
    /// The claimed post.
    pub post: PostId,
    /// Its group.
    pub group: GroupId,
    /// What the attempt changes (the post's state, the account, the membership, the group).
    pub consequence: &'a Consequence,
    /// Telegram's id of the sent message.
    pub telegram_message_id: Option<i32>,
    /// The group's slow mode, as the pre-check read it.
    pub slow_mode_secs: Option<u32>,
    /// The event to log with it.
    pub event: &'a NewEvent,
}

/// A row of `posts`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Post {
    /// Primary key.
    pub id: PostId,
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The variant of the last attempt.
    pub variant_id: VariantId,
    /// The account of the last attempt.
    pub account_id: AccountId,
    /// The group.
    pub group_id: GroupId,
    /// The round.
    pub round: i64,
    /// `campaign:group:round`.
    pub idempotency_key: String,
    /// The content fingerprint.
    pub content_hash: String,
    /// Pending, sent, failed, skipped or unknown.
    pub state: PostState,
    /// Why it was not sent.
    pub error_code: Option<String>,
    /// Telegram's message id, once sent.
    pub telegram_message_id: Option<i32>,
    /// The replica that claimed the last attempt.
    pub claimed_by: String,
    /// When the last attempt was claimed.
    pub created_at: DateTime<Utc>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the last attempt ended.
    pub completed_at: Option<DateTime<Utc>>,
    /// May be claimed again from then.
    pub retry_at: Option<DateTime<Utc>>,
    /// Claims of this round.
    pub attempts: i32,
}

/// Which posts [`Store::list_posts`] returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PostFilter {
    /// Only this campaign.
    pub campaign: Option<CampaignId>,
    /// Only this group.
    pub group: Option<GroupId>,
    /// Only this account.
    pub account: Option<AccountId>,
}

/// The idempotency key of a (campaign, group, round): `campaign:group:round`.
pub fn idempotency_key(campaign: CampaignId, group: GroupId, round: u64) -> String {
    format!("{campaign}:{group}:{round}")
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    label: String,
    status: String,
    rest_until: Option<DateTime<Utc>>,
    post_flood_until: Option<DateTime<Utc>>,
    post_cooldown_until: Option<DateTime<Utc>>,
    post_strikes: i32,
    time_zone: Option<String>,
    recent_posts: Vec<DateTime<Utc>>,
}

impl TryFrom<AccountRow> for PostingAccount {
    type Error = StoreError;

    fn try_from(row: AccountRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: AccountId(row.id),
            status: decode_status("accounts.status", &row.status)?,
            label: row.label,
            rest_until: row.rest_until,
            post_flood_until: row.post_flood_until,
            post_cooldown_until: row.post_cooldown_until,
            post_strikes: row.post_strikes,
            time_zone: row.time_zone,
            recent_posts: row.recent_posts,
        })
    }
}

#[derive(sqlx::FromRow)]
struct TargetRow {
    group_id: i64,
    handle: String,
    peer_id: Option<i64>,
    access_hash: Option<i64>,
    peer_kind: Option<String>,
    next_send_at: Option<DateTime<Utc>>,
    campaign_id: i64,
    chat_last_post: Option<DateTime<Utc>>,
    in_flight: bool,
    last_round: Option<i64>,
    last_retry_at: Option<DateTime<Utc>>,
    last_variant: Option<i64>,
    refused_kinds: Vec<String>,
}

impl TryFrom<TargetRow> for PostingTarget {
    type Error = StoreError;

    fn try_from(row: TargetRow) -> Result<Self, StoreError> {
        let peer = match (row.peer_id, row.access_hash, row.peer_kind) {
            (Some(id), Some(access_hash), Some(kind)) => Some(StoredPeer {
                id,
                access_hash,
                kind,
            }),
            _ => None,
        };
        let last_attempt = match (row.last_round, row.last_variant) {
            (Some(round), Some(variant)) => Some(LatestAttempt {
                round,
                retry_at: row.last_retry_at,
                variant: VariantId(variant),
            }),
            _ => None,
        };
        Ok(Self {
            group_id: GroupId(row.group_id),
            handle: GroupHandle::parse(&row.handle)
                .map_err(|err| StoreError::invalid("groups.handle", err.to_string()))?,
            peer,
            next_send_at: row.next_send_at,
            campaign_id: CampaignId(row.campaign_id),
            chat_last_post: row.chat_last_post,
            in_flight: row.in_flight,
            last_attempt,
            refused: row
                .refused_kinds
                .iter()
                .filter_map(|kind| ContentKind::from_stored(kind))
                .collect(),
        })
    }
}

#[derive(sqlx::FromRow)]
struct PostRow {
    id: i64,
    campaign_id: i64,
    variant_id: i64,
    account_id: i64,
    group_id: i64,
    round: i64,
    idempotency_key: String,
    content_hash: String,
    state: String,
    error_code: Option<String>,
    telegram_message_id: Option<i32>,
    claimed_by: String,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    retry_at: Option<DateTime<Utc>>,
    attempts: i32,
}

impl TryFrom<PostRow> for Post {
    type Error = StoreError;

    fn try_from(row: PostRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: PostId(row.id),
            campaign_id: CampaignId(row.campaign_id),
            variant_id: VariantId(row.variant_id),
            account_id: AccountId(row.account_id),
            group_id: GroupId(row.group_id),
            round: row.round,
            idempotency_key: row.idempotency_key,
            content_hash: row.content_hash,
            state: decode_status("posts.state", &row.state)?,
            error_code: row.error_code,
            telegram_message_id: row.telegram_message_id,
            claimed_by: row.claimed_by,
            created_at: row.created_at,
            sent_at: row.sent_at,
            completed_at: row.completed_at,
            retry_at: row.retry_at,
            attempts: row.attempts,
        })
    }
}

pub(crate) async fn posting_accounts_on(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    only: Option<AccountId>,
) -> Result<Vec<PostingAccount>, StoreError> {
    sqlx::query_as::<_, AccountRow>(
        "SELECT a.id, a.label, a.status, a.rest_until, a.post_flood_until, a.post_cooldown_until,
                a.post_strikes, a.time_zone,
                ARRAY(SELECT coalesce(p.sent_at, p.created_at) FROM posts p
                       WHERE p.account_id = a.id AND p.state IN ('sent', 'pending', 'unknown')
                         AND p.created_at > $1 - interval '2 days'
                         AND coalesce(p.sent_at, p.created_at) > $1 - interval '1 day'
                       ORDER BY 1) AS recent_posts
           FROM accounts a
          WHERE a.status IN ('active', 'resting') AND ($2::bigint IS NULL OR a.id = $2)
          ORDER BY a.id",
    )
    .bind(now)
    .bind(only.map(|id| id.0))
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(PostingAccount::try_from)
    .collect()
}

async fn posting_targets_on(
    conn: &mut PgConnection,
    account: AccountId,
    now: DateTime<Utc>,
    group: Option<GroupId>,
    campaign: Option<CampaignId>,
) -> Result<Vec<PostingTarget>, StoreError> {
    sqlx::query_as::<_, TargetRow>(
        "SELECT m.group_id, g.handle, m.peer_id, m.access_hash, m.peer_kind, m.next_send_at,
                c.id AS campaign_id, chat.at AS chat_last_post,
                EXISTS (SELECT 1 FROM posts p WHERE p.group_id = g.id AND p.state = 'pending') AS in_flight,
                last.round AS last_round, last.retry_at AS last_retry_at, last.variant_id AS last_variant,
                ARRAY(SELECT r.kind FROM group_refused_content r WHERE r.group_id = g.id) AS refused_kinds
           FROM memberships m
           JOIN groups g ON g.id = m.group_id
           JOIN campaigns c ON c.status = 'active' AND (c.ends_at IS NULL OR c.ends_at > $2)
                           AND (c.target_all OR c.target_tags && g.tags)
           LEFT JOIN LATERAL (
                SELECT coalesce(p.sent_at, p.created_at) AS at FROM posts p
                 WHERE p.group_id = g.id AND p.state IN ('sent', 'pending', 'unknown')
                 ORDER BY p.created_at DESC LIMIT 1) chat ON true
           LEFT JOIN LATERAL (
                SELECT p.round, p.retry_at, p.variant_id FROM posts p
                 WHERE p.campaign_id = c.id AND p.group_id = g.id
                 ORDER BY p.round DESC LIMIT 1) last ON true
          WHERE m.account_id = $1 AND m.state = 'joined' AND g.status = 'active' AND g.can_post
            AND ($3::bigint IS NULL OR g.id = $3) AND ($4::bigint IS NULL OR c.id = $4)
            AND EXISTS (SELECT 1 FROM message_variants v WHERE v.campaign_id = c.id AND v.enabled)
          ORDER BY g.id, c.id",
    )
    .bind(account.0)
    .bind(now)
    .bind(group.map(|id| id.0))
    .bind(campaign.map(|id| id.0))
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(PostingTarget::try_from)
    .collect()
}

async fn recent_content_on(
    conn: &mut PgConnection,
    groups: &[i64],
    since: DateTime<Utc>,
) -> Result<Vec<GroupContent>, StoreError> {
    let rows: Vec<(i64, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT group_id, content_hash, coalesce(sent_at, created_at) FROM posts
          WHERE group_id = ANY($1) AND state IN ('sent', 'pending', 'unknown') AND created_at > $2
          ORDER BY 3",
    )
    .bind(groups)
    .bind(since)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(group, content_hash, at)| GroupContent {
            group_id: GroupId(group),
            content_hash,
            at,
        })
        .collect())
}

impl Store {
    /// Every active or resting account with the times of its messages of the last
    /// 24 hours (posts sent, pending or unknown), by id. Reads without locking.
    pub async fn posting_accounts(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<PostingAccount>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        posting_accounts_on(&mut conn, now, None).await
    }

    /// The (group, campaign) pairs `account` may post in at `now` — joined
    /// memberships in active groups that can post, active unfinished campaigns
    /// targeting the group (all groups, or any shared tag) with an enabled variant —
    /// each with the group's last message, whether a post to it is in flight, and the
    /// campaign's latest round there; plus
    /// the content those groups received since `content_since`. Reads without locking.
    pub async fn posting_targets(
        &self,
        account: AccountId,
        now: DateTime<Utc>,
        content_since: DateTime<Utc>,
    ) -> Result<(Vec<PostingTarget>, Vec<GroupContent>), StoreError> {
        let mut conn = self.pool.acquire().await?;
        let targets = posting_targets_on(&mut conn, account, now, None, None).await?;
        let mut groups: Vec<i64> = targets.iter().map(|target| target.group_id.0).collect();
        groups.dedup();
        let content = recent_content_on(&mut conn, &groups, content_since).await?;
        Ok((targets, content))
    }

    /// Claims the post of `campaign` in `group` for the lease's account: in one
    /// transaction, re-reads the account, the target, the campaign and the group's
    /// recent content, asks `decide`, and records the post it answers as `pending`.
    ///
    /// Locks: [`check_lease`] (`FOR SHARE` on the lease row: our lease is live and
    /// stays ours until commit), then the group row `FOR UPDATE`, which serialises
    /// claims in one group fleet-wide so the in-flight, chat-gap and repeated-content
    /// rules see every other claim. Relies on `UNIQUE (idempotency_key)` (= `posts_one_per_round`):
    /// `INSERT .. ON CONFLICT DO UPDATE .. WHERE retry_at <= now` takes over a row only
    /// when its last attempt sent nothing and asked to be retried; otherwise the round
    /// is someone else's ([`Claim::Taken`]).
    pub async fn claim_post(
        &self,
        lease: &Lease,
        campaign: CampaignId,
        group: GroupId,
        now: DateTime<Utc>,
        decide: impl FnOnce(&ClaimSnapshot) -> Option<PostToClaim>,
    ) -> Result<Claim, StoreError> {
        let mut tx = self.pool.begin().await?;
        check_lease(&mut tx, lease, now).await?;
        sqlx::query("SELECT id FROM groups WHERE id = $1 FOR UPDATE")
            .bind(group.0)
            .execute(&mut *tx)
            .await?;
        let account = posting_accounts_on(&mut tx, now, Some(lease.account_id))
            .await?
            .pop();
        let target =
            posting_targets_on(&mut tx, lease.account_id, now, Some(group), Some(campaign))
                .await?
                .pop();
        let campaign_row = active_campaigns(&mut tx, now, Some(campaign)).await?.pop();
        let recent_content = match &campaign_row {
            Some((campaign, _)) => {
                let since = now - TimeDelta::seconds(campaign.repeat_interval_secs);
                recent_content_on(&mut tx, &[group.0], since).await?
            }
            None => Vec::new(),
        };
        let snapshot = ClaimSnapshot {
            account,
            target,
            campaign: campaign_row,
            recent_content,
        };
        let Some(post) = decide(&snapshot) else {
            return Ok(Claim::Declined);
        };
        let round =
            i64::try_from(post.round).map_err(|_| StoreError::invalid("round", "out of range"))?;
        let key = idempotency_key(campaign, group, post.round);
        let claimed: Option<(i64, i32)> = sqlx::query_as(
            "INSERT INTO posts (campaign_id, variant_id, account_id, group_id, round, idempotency_key,
                                content_hash, state, claimed_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9)
             ON CONFLICT (idempotency_key) DO UPDATE
                SET variant_id = EXCLUDED.variant_id,
                    account_id = EXCLUDED.account_id,
                    content_hash = EXCLUDED.content_hash,
                    state = 'pending',
                    error_code = NULL,
                    telegram_message_id = NULL,
                    claimed_by = EXCLUDED.claimed_by,
                    created_at = EXCLUDED.created_at,
                    completed_at = NULL,
                    retry_at = NULL,
                    attempts = posts.attempts + 1
              WHERE posts.retry_at IS NOT NULL AND posts.retry_at <= EXCLUDED.created_at
             RETURNING id, attempts",
        )
        .bind(campaign.0)
        .bind(post.variant.0)
        .bind(lease.account_id.0)
        .bind(group.0)
        .bind(round)
        .bind(&key)
        .bind(&post.content_hash)
        .bind(&lease.holder)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(match claimed {
            Some((id, attempts)) => Claim::Claimed(ClaimedPost {
                id: PostId(id),
                round: post.round,
                variant: post.variant,
                attempts,
                random_id: send_random_id(&key),
            }),
            None => Claim::Taken,
        })
    }

    /// Completes a claimed post with its consequence, in one transaction: the post's
    /// state (sent with the message id, skipped or failed with the reason, the retry
    /// time), the account (FloodWait, strikes, cool-down, status, last activity), the
    /// membership (slow mode, last post, left / banned), the group (banned,
    /// inaccessible, cannot post; banned once enough accounts reported an ambiguous
    /// ban there, [`BanReport`]) and the event.
    ///
    /// Locks: [`check_lease`] first (fails with [`StoreError::LeaseLost`] and writes
    /// nothing if the lease moved on, so a zombie holder never completes a post), then
    /// the group row `FOR UPDATE` (the same order as [`Store::claim_post`]), then the
    /// post, account and membership rows by key. Fails with [`StoreError::Invalid`] if
    /// the post is no longer this account's pending post.
    pub async fn complete_post(
        &self,
        lease: &Lease,
        completion: &PostCompletion<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let consequence = completion.consequence;
        let account = lease.account_id.0;
        let group = completion.group.0;
        let mut tx = self.pool.begin().await?;
        check_lease(&mut tx, lease, now).await?;
        sqlx::query("SELECT id FROM groups WHERE id = $1 FOR UPDATE")
            .bind(group)
            .execute(&mut *tx)
            .await?;
        let updated = sqlx::query(
            "UPDATE posts
                SET state = $2, error_code = $3, telegram_message_id = $4,
                    sent_at = CASE WHEN $2 = 'sent' THEN $5::timestamptz END,
                    completed_at = $5, retry_at = $6
              WHERE id = $1 AND state = 'pending' AND account_id = $7",
        )
        .bind(completion.post.0)
        .bind(consequence.state.as_str())
        .bind(&consequence.error_code)
        .bind(completion.telegram_message_id)
        .bind(now)
        .bind(consequence.retry_at)
        .bind(account)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::invalid(
                format!("post {}", completion.post),
                "is not this account's pending post",
            ));
        }
        sqlx::query(
            "UPDATE accounts
                SET post_flood_until = coalesce($2, post_flood_until),
                    post_strikes = coalesce($3, post_strikes),
                    post_cooldown_until = coalesce($4, post_cooldown_until),
                    last_activity = $5,
                    updated_at = now()
              WHERE id = $1",
        )
        .bind(account)
        .bind(consequence.post_flood_until)
        .bind(
            consequence
                .strikes
                .map(|strikes| i32::try_from(strikes).unwrap_or(i32::MAX)),
        )
        .bind(consequence.cooldown_until)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if let Some((status, reason)) = &consequence.account_status {
            sqlx::query(
                "UPDATE accounts SET status = $2, status_reason = $3, updated_at = now() WHERE id = $1",
            )
            .bind(account)
            .bind(status.as_str())
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        }
        let membership_state = consequence.membership.and_then(|mark| match mark {
            MembershipMark::Left => Some("left"),
            MembershipMark::Banned => Some("banned"),
            MembershipMark::JoinFirst => Some("pending"),
            MembershipMark::PeerStale => None,
        });
        let forget_peer = consequence.membership == Some(MembershipMark::PeerStale);
        let sent = consequence.state == PostState::Sent;
        sqlx::query(
            "UPDATE memberships
                SET next_send_at = coalesce($3, next_send_at),
                    slow_mode_secs = coalesce($4, slow_mode_secs),
                    last_post_at = CASE WHEN $5 THEN $6 ELSE last_post_at END,
                    state = coalesce($7, state),
                    peer_id = CASE WHEN $8 THEN NULL ELSE peer_id END,
                    access_hash = CASE WHEN $8 THEN NULL ELSE access_hash END,
                    updated_at = now()
              WHERE account_id = $1 AND group_id = $2",
        )
        .bind(account)
        .bind(group)
        .bind(consequence.next_send_at)
        .bind(
            completion
                .slow_mode_secs
                .map(|secs| i32::try_from(secs).unwrap_or(i32::MAX)),
        )
        .bind(sent)
        .bind(now)
        .bind(membership_state)
        .bind(forget_peer)
        .execute(&mut *tx)
        .await?;
        if let Some(GroupMark::RefusesContent(kind, reason)) = &consequence.group {
            sqlx::query(
                "INSERT INTO group_refused_content (group_id, kind, reason, refused_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (group_id, kind) DO UPDATE SET reason = $3, refused_at = $4",
            )
            .bind(group)
            .bind(kind.as_str())
            .bind(reason)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        } else if let Some(mark) = &consequence.group {
            let (status, reason) = match mark {
                GroupMark::Banned(reason) => (Some("banned"), reason),
                GroupMark::Inaccessible(reason) => (Some("inaccessible"), reason),
                GroupMark::CannotPost(reason) | GroupMark::RefusesContent(_, reason) => {
                    (None, reason)
                }
            };
            sqlx::query(
                "UPDATE groups
                    SET status = coalesce($2, status), can_post = false, status_reason = $3,
                        updated_at = now()
                  WHERE id = $1",
            )
            .bind(group)
            .bind(status)
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(report) = &consequence.ban_report {
            report_ban(&mut tx, group, account, report, now).await?;
        }
        record_event(&mut tx, completion.event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The content kinds `group` refuses, in the order they were recorded.
    ///
    /// Locks: none (one `SELECT`).
    pub async fn refused_content(&self, group: GroupId) -> Result<Vec<ContentKind>, StoreError> {
        let kinds: Vec<String> = sqlx::query_scalar(
            "SELECT kind FROM group_refused_content WHERE group_id = $1 ORDER BY refused_at, kind",
        )
        .bind(group.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(kinds
            .iter()
            .filter_map(|kind| ContentKind::from_stored(kind))
            .collect())
    }

    /// Turns the lease's account's `pending` posts into `unknown`: while we hold the
    /// lease and have claimed nothing yet, any pending post of the account was left by
    /// an earlier holder that died between claim and completion. Its outcome is
    /// unknown, so it is never resent within its round. Returns the posts changed.
    ///
    /// Locks: [`check_lease`], then the account's pending post rows (`UPDATE`).
    pub async fn abandon_pending_of(
        &self,
        lease: &Lease,
        now: DateTime<Utc>,
    ) -> Result<Vec<PostId>, StoreError> {
        let mut tx = self.pool.begin().await?;
        check_lease(&mut tx, lease, now).await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "UPDATE posts SET state = 'unknown', completed_at = $2
              WHERE account_id = $1 AND state = 'pending'
             RETURNING id",
        )
        .bind(lease.account_id.0)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ids.into_iter().map(PostId).collect())
    }

    /// Turns every `pending` post claimed at least `older_than` ago whose account has
    /// no live lease at `now` into `unknown` (a crash between claim and completion;
    /// never resent within its round). Returns the posts and their accounts' labels.
    ///
    /// Locks: one `UPDATE`; a concurrent lease takeover is harmless (the new holder
    /// abandons the same rows itself, [`Store::abandon_pending_of`]).
    pub async fn sweep_stale_pending(
        &self,
        now: DateTime<Utc>,
        older_than: Duration,
    ) -> Result<Vec<(PostId, String)>, StoreError> {
        let age = TimeDelta::from_std(older_than)
            .map_err(|_| StoreError::invalid("pending age", "too long"))?;
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "UPDATE posts p SET state = 'unknown', completed_at = $1
              FROM accounts a
              WHERE a.id = p.account_id AND p.state = 'pending' AND p.created_at <= $2
                AND NOT EXISTS (SELECT 1 FROM account_leases l
                                 WHERE l.account_id = p.account_id AND l.expires_at > $1)
             RETURNING p.id, a.label",
        )
        .bind(now)
        .bind(now - age)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(post, label)| (PostId(post), label))
            .collect())
    }

    /// Campaign posts matching `filter`, by id (one-off sends are read with their
    /// requests, [`Store::message_request`]). Reads without locking.
    pub async fn list_posts(&self, filter: &PostFilter) -> Result<Vec<Post>, StoreError> {
        sqlx::query_as::<_, PostRow>(
            "SELECT id, campaign_id, variant_id, account_id, group_id, round, idempotency_key,
                    content_hash, state, error_code, telegram_message_id, claimed_by, created_at,
                    sent_at, completed_at, retry_at, attempts
               FROM posts
              WHERE campaign_id IS NOT NULL AND ($1::bigint IS NULL OR campaign_id = $1)
                AND ($2::bigint IS NULL OR group_id = $2)
                AND ($3::bigint IS NULL OR account_id = $3)
              ORDER BY id",
        )
        .bind(filter.campaign.map(|id| id.0))
        .bind(filter.group.map(|id| id.0))
        .bind(filter.account.map(|id| id.0))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(Post::try_from)
        .collect()
    }

    /// The account's stored peer of a source channel (`handle` as [`GroupHandle::key`]).
    /// Reads without locking.
    pub async fn source_peer(
        &self,
        account: AccountId,
        handle: &str,
    ) -> Result<Option<StoredPeer>, StoreError> {
        let row: Option<(i64, i64, String)> = sqlx::query_as(
            "SELECT peer_id, access_hash, peer_kind FROM source_peers WHERE account_id = $1 AND handle = $2",
        )
        .bind(account.0)
        .bind(handle)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id, access_hash, kind)| StoredPeer {
            id,
            access_hash,
            kind,
        }))
    }

    /// Stores the account's peer of a source channel. Relies on the primary key
    /// `(account_id, handle)`: `INSERT .. ON CONFLICT DO UPDATE` (a re-resolve replaces it).
    pub async fn save_source_peer(
        &self,
        account: AccountId,
        handle: &str,
        peer: &StoredPeer,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO source_peers (account_id, handle, peer_id, access_hash, peer_kind, resolved_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (account_id, handle) DO UPDATE
                SET peer_id = EXCLUDED.peer_id, access_hash = EXCLUDED.access_hash,
                    peer_kind = EXCLUDED.peer_kind, resolved_at = EXCLUDED.resolved_at",
        )
        .bind(account.0)
        .bind(handle)
        .bind(peer.id)
        .bind(peer.access_hash)
        .bind(&peer.kind)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stores the peer an account resolved for a group it is joined to (invariant 6:
    /// resolved once). Locks the membership row by key (single-row `UPDATE`).
    pub async fn save_membership_peer(
        &self,
        account: AccountId,
        group: GroupId,
        peer: &StoredPeer,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE memberships SET peer_id = $3, access_hash = $4, peer_kind = $5, updated_at = now()
              WHERE account_id = $1 AND group_id = $2",
        )
        .bind(account.0)
        .bind(group.0)
        .bind(peer.id)
        .bind(peer.access_hash)
        .bind(&peer.kind)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Records `account`'s report of an ambiguous ban in `group` and closes the group when
/// `report.witnesses` distinct accounts reported it since `report.since`. Runs inside
/// [`Store::complete_post`]'s transaction, which holds the group row `FOR UPDATE`, so
/// two accounts' reports are counted one after the other.
async fn report_ban(
    tx: &mut PgConnection,
    group: i64,
    account: i64,
    report: &BanReport,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO group_ban_reports (group_id, account_id, name, reported_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (group_id, account_id) DO UPDATE SET name = $3, reported_at = $4",
    )
    .bind(group)
    .bind(account)
    .bind(&report.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let witnesses: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM group_ban_reports WHERE group_id = $1 AND reported_at > $2",
    )
    .bind(group)
    .bind(report.since)
    .fetch_one(&mut *tx)
    .await?;
    if witnesses >= i64::from(report.witnesses) {
        sqlx::query(
            "UPDATE groups
                SET status = 'banned', can_post = false, updated_at = now(),
                    status_reason = $2 || ' for ' || $3 || ' accounts'
              WHERE id = $1",
        )
        .bind(group)
        .bind(&report.name)
        .bind(witnesses.to_string())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
