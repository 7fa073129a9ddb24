//! `/api/v1/messages`: one-off sends through the fleet (a webhook's "send this message",
//! done right). The console checks the request, records it once per `Idempotency-Key`
//! and answers; a marketer sends it under the account's lease with a campaign post's
//! rules (pre-check, caps, gaps, slow mode, at most once). The console never talks
//! to Telegram.

use crate::api::campaigns::{AddVariant, new_variant, save_media};
use crate::auth::{Caller, Writer};
use crate::error::ApiError;
use crate::payload::Payload;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tgfleet_domain::{GroupHandle, GroupId, MessageRequestId, PostState, VariantKind};
use tgfleet_store::{MessageRequest, MessageRequested, NewMessage};

/// The header that makes a send idempotent.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// `POST /api/v1/messages` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// The group: its id in the catalogue, or its handle (`@name`, `t.me/name`, `+HASH`).
    pub chat: serde_json::Value,
    /// The account to send as (default: the group's responsible account).
    pub account: Option<String>,
    /// `text` (default), `photo` or `document`.
    pub kind: Option<String>,
    /// The text, or the caption of a photo or document.
    #[serde(default)]
    pub text: String,
    /// `plain` (default), `markdown` or `html`.
    pub format: Option<String>,
    /// The file's bytes in base64 (photo, document).
    pub media_base64: Option<String>,
    /// The file's name (photo, document).
    pub file_name: Option<String>,
}

/// A one-off send and its outcome.
#[derive(Clone, Debug, Serialize)]
pub struct MessageView {
    /// Its id (`GET /api/v1/messages/{id}`).
    pub id: i64,
    /// The caller's `Idempotency-Key`.
    pub idempotency_key: String,
    /// The group's id.
    pub group_id: i64,
    /// The group's handle.
    pub chat: String,
    /// The account it is sent as.
    pub account: String,
    /// `text`, `photo` or `document`.
    pub kind: String,
    /// `pending` (waiting for the account's and the group's rules, or being sent),
    /// `sent`, `skipped` (the pre-check said no), `failed` or `unknown` (it may have
    /// gone out without an answer: never resent).
    pub state: String,
    /// Why it was not sent (or why the last attempt was not).
    pub reason: Option<String>,
    /// When a waiting send is tried again.
    pub retry_at: Option<DateTime<Utc>>,
    /// Telegram's message id, once sent.
    pub telegram_message_id: Option<i32>,
    /// Who asked.
    pub requested_by: String,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the last attempt ended.
    pub completed_at: Option<DateTime<Utc>>,
    /// Attempts so far.
    pub attempts: i32,
}

impl From<MessageRequest> for MessageView {
    fn from(request: MessageRequest) -> Self {
        let post = request.post.as_ref();
        // Open: never claimed, being sent, or nothing sent yet and tried again.
        let state = match post {
            Some(post) if !request.open => post.state,
            _ => PostState::Pending,
        };
        Self {
            id: request.id.0,
            idempotency_key: request.idempotency_key,
            group_id: request.group_id.0,
            chat: request.group_handle.to_string(),
            account: request.account_label,
            kind: request.content.kind().as_str().to_owned(),
            state: state.as_str().to_owned(),
            reason: post.and_then(|post| post.error_code.clone()),
            retry_at: post.and_then(|post| post.retry_at),
            telegram_message_id: post.and_then(|post| post.telegram_message_id),
            requested_by: request.requested_by,
            requested_at: request.requested_at,
            sent_at: post.and_then(|post| post.sent_at),
            completed_at: post.and_then(|post| post.completed_at),
            attempts: post.map_or(0, |post| post.attempts),
        }
    }
}

/// The `Idempotency-Key` header: required, 1-200 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let bad = |message: &str| {
        let mut error = ApiError::field(IDEMPOTENCY_KEY, message);
        error.status = StatusCode::BAD_REQUEST;
        error
    };
    let value = headers.get(IDEMPOTENCY_KEY).ok_or_else(|| {
        bad("required: a key of your choice, the same for every repeat of this send")
    })?;
    let key = value
        .to_str()
        .map_err(|_| bad("use visible ASCII characters"))?
        .trim();
    if key.is_empty() || key.len() > 200 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(bad("use 1-200 visible ASCII characters"));
    }
    Ok(key.to_owned())
}

/// The group a request names: an id, or a handle in the catalogue.
async fn chat_of(
    state: &AppState,
    chat: &serde_json::Value,
) -> Result<tgfleet_store::Group, ApiError> {
    let group = match chat {
        serde_json::Value::Number(number) => {
            let id = number
                .as_i64()
                .ok_or_else(|| ApiError::field("chat", "not a group id"))?;
            state.store.group_by_id(GroupId(id)).await?
        }
        serde_json::Value::String(text) => {
            let handle = GroupHandle::parse(text.trim())
                .map_err(|error| ApiError::field("chat", error.to_string()))?;
            state.store.group_by_handle(&handle).await?
        }
        _ => {
            return Err(ApiError::field(
                "chat",
                "a group id or a handle such as @name",
            ));
        }
    };
    group.ok_or_else(|| ApiError::field("chat", "no such group in the catalogue"))
}

