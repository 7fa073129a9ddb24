//! `/api/v1/groups`: the catalogue with filters and search, a group's history, and
//! import with the parser and rules of `tgfleet groups import`
//! ([`tgfleet_domain::handle_list`]; any bad line: nothing is written).

use super::events::EventView;
use super::query::Params;
use crate::auth::{Caller, Writer};
use crate::error::ApiError;
use crate::payload::Payload;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tgfleet_domain::handle_list::parse_handles;
use tgfleet_domain::{GroupId, GroupStatus, normalize_tag};
use tgfleet_store::{Group, GroupSearch, ImportedGroup};

/// The largest page.
pub const MAX_PAGE: u32 = 500;

/// A group as the console shows it.
#[derive(Clone, Debug, Serialize)]
pub struct GroupView {
    /// Primary key.
    pub id: i64,
    /// The normalized handle.
    pub handle: String,
    /// Its kind, once known.
    pub kind: Option<String>,
    /// Its title, once known.
    pub title: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// `new`, `active`, `banned` or `inaccessible`.
    pub status: String,
    /// Why.
    pub status_reason: Option<String>,
    /// Whether posting is allowed.
    pub can_post: bool,
    /// The responsible account.
    pub account: Option<String>,
    /// The last audit.
    pub last_reviewed_at: Option<DateTime<Utc>>,
}

impl From<Group> for GroupView {
    fn from(group: Group) -> Self {
        Self {
            id: group.id.0,
            handle: group.handle.key(),
            kind: group.kind,
            title: group.title,
            tags: group.tags,
            status: group.status.to_string(),
            status_reason: group.status_reason,
            can_post: group.can_post,
            account: group.responsible_account,
            last_reviewed_at: group.last_reviewed_at,
        }
    }
}

/// A page of groups.
#[derive(Debug, Serialize)]
pub struct GroupPage {
    /// How many groups match.
    pub total: i64,
    /// This page.
    pub groups: Vec<GroupView>,
}

/// Reads `status`, `tag`, `q`, `can_post`, `limit` (1-500, default 100) and `offset`.
pub fn search_of(params: &Params) -> Result<GroupSearch, ApiError> {
    Ok(GroupSearch {
        status: params.parsed::<GroupStatus>("status")?,
        tag: params.text("tag"),
        text: params.text("q"),
        can_post: params.parsed::<bool>("can_post")?,
        limit: params.bounded("limit", 100, MAX_PAGE)?,
        offset: params.parsed::<u32>("offset")?.unwrap_or(0),
    })
}

/// The page of groups matching `search`.
pub async fn group_page(state: &AppState, search: &GroupSearch) -> Result<GroupPage, ApiError> {
    let (groups, total) = state.store.search_groups(search).await?;
    Ok(GroupPage {
        total,
        groups: groups.into_iter().map(GroupView::from).collect(),
    })
}

/// `GET /api/v1/groups`
pub async fn list(
    _: Caller,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<GroupPage>, ApiError> {
    group_page(&state, &search_of(&params)?).await.map(Json)
}

/// A review finding of a group.
#[derive(Debug, Serialize)]
pub struct FindingView {
    /// The run.
    pub run: i64,
    /// When.
    pub reviewed_at: DateTime<Utc>,
    /// What the account saw.
    pub finding: String,
    /// Status before.
    pub status_before: String,
    /// Status after.
    pub status_after: String,
    /// Posting allowed after.
    pub can_post: bool,
    /// Error or reason.
    pub detail: Option<String>,
}

/// One group with its history.
#[derive(Debug, Serialize)]
pub struct GroupDetail {
    /// The group.
    pub group: GroupView,
    /// Its audits, newest first.
    pub reviews: Vec<FindingView>,
    /// Its latest 50 events, newest first.
    pub events: Vec<EventView>,
}

/// The detail of group `id`.
pub async fn group_detail(state: &AppState, id: i64) -> Result<GroupDetail, ApiError> {
    let group = state
        .store
        .group_by_id(GroupId(id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("group {id}")))?;
    let mut reviews = state.store.review_history(group.id).await?;
    reviews.reverse();
    let events = state
        .store
        .recent_events_of(None, Some(group.id), 50)
        .await?;
    Ok(GroupDetail {
        group: group.into(),
        reviews: reviews
            .into_iter()
            .map(|entry| FindingView {
                run: entry.run.0,
                reviewed_at: entry.reviewed_at,
                finding: entry.finding,
                status_before: entry.status_before.to_string(),
                status_after: entry.status_after.to_string(),
                can_post: entry.can_post,
                detail: entry.detail,
            })
            .collect(),
        events: events.into_iter().map(EventView::from).collect(),
    })
}

/// `GET /api/v1/groups/{id}`
pub async fn detail(
    _: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<GroupDetail>, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::field("id", format!("{id:?} is not a group id")))?;
    group_detail(&state, id).await.map(Json)
}

/// `POST /api/v1/groups/import` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// The handles, one per line, as in a `groups import` file.
    pub text: String,
    /// Tags for every imported group.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// What an import did.
#[derive(Debug, Serialize)]
pub struct ImportView {
    /// Handles read.
    pub read: usize,
    /// Distinct handles.
    pub unique: u64,
    /// Newly added.
    pub inserted: u64,
    /// Already in the catalogue (tags merged).
    pub already_present: u64,
}

/// Imports `request` for `writer` (audited). Every bad line is named; nothing is
/// written unless every line is good.
pub async fn import_groups(
    state: &AppState,
    writer: &Writer,
    request: &ImportRequest,
) -> Result<ImportView, ApiError> {
    let tags = request
        .tags
        .iter()
        .enumerate()
        .map(|(index, tag)| {
            normalize_tag(tag)
                .map_err(|error| ApiError::field(format!("tags[{index}]"), error.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let handles = parse_handles(request.text.as_bytes()).map_err(|bad_lines| {
        let lines: Vec<String> = bad_lines
            .iter()
            .map(|bad| format!("line {}: {}", bad.line, bad.reason))
            .collect();
        ApiError::field(
            "text",
            format!(
                "{} invalid line(s), nothing imported: {}",
                lines.len(),
                lines.join("; ")
            ),
        )
    })?;
    if handles.is_empty() {
        return Err(ApiError::field("text", "no group handles found"));
    }
    let groups: Vec<ImportedGroup> = handles
        .iter()
        .map(|entry| ImportedGroup {
            handle: entry.handle.clone(),
            tags: tags.clone(),
        })
        .collect();
    let report = state.store.import_groups(&groups).await?;
    state
        .store
        .record_audit(&writer.0.audit(
            "groups.import",
            None,
            Some(format!(
                "{} read, {} inserted, tags [{}]",
                handles.len(),
                report.inserted,
                tags.join(",")
            )),
        ))
        .await?;
    Ok(ImportView {
        read: handles.len(),
        unique: report.unique,
        inserted: report.inserted,
        already_present: report.already_present,
    })
}

/// `POST /api/v1/groups/import`
pub async fn import(
    writer: Writer,
    State(state): State<AppState>,
    Payload(request): Payload<ImportRequest>,
) -> Result<(StatusCode, Json<ImportView>), ApiError> {
    let view = import_groups(&state, &writer, &request).await?;
    Ok((StatusCode::CREATED, Json(view)))
}
