//! One-off sends (`message_requests`, `POST /api/v1/messages`) and connectivity
//! checks of one account (`account_checks`): rows the console writes and a marketer
//! carries out under the account's lease.
//!
//! A send is a row of `posts` without a campaign (`message_request_id`, round 0,
//! idempotency key `message:<the request's key>`), so caps, gaps, slow mode, the
//! in-flight rule and crash recovery (pending becomes unknown, never resent) count it
//! exactly as a campaign post.

use crate::error::decode_status;
use crate::groups::GroupRow;
use crate::posts::posting_accounts_on;
use crate::{Group, Lease, PostingAccount, Store, StoreError, StoredPeer, check_lease};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use tgfleet_domain::post_outcome::send_random_id;
use tgfleet_domain::{
    AccountCheckId, AccountId, BodyFormat, GroupHandle, GroupId, GroupStatus, MembershipState,
    MessageRequestId, PostId, PostState, VariantContent, VariantKind, VariantText,
};

/// A one-off send to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    /// The caller's `Idempotency-Key`.
    pub idempotency_key: String,
    /// A digest of the request as the caller sent it: the same key with another
    /// request is refused.
    pub request_hash: String,
    /// The group to send to.
    pub group: GroupId,
    /// The account to send as.
    pub account: AccountId,
    /// A text, photo or document (forwards and copies are campaign variants only).
    pub content: VariantContent,
    /// How the text or caption is formatted.
    pub format: BodyFormat,
    /// [`tgfleet_domain::campaign::Content::hash`] of what readers see.
    pub content_hash: String,
    /// Who asked (the audit actor).
    pub requested_by: String,
}

/// What [`Store::request_message`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageRequested {
    /// A new request.
    Created(MessageRequestId),
    /// The same key with the same request: the earlier one stands.
    Repeated(MessageRequestId),
    /// The same key with another request: nothing written.
    KeyReused(MessageRequestId),
}

/// The post of a one-off send (absent until a marketer claims it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessagePost {
    /// The post row.
    pub id: PostId,
    /// Pending (claimed, being sent), sent, skipped, failed or unknown.
    pub state: PostState,
    /// Why it was not sent.
    pub error_code: Option<String>,
    /// Nothing was sent; tried again from then.
    pub retry_at: Option<DateTime<Utc>>,
    /// Telegram's message id.
    pub telegram_message_id: Option<i32>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the last attempt ended.
    pub completed_at: Option<DateTime<Utc>>,
    /// Claims so far.
    pub attempts: i32,
}

/// A row of `message_requests` with its post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageRequest {
    /// Primary key.
    pub id: MessageRequestId,
    /// The caller's key.
    pub idempotency_key: String,
    /// The group.
    pub group_id: GroupId,
    /// Its handle.
    pub group_handle: GroupHandle,
    /// The account it is sent as.
    pub account_id: AccountId,
    /// Its label.
    pub account_label: String,
    /// What is sent.
    pub content: VariantContent,
    /// How the text is formatted.
    pub format: BodyFormat,
    /// The content fingerprint.
    pub content_hash: String,
    /// Who asked.
    pub requested_by: String,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// Still to be sent (or retried).
    pub open: bool,
    /// Its post, once claimed.
    pub post: Option<MessagePost>,
}

impl MessageRequest {
    /// The post's idempotency key: `message:<the request's key>`.
    pub fn post_key(&self) -> String {
        format!("message:{}", self.idempotency_key)
    }

    /// The send's `random_id`, derived from the request's idempotency key: the same
    /// for every attempt, so that Telegram never posts it twice.
    pub fn random_id(&self) -> i64 {
        send_random_id(&self.post_key())
    }
}

/// The group as a one-off send to it sees it, read with the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageChat {
    /// The group's status.
    pub group_status: GroupStatus,
    /// Whether members can post there (the reviewer's and the marketer's finding).
    pub can_post: bool,
    /// The account's membership, if any.
    pub membership: Option<MembershipState>,
    /// The account's stored peer of the group.
    pub peer: Option<StoredPeer>,
    /// Slow mode allows this account's next message then.
    pub next_send_at: Option<DateTime<Utc>>,
    /// The last message in the group by any account of the fleet.
    pub chat_last_post: Option<DateTime<Utc>>,
    /// A post to the group is claimed and not completed.
    pub in_flight: bool,
}

/// An open request with its group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueMessage {
    /// The request.
    pub request: MessageRequest,
    /// Its group, for this account.
    pub chat: MessageChat,
}