/// Checks and records a one-off send for `writer` (audited when new). Returns the
/// request and whether it is new; a repeat with the same key and request returns the
/// first one and writes nothing.
pub async fn request_send(
    state: &AppState,
    writer: &Writer,
    key: String,
    request: &SendMessage,
) -> Result<(MessageView, bool), ApiError> {
    let variant = AddVariant {
        kind: request.kind.clone().unwrap_or_else(|| "text".to_owned()),
        text: request.text.clone(),
        format: request.format.clone(),
        media_base64: request.media_base64.clone(),
        file_name: request.file_name.clone(),
        source: None,
    };
    let (draft, media) = new_variant(&variant)?;
    if matches!(draft.kind(), VariantKind::Forward | VariantKind::Copy) {
        return Err(ApiError::field(
            "kind",
            "a one-off send is a text, photo or document",
        ));
    }
    if let Some((_, bytes)) = &media
        && bytes.len() > state.console().max_upload_bytes
    {
        return Err(ApiError::field(
            "media_base64",
            "the file is larger than console.max_upload_bytes",
        ));
    }
    let group = chat_of(state, &request.chat).await?;
    let account_label = match request.account.as_deref().map(str::trim) {
        Some("") => {
            return Err(ApiError::field(
                "account",
                "empty: omit it or name an account",
            ));
        }
        Some(label) => label.to_owned(),
        None => group.responsible_account.clone().ok_or_else(|| {
            ApiError::field(
                "account",
                format!("{} has no responsible account: name one", group.handle),
            )
        })?,
    };
    let account = state
        .store
        .account_by_label(&account_label)
        .await?
        .ok_or_else(|| ApiError::field("account", format!("no account {account_label:?}")))?;
    let content_hash = draft.content_hash().to_owned();
    let request_hash = crate::secrets::digest(&format!(
        "{}\0{}\0{content_hash}",
        group.id,
        request.account.as_deref().unwrap_or_default()
    ));
    let media_path = match media {
        Some((file_name, bytes)) => {
            Some(save_media(state, &content_hash, &file_name, &bytes).await?)
        }
        None => None,
    };
    let variant = draft.into_variant(media_path);
    let message = NewMessage {
        idempotency_key: key.clone(),
        request_hash,
        group: group.id,
        account: account.id,
        content: variant.content,
        format: variant.format,
        content_hash: variant.content_hash,
        requested_by: writer.0.actor(),
    };
    let (id, new) = match state.store.request_message(&message, Utc::now()).await? {
        MessageRequested::Created(id) => (id, true),
        MessageRequested::Repeated(id) => (id, false),
        MessageRequested::KeyReused(id) => {
            let mut error = ApiError::field(
                IDEMPOTENCY_KEY,
                format!("already used for message {id} with another request; use a new key"),
            );
            error.status = StatusCode::CONFLICT;
            return Err(error);
        }
    };
    if new {
        state
            .store
            .record_audit(&writer.0.audit(
                "message.send",
                Some(group.handle.to_string()),
                Some(format!("message {id} as {account_label}, key {key}")),
            ))
            .await?;
    }
    Ok((view(state, id).await?, new))
}

async fn view(state: &AppState, id: MessageRequestId) -> Result<MessageView, ApiError> {
    state
        .store
        .message_request(id)
        .await?
        .map(MessageView::from)
        .ok_or_else(|| ApiError::not_found(format!("message {id}")))
}

/// `POST /api/v1/messages`: 202 with the new request, or 200 with the earlier one
/// for a repeated key.
pub async fn send(
    writer: Writer,
    State(state): State<AppState>,
    headers: HeaderMap,
    Payload(request): Payload<SendMessage>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let key = idempotency_key(&headers)?;
    let (view, new) = request_send(&state, &writer, key, &request).await?;
    let status = if new {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)))
}

/// `GET /api/v1/messages`: the latest 50 one-off sends, newest first.
pub async fn list(
    _: Caller,
    State(state): State<AppState>,
) -> Result<Json<Vec<MessageView>>, ApiError> {
    Ok(Json(
        state
            .store
            .message_requests(50)
            .await?
            .into_iter()
            .map(MessageView::from)
            .collect(),
    ))
}

/// `GET /api/v1/messages/{id}`
pub async fn detail(
    _: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<MessageView>, ApiError> {
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError::field("id", "not a message id"))?;
    view(&state, MessageRequestId(id)).await.map(Json)
}