/// What a claim's decision sees, read inside its transaction.
#[derive(Clone, Debug)]
pub struct MessageClaimSnapshot {
    /// The account, if still active or resting.
    pub account: Option<PostingAccount>,
    /// The request, if still open and this account's, with its group.
    pub due: Option<DueMessage>,
}

/// What the claim's decision answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageDecision {
    /// Record the post as pending: it is sent now.
    Claim,
    /// Not now; nothing is written.
    Wait,
    /// Never: the post is recorded as skipped with this reason, nothing is sent.
    Skip(String),
}

/// How [`Store::claim_message`] ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageClaim {
    /// The post is ours and pending: send it, then complete it.
    Claimed {
        /// The post row.
        post: PostId,
        /// The request.
        due: Box<DueMessage>,
    },
    /// Recorded as skipped (nothing sent).
    Skipped(PostId),
    /// Nothing written: not now, or another replica took it.
    Declined,
}

/// A connectivity check of one account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountCheck {
    /// Primary key.
    pub id: AccountCheckId,
    /// The account.
    pub account_id: AccountId,
    /// Its label.
    pub account_label: String,
    /// Who asked.
    pub requested_by: String,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// The replica that answered under the account's lease.
    pub answered_by: Option<String>,
    /// When.
    pub answered_at: Option<DateTime<Utc>>,
    /// `ok` or `failed` (`None`: waiting).
    pub outcome: Option<String>,
    /// Who the account is (`ok`) or why it failed, never a secret.
    pub detail: Option<String>,
}

#[derive(sqlx::FromRow)]
struct CheckRow {
    id: i64,
    account_id: i64,
    account_label: String,
    requested_by: String,
    requested_at: DateTime<Utc>,
    answered_by: Option<String>,
    answered_at: Option<DateTime<Utc>>,
    outcome: Option<String>,
    detail: Option<String>,
}

impl From<CheckRow> for AccountCheck {
    fn from(row: CheckRow) -> Self {
        Self {
            id: AccountCheckId(row.id),
            account_id: AccountId(row.account_id),
            account_label: row.account_label,
            requested_by: row.requested_by,
            requested_at: row.requested_at,
            answered_by: row.answered_by,
            answered_at: row.answered_at,
            outcome: row.outcome,
            detail: row.detail,
        }
    }
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: i64,
    idempotency_key: String,
    group_id: i64,
    handle: String,
    account_id: i64,
    label: String,
    kind: String,
    text_format: String,
    body: String,
    media_path: Option<String>,
    content_hash: String,
    requested_by: String,
    requested_at: DateTime<Utc>,
    open: bool,
    post_id: Option<i64>,
    post_state: Option<String>,
    error_code: Option<String>,
    retry_at: Option<DateTime<Utc>>,
    telegram_message_id: Option<i32>,
    sent_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    attempts: Option<i32>,
    group_status: String,
    can_post: bool,
    membership: Option<String>,
    peer_id: Option<i64>,
    access_hash: Option<i64>,
    peer_kind: Option<String>,
    next_send_at: Option<DateTime<Utc>>,
    chat_last_post: Option<DateTime<Utc>>,
    in_flight: bool,
}

const REQUEST_SELECT: &str = "
    SELECT r.id, r.idempotency_key, r.group_id, g.handle, r.account_id, a.label, r.kind,
           r.text_format, r.body, r.media_path, r.content_hash, r.requested_by, r.requested_at,
           r.open, p.id AS post_id, p.state AS post_state, p.error_code, p.retry_at,
           p.telegram_message_id, p.sent_at, p.completed_at, p.attempts,
           g.status AS group_status, g.can_post, m.state AS membership, m.peer_id,
           m.access_hash, m.peer_kind, m.next_send_at,
           (SELECT coalesce(q.sent_at, q.created_at) FROM posts q
             WHERE q.group_id = g.id AND q.state IN ('sent', 'pending', 'unknown')
             ORDER BY q.created_at DESC LIMIT 1) AS chat_last_post,
           EXISTS (SELECT 1 FROM posts q WHERE q.group_id = g.id AND q.state = 'pending') AS in_flight
      FROM message_requests r
      JOIN groups g ON g.id = r.group_id
      JOIN accounts a ON a.id = r.account_id
      LEFT JOIN posts p ON p.message_request_id = r.id
      LEFT JOIN memberships m ON m.account_id = r.account_id AND m.group_id = r.group_id";

impl TryFrom<RequestRow> for DueMessage {
    type Error = StoreError;

    fn try_from(row: RequestRow) -> Result<Self, StoreError> {
        let invalid = |column: &str, error: String| StoreError::invalid(column, error);
        let kind: VariantKind = decode_status("message_requests.kind", &row.kind)?;
        let text = |body: &str| match kind {
            VariantKind::Text => VariantText::message(body),
            _ => VariantText::caption(body),
        };
        let body =
            text(&row.body).map_err(|error| invalid("message_requests.body", error.to_string()))?;
        let content = match (kind, row.media_path) {
            (VariantKind::Text, None) => VariantContent::Text(body),
            (VariantKind::Photo, Some(path)) => VariantContent::Photo {
                path,
                caption: body,
            },
            (VariantKind::Document, Some(path)) => VariantContent::Document {
                path,
                caption: body,
            },
            _ => {
                return Err(invalid(
                    "message_requests.kind",
                    format!("{kind} without its file"),
                ));
            }
        };
        let post = match (row.post_id, row.post_state) {
            (Some(id), Some(state)) => Some(MessagePost {
                id: PostId(id),
                state: decode_status("posts.state", &state)?,
                error_code: row.error_code,
                retry_at: row.retry_at,
                telegram_message_id: row.telegram_message_id,
                sent_at: row.sent_at,
                completed_at: row.completed_at,
                attempts: row.attempts.unwrap_or(1),
            }),
            _ => None,
        };
        let request = MessageRequest {
            id: MessageRequestId(row.id),
            idempotency_key: row.idempotency_key,
            group_id: GroupId(row.group_id),
            group_handle: GroupHandle::parse(&row.handle)
                .map_err(|error| invalid("groups.handle", error.to_string()))?,
            account_id: AccountId(row.account_id),
            account_label: row.label,
            content,
            format: decode_status("message_requests.text_format", &row.text_format)?,
            content_hash: row.content_hash,
            requested_by: row.requested_by,
            requested_at: row.requested_at,
            open: row.open,
            post,
        };
        let chat = MessageChat {
            group_status: decode_status("groups.status", &row.group_status)?,
            can_post: row.can_post,
            membership: row
                .membership
                .as_deref()
                .map(|state| decode_status("memberships.state", state))
                .transpose()?,
            peer: StoredPeer::from_columns(row.peer_id, row.access_hash, row.peer_kind),
            next_send_at: row.next_send_at,
            chat_last_post: row.chat_last_post,
            in_flight: row.in_flight,
        };
        Ok(Self { request, chat })
    }
}

async fn due_on(
    conn: &mut PgConnection,
    only: Option<MessageRequestId>,
) -> Result<Vec<DueMessage>, StoreError> {
    sqlx::query_as::<_, RequestRow>(sqlx::AssertSqlSafe(format!(
        "{REQUEST_SELECT}
          WHERE r.open AND (p.id IS NULL OR p.retry_at IS NOT NULL)
            AND ($1::bigint IS NULL OR r.id = $1)
          ORDER BY r.requested_at, r.id"
    )))
    .bind(only.map(|id| id.0))
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(DueMessage::try_from)
    .collect()
}

const CHECK_SELECT: &str = "
    SELECT c.id, c.account_id, a.label AS account_label, c.requested_by, c.requested_at,
           c.answered_by, c.answered_at, c.outcome, c.detail
      FROM account_checks c JOIN accounts a ON a.id = c.account_id";

impl Store {
    /// Records a one-off send, or finds the request its key already names.
    ///
    /// Relies on `UNIQUE (idempotency_key)`: `INSERT .. ON CONFLICT DO NOTHING`, then
    /// the existing row's `request_hash` says whether it is the same request. No lock
    /// beyond the insert's; a repeat never writes.
    pub async fn request_message(
        &self,
        message: &NewMessage,
        now: DateTime<Utc>,
    ) -> Result<MessageRequested, StoreError> {
        let content = &message.content;
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO message_requests (idempotency_key, request_hash, group_id, account_id, kind,
                                           text_format, body, media_path, content_hash,
                                           requested_by, requested_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (idempotency_key) DO NOTHING
             RETURNING id",
        )
        .bind(&message.idempotency_key)
        .bind(&message.request_hash)
        .bind(message.group.0)
        .bind(message.account.0)
        .bind(content.kind().as_str())
        .bind(message.format.as_str())
        .bind(content.body())
        .bind(content.media_path())
        .bind(&message.content_hash)
        .bind(&message.requested_by)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(id) = inserted {
            return Ok(MessageRequested::Created(MessageRequestId(id)));
        }
        let (id, hash): (i64, String) = sqlx::query_as(
            "SELECT id, request_hash FROM message_requests WHERE idempotency_key = $1",
        )
        .bind(&message.idempotency_key)
        .fetch_one(&self.pool)
        .await?;
        let id = MessageRequestId(id);
        Ok(if hash == message.request_hash {
            MessageRequested::Repeated(id)
        } else {
            MessageRequested::KeyReused(id)
        })
    }

    /// The one-off send `id` with its post. Reads without locking.
    pub async fn message_request(
        &self,
        id: MessageRequestId,
    ) -> Result<Option<MessageRequest>, StoreError> {
        sqlx::query_as::<_, RequestRow>(sqlx::AssertSqlSafe(format!(
            "{REQUEST_SELECT} WHERE r.id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| DueMessage::try_from(row).map(|due| due.request))
        .transpose()
    }

    /// The latest one-off sends, newest first. Reads without locking.
    pub async fn message_requests(&self, limit: u32) -> Result<Vec<MessageRequest>, StoreError> {
        sqlx::query_as::<_, RequestRow>(sqlx::AssertSqlSafe(format!(
            "{REQUEST_SELECT} ORDER BY r.id DESC LIMIT $1"
        )))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|row| DueMessage::try_from(row).map(|due| due.request))
        .collect()
    }

    /// Open one-off sends that may be claimed (never claimed, or waiting for a retry),
    /// oldest first, each with its group as its account sees it. Reads without locking.
    pub async fn due_messages(&self) -> Result<Vec<DueMessage>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        due_on(&mut conn, None).await
    }

    /// The group with this handle, if any. Reads without locking.
    pub async fn group_by_handle(&self, handle: &GroupHandle) -> Result<Option<Group>, StoreError> {
        sqlx::query_as::<_, GroupRow>(
            "SELECT g.id, g.handle, g.kind, g.title, g.tags, g.status, g.status_reason, g.can_post,
                    a.label AS responsible_account, g.last_reviewed_at, g.created_at
               FROM groups g LEFT JOIN accounts a ON a.id = g.responsible_account_id
              WHERE g.handle = $1",
        )
        .bind(handle.key())
        .fetch_optional(&self.pool)
        .await?
        .map(Group::try_from)
        .transpose()
    }

    /// Claims one-off send `id` for the lease's account: in one transaction, re-reads
    /// the account and the request with its group, asks `decide`, and records the
    /// post as `pending` (to send now) or `skipped` (never).
    ///
    /// Locks: [`check_lease`], then the group row `FOR UPDATE` (the order of
    /// [`Store::claim_post`], which serialises every claim in one group fleet-wide).
    /// Relies on `UNIQUE (idempotency_key)`: a post that exists is taken over only when
    /// its last attempt sent nothing and asked to be retried by now.
    pub async fn claim_message(
        &self,
        lease: &Lease,
        id: MessageRequestId,
        group: GroupId,
        now: DateTime<Utc>,
        decide: impl FnOnce(&MessageClaimSnapshot) -> MessageDecision,
    ) -> Result<MessageClaim, StoreError> {
        let mut tx = self.pool.begin().await?;
        check_lease(&mut tx, lease, now).await?;
        sqlx::query("SELECT id FROM groups WHERE id = $1 FOR UPDATE")
            .bind(group.0)
            .execute(&mut *tx)
            .await?;
        let account = posting_accounts_on(&mut tx, now, Some(lease.account_id))
            .await?
            .pop();
        let due = due_on(&mut tx, Some(id))
            .await?
            .pop()
            .filter(|due| due.request.account_id == lease.account_id);
        let snapshot = MessageClaimSnapshot { account, due };
        let (state, reason) = match decide(&snapshot) {
            MessageDecision::Wait => return Ok(MessageClaim::Declined),
            MessageDecision::Claim => (PostState::Pending, None),
            MessageDecision::Skip(reason) => (PostState::Skipped, Some(reason)),
        };
        let Some(due) = snapshot.due else {
            return Ok(MessageClaim::Declined);
        };
        let request = &due.request;
        let claimed: Option<i64> = sqlx::query_scalar(
            "INSERT INTO posts (account_id, group_id, round, idempotency_key, content_hash, state,
                                error_code, claimed_by, created_at, completed_at, message_request_id)
             VALUES ($1, $2, 0, $3, $4, $5, $6, $7, $8,
                     CASE WHEN $5 = 'pending' THEN NULL ELSE $8::timestamptz END, $9)
             ON CONFLICT (idempotency_key) DO UPDATE
                SET account_id = EXCLUDED.account_id,
                    state = EXCLUDED.state,
                    error_code = EXCLUDED.error_code,
                    telegram_message_id = NULL,
                    claimed_by = EXCLUDED.claimed_by,
                    created_at = EXCLUDED.created_at,
                    completed_at = EXCLUDED.completed_at,
                    retry_at = NULL,
                    attempts = posts.attempts + 1
              WHERE posts.retry_at IS NOT NULL AND posts.retry_at <= EXCLUDED.created_at
             RETURNING id",
        )
        .bind(lease.account_id.0)
        .bind(request.group_id.0)
        .bind(request.post_key())
        .bind(&request.content_hash)
        .bind(state.as_str())
        .bind(reason)
        .bind(&lease.holder)
        .bind(now)
        .bind(request.id.0)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(match (claimed, state) {
            (None, _) => MessageClaim::Declined,
            (Some(post), PostState::Pending) => MessageClaim::Claimed {
                post: PostId(post),
                due: Box::new(due),
            },
            (Some(post), _) => MessageClaim::Skipped(PostId(post)),
        })
    }

    /// Asks for a connectivity check of `account`. One `INSERT`; its trigger notifies
    /// `tgfleet_changes`.
    pub async fn request_account_check(
        &self,
        account: AccountId,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<AccountCheck, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO account_checks (account_id, requested_by, requested_at)
             VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(account.0)
        .bind(by)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        self.account_check(AccountCheckId(id))
            .await?
            .ok_or_else(|| StoreError::not_found(format!("account check {id}")))
    }

    /// Check `id`. Reads without locking.
    pub async fn account_check(
        &self,
        id: AccountCheckId,
    ) -> Result<Option<AccountCheck>, StoreError> {
        Ok(sqlx::query_as::<_, CheckRow>(sqlx::AssertSqlSafe(format!(
            "{CHECK_SELECT} WHERE c.id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .map(AccountCheck::from))
    }

    /// The latest checks of `account` (all accounts when `None`), newest first.
    /// Reads without locking.
    pub async fn account_checks(
        &self,
        account: Option<AccountId>,
        limit: u32,
    ) -> Result<Vec<AccountCheck>, StoreError> {
        Ok(sqlx::query_as::<_, CheckRow>(sqlx::AssertSqlSafe(format!(
            "{CHECK_SELECT} WHERE ($1::bigint IS NULL OR c.account_id = $1)
              ORDER BY c.id DESC LIMIT $2"
        )))
        .bind(account.map(|id| id.0))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(AccountCheck::from)
        .collect())
    }

    /// Unanswered checks, oldest first. Reads without locking.
    pub async fn open_account_checks(&self) -> Result<Vec<AccountCheck>, StoreError> {
        Ok(sqlx::query_as::<_, CheckRow>(sqlx::AssertSqlSafe(format!(
            "{CHECK_SELECT} WHERE c.answered_at IS NULL ORDER BY c.id"
        )))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(AccountCheck::from)
        .collect())
    }

    /// Answers the lease's account's open checks (every one asked so far: one
    /// connection answers them all). Returns how many.
    ///
    /// Locks: [`check_lease`] (a zombie holder answers nothing), then the open check
    /// rows of the account (`UPDATE`).
    pub async fn answer_account_checks(
        &self,
        lease: &Lease,
        ok: bool,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        check_lease(&mut tx, lease, now).await?;
        let answered = sqlx::query(
            "UPDATE account_checks SET answered_by = $2, answered_at = $3, outcome = $4, detail = $5
              WHERE account_id = $1 AND answered_at IS NULL",
        )
        .bind(lease.account_id.0)
        .bind(&lease.holder)
        .bind(now)
        .bind(if ok { "ok" } else { "failed" })
        .bind(detail)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(answered)
    }

    /// Answers the open checks of `account` without connecting, when no connection
    /// may be opened safely (the account is not active or resting). One `UPDATE`.
    pub async fn refuse_account_checks(
        &self,
        account: AccountId,
        holder: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE account_checks SET answered_by = $2, answered_at = $3, outcome = 'failed', detail = $4
              WHERE account_id = $1 AND answered_at IS NULL",
        )
        .bind(account.0)
        .bind(holder)
        .bind(now)
        .bind(reason)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }
}
