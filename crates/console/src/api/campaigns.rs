//! `/api/v1/campaigns`: create, variants (text, photo / document uploaded as base64,
//! forward / copy of a channel post), pause / resume (the status trigger wakes running
//! marketers through `tgfleet_changes`), and progress per group.

use crate::auth::{Caller, Writer};
use crate::error::ApiError;
use crate::payload::Payload;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tgfleet_domain::campaign::{
    Content, SourcePost, VariantTextError, format_interval, has_link, parse_interval,
};
use tgfleet_domain::{
    BodyFormat, CampaignId, CampaignName, CampaignStatus, VariantContent, VariantKind, VariantText,
    normalize_tag,
};
use tgfleet_store::{
    CampaignSummary, CampaignTarget, NewCampaign, NewVariant, TargetProgress, Variant,
};

/// A campaign with its counts.
#[derive(Clone, Debug, Serialize)]
pub struct CampaignView {
    /// Primary key.
    pub id: i64,
    /// The unique name.
    pub name: String,
    /// `active` or `paused`.
    pub status: String,
    /// `all`, or the tags.
    pub target: Vec<String>,
    /// The repeat interval, e.g. `1d`.
    pub interval: String,
    /// First post not before.
    pub starts_at: Option<DateTime<Utc>>,
    /// No post from.
    pub ends_at: Option<DateTime<Utc>>,
    /// Enabled variants.
    pub variants: i64,
    /// Posts sent.
    pub sent: i64,
    /// Rounds closed without a send.
    pub not_sent: i64,
    /// The last send.
    pub last_sent_at: Option<DateTime<Utc>>,
}

impl From<CampaignSummary> for CampaignView {
    fn from(summary: CampaignSummary) -> Self {
        let campaign = summary.campaign;
        Self {
            id: campaign.id.0,
            name: campaign.name,
            status: campaign.status.to_string(),
            target: match campaign.target {
                CampaignTarget::All => vec!["all".to_owned()],
                CampaignTarget::Tags(tags) => tags,
            },
            interval: format_interval(campaign.repeat_interval_secs.unsigned_abs()),
            starts_at: campaign.starts_at,
            ends_at: campaign.ends_at,
            variants: summary.variants,
            sent: summary.sent,
            not_sent: summary.not_sent,
            last_sent_at: summary.last_sent_at,
        }
    }
}

/// Every campaign, by name.
pub async fn campaign_views(state: &AppState) -> Result<Vec<CampaignView>, ApiError> {
    Ok(state
        .store
        .list_campaigns()
        .await?
        .into_iter()
        .map(CampaignView::from)
        .collect())
}

/// `GET /api/v1/campaigns`
pub async fn list(
    _: Caller,
    State(state): State<AppState>,
) -> Result<Json<Vec<CampaignView>>, ApiError> {
    campaign_views(&state).await.map(Json)
}

/// `POST /api/v1/campaigns` body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaign {
    /// 1-100 characters, unique.
    pub name: String,
    /// Post in every group.
    #[serde(default)]
    pub all: bool,
    /// Or in groups with any of these tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// How often a group may see it, e.g. `24h` (default `posting.default_repeat_interval_secs`).
    pub interval: Option<String>,
    /// No post before (RFC 3339).
    pub starts_at: Option<DateTime<Utc>>,
    /// No post from (RFC 3339).
    pub ends_at: Option<DateTime<Utc>>,
}

/// Checks every field of `request` before anything is written.
pub fn new_campaign(state: &AppState, request: &CreateCampaign) -> Result<NewCampaign, ApiError> {
    let name = CampaignName::parse(&request.name)
        .map_err(|error| ApiError::field("name", error.to_string()))?;
    let target = match (request.all, request.tags.is_empty()) {
        (true, true) => CampaignTarget::All,
        (false, false) => CampaignTarget::Tags(
            request
                .tags
                .iter()
                .enumerate()
                .map(|(index, tag)| {
                    normalize_tag(tag).map_err(|error| {
                        ApiError::field(format!("tags[{index}]"), error.to_string())
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        (true, false) => return Err(ApiError::field("tags", "give either all or tags, not both")),
        (false, true) => {
            return Err(ApiError::field(
                "tags",
                "give all: true or at least one tag",
            ));
        }
    };
    let repeat_interval = match request.interval.as_deref() {
        Some(text) => {
            parse_interval(text).map_err(|error| ApiError::field("interval", error.to_string()))?
        }
        None => Duration::from_secs(state.settings.posting.default_repeat_interval_secs),
    };
    if let (Some(starts), Some(ends)) = (request.starts_at, request.ends_at)
        && ends <= starts
    {
        return Err(ApiError::field("ends_at", "must come after starts_at"));
    }
    Ok(NewCampaign {
        name,
        target,
        repeat_interval,
        starts_at: request.starts_at,
        ends_at: request.ends_at,
    })
}

/// Creates a campaign for `writer` (audited).
pub async fn create_campaign(
    state: &AppState,
    writer: &Writer,
    request: &CreateCampaign,
) -> Result<CampaignView, ApiError> {
    let campaign = new_campaign(state, request)?;
    let created = state.store.create_campaign(&campaign, Utc::now()).await?;
    state
        .store
        .record_audit(
            &writer
                .0
                .audit("campaign.create", Some(created.name.clone()), None),
        )
        .await?;
    summary_view(state, created.id).await
}

async fn summary_view(state: &AppState, id: CampaignId) -> Result<CampaignView, ApiError> {
    campaign_views(state)
        .await?
        .into_iter()
        .find(|view| view.id == id.0)
        .ok_or_else(|| ApiError::not_found(format!("campaign {id}")))
}

/// `POST /api/v1/campaigns`
pub async fn create(
    writer: Writer,
    State(state): State<AppState>,
    Payload(request): Payload<CreateCampaign>,
) -> Result<(StatusCode, Json<CampaignView>), ApiError> {
    let view = create_campaign(&state, &writer, &request).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// A variant as shown (media: the file name only).
#[derive(Clone, Debug, Serialize)]
pub struct VariantView {
    /// Primary key.
    pub id: i64,
    /// `text`, `photo`, `document`, `forward` or `copy`.
    pub kind: String,
    /// `plain`, `markdown` or `html`.
    pub format: String,
    /// The text or caption.
    pub body: String,
    /// The media file's name.
    pub media: Option<String>,
    /// The source post (`channel/123`).
    pub source: Option<String>,
    /// Whether it contains a link (groups forbidding links skip it).
    pub has_link: bool,
    /// Whether it rotates.
    pub enabled: bool,
}

impl From<Variant> for VariantView {
    fn from(variant: Variant) -> Self {
        Self {
            id: variant.id.0,
            kind: variant.kind.as_str().to_owned(),
            format: variant.format.as_str().to_owned(),
            has_link: has_link(&variant.body),
            body: variant.body,
            media: variant.media_path.as_deref().map(|path| {
                std::path::Path::new(path)
                    .file_name()
                    .map_or_else(String::new, |name| name.to_string_lossy().into_owned())
            }),
            source: variant
                .source
                .map(|source| format!("{}/{}", source.channel.key(), source.message_id)),
            enabled: variant.enabled,
        }
    }
}

/// Per-state counts of a campaign's latest rounds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProgressCounts {
    /// Sent.
    pub sent: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped by the pre-check.
    pub skipped: usize,
    /// Pending or unknown.
    pub pending: usize,
}

/// A (campaign, group) latest round.
#[derive(Clone, Debug, Serialize)]
pub struct TargetView {
    /// The group.
    pub group_id: i64,
    /// Its handle.
    pub handle: String,
    /// The round.
    pub round: i64,
    /// The post's state.
    pub state: String,
    /// Why not sent.
    pub reason: Option<String>,
    /// Attempts in the round.
    pub attempts: i32,
    /// When it may be tried again.
    pub retry_at: Option<DateTime<Utc>>,
    /// The account of the last attempt.
    pub account: String,
    /// When the last attempt ended.
    pub completed_at: Option<DateTime<Utc>>,
}

impl From<TargetProgress> for TargetView {
    fn from(row: TargetProgress) -> Self {
        Self {
            group_id: row.group_id,
            handle: row.handle,
            round: row.round,
            state: row.state,
            reason: row.error_code,
            attempts: row.attempts,
            retry_at: row.retry_at,
            account: row.account,
            completed_at: row.completed_at,
        }
    }
}

/// A campaign with its variants and progress.
#[derive(Debug, Serialize)]
pub struct CampaignDetail {
    /// The campaign.
    pub campaign: CampaignView,
    /// Its variants.
    pub variants: Vec<VariantView>,
    /// Counts over the groups' latest rounds.
    pub progress: ProgressCounts,
    /// Per group, failures first.
    pub targets: Vec<TargetView>,
}

/// The detail of campaign `id`.
pub async fn campaign_detail(state: &AppState, id: i64) -> Result<CampaignDetail, ApiError> {
    let id = CampaignId(id);
    let campaign = summary_view(state, id).await?;
    let variants = state.store.variants_of(id).await?;
    let mut targets: Vec<TargetView> = state
        .store
        .campaign_progress(id)
        .await?
        .into_iter()
        .map(TargetView::from)
        .collect();
    let mut progress = ProgressCounts::default();
    for target in &targets {
        match target.state.as_str() {
            "sent" => progress.sent += 1,
            "failed" => progress.failed += 1,
            "skipped" => progress.skipped += 1,
            _ => progress.pending += 1,
        }
    }
    targets.sort_by_key(|target| (target.state == "sent", target.handle.clone()));
    Ok(CampaignDetail {
        campaign,
        variants: variants.into_iter().map(VariantView::from).collect(),
        progress,
        targets,
    })
}

/// Reads a campaign id path segment.
pub fn campaign_id(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::field("id", format!("{text:?} is not a campaign id")))
}

/// `GET /api/v1/campaigns/{id}`
pub async fn detail(
    _: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CampaignDetail>, ApiError> {
    campaign_detail(&state, campaign_id(&id)?).await.map(Json)
}

/// `POST /api/v1/campaigns/{id}/variants` body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddVariant {
    /// `text`, `photo`, `document`, `forward` or `copy`.
    pub kind: String,
    /// The text (kind `text`) or caption (photo, document).
    #[serde(default)]
    pub text: String,
    /// `plain` (default), `markdown` or `html`.
    pub format: Option<String>,
    /// The file's bytes in base64 (photo, document).
    pub media_base64: Option<String>,
    /// The file's name (photo, document).
    pub file_name: Option<String>,
    /// The source post, `@channel/123` or `t.me/channel/123` (forward, copy).
    pub source: Option<String>,
}

/// A safe file name: letters, digits, `.`, `_`, `-` (anything else becomes `_`).
fn safe_file_name(name: &str) -> Result<String, ApiError> {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_owned();
    if cleaned.is_empty() || cleaned.len() > 100 {
        return Err(ApiError::field("file_name", "use 1-100 characters"));
    }
    Ok(cleaned)
}

/// An uploaded file: its safe name and its bytes.
pub type Upload = (String, Vec<u8>);

/// A checked variant whose media (if any) is not stored yet: its path depends on the
/// content hash.
#[derive(Debug)]
pub struct VariantDraft {
    kind: VariantKind,
    format: BodyFormat,
    text: VariantText,
    source: Option<SourcePost>,
    content_hash: String,
}

impl VariantDraft {
    /// Its kind.
    pub fn kind(&self) -> VariantKind {
        self.kind
    }

    /// The fingerprint of what readers see.
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// The variant to store, with the stored media file's path for a photo or document.
    pub fn into_variant(self, media_path: Option<String>) -> NewVariant {
        let content = match (self.kind, self.source, media_path) {
            (VariantKind::Photo, _, Some(path)) => VariantContent::Photo {
                path,
                caption: self.text,
            },
            (VariantKind::Document, _, Some(path)) => VariantContent::Document {
                path,
                caption: self.text,
            },
            (VariantKind::Forward, Some(post), _) => VariantContent::Forward(post),
            (VariantKind::Copy, Some(post), _) => VariantContent::Copy(post),
            _ => VariantContent::Text(self.text),
        };
        NewVariant {
            content,
            format: self.format,
            content_hash: self.content_hash,
        }
    }
}

/// Checks every field (and decodes the file) before anything is written; returns the
/// variant and the media bytes to store.
pub fn new_variant(request: &AddVariant) -> Result<(VariantDraft, Option<Upload>), ApiError> {
    let kind: VariantKind =
        request
            .kind
            .parse()
            .map_err(|error: tgfleet_domain::ParseStatusError| {
                ApiError::field("kind", error.to_string())
            })?;
    let format = match request.format.as_deref() {
        None => BodyFormat::Plain,
        Some(text) => text
            .parse()
            .map_err(|error: tgfleet_domain::ParseStatusError| {
                ApiError::field("format", error.to_string())
            })?,
    };
    let unexpected = |field: &str, present: bool| {
        if present {
            Err(ApiError::field(
                field,
                format!("not used by a {kind} variant"),
            ))
        } else {
            Ok(())
        }
    };
    let text_error = |error: VariantTextError| ApiError::field("text", error.to_string());
    let (text, media, source) = match kind {
        VariantKind::Text => {
            unexpected("media_base64", request.media_base64.is_some())?;
            unexpected("source", request.source.is_some())?;
            (
                VariantText::message(&request.text).map_err(text_error)?,
                None,
                None,
            )
        }
        VariantKind::Photo | VariantKind::Document => {
            unexpected("source", request.source.is_some())?;
            let encoded = request.media_base64.as_deref().ok_or_else(|| {
                ApiError::field("media_base64", "required for a photo or document")
            })?;
            let bytes = STANDARD
                .decode(encoded.trim())
                .map_err(|_| ApiError::field("media_base64", "not valid base64"))?;
            if bytes.is_empty() {
                return Err(ApiError::field("media_base64", "the file is empty"));
            }
            let name = safe_file_name(request.file_name.as_deref().ok_or_else(|| {
                ApiError::field("file_name", "required for a photo or document")
            })?)?;
            (
                VariantText::caption(&request.text).map_err(text_error)?,
                Some((name, bytes)),
                None,
            )
        }
        VariantKind::Forward | VariantKind::Copy => {
            unexpected("text", !request.text.is_empty())?;
            unexpected("media_base64", request.media_base64.is_some())?;
            let source_text = request
                .source
                .as_deref()
                .ok_or_else(|| ApiError::field("source", "required for a forward or copy"))?;
            let post = SourcePost::parse(source_text)
                .map_err(|error| ApiError::field("source", error.to_string()))?;
            (
                VariantText::caption("").map_err(text_error)?,
                None,
                Some(post),
            )
        }
    };
    let content_hash = Content {
        kind,
        format,
        body: text.as_str(),
        media: media.as_ref().map(|(_, bytes)| bytes.as_slice()),
        source: source.as_ref(),
    }
    .hash();
    let draft = VariantDraft {
        kind,
        format,
        text,
        source,
        content_hash,
    };
    Ok((draft, media))
}

/// Adds a variant to campaign `id` for `writer` (audited); media go to
/// `console.media_dir/<content hash>-<name>`.
pub async fn add_campaign_variant(
    state: &AppState,
    writer: &Writer,
    id: i64,
    request: &AddVariant,
) -> Result<VariantView, ApiError> {
    let (draft, media) = new_variant(request)?;
    if let Some((_, bytes)) = &media
        && bytes.len() > state.console().max_upload_bytes
    {
        return Err(ApiError::field(
            "media_base64",
            "the file is larger than console.max_upload_bytes",
        ));
    }
    let name = state
        .store
        .campaign_name(CampaignId(id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("campaign {id}")))?;
    let media_path = match media {
        Some((file_name, bytes)) => {
            Some(save_media(state, &draft.content_hash, &file_name, &bytes).await?)
        }
        None => None,
    };
    let variant = draft.into_variant(media_path);
    let added = state.store.add_variant(&name, &variant).await?;
    state
        .store
        .record_audit(&writer.0.audit(
            "campaign.add_variant",
            Some(name),
            Some(format!("variant {} ({})", added.id.0, added.kind.as_str())),
        ))
        .await?;
    Ok(added.into())
}

/// Stores an upload as `console.media_dir/<content hash>-<name>`; returns its absolute path.
pub async fn save_media(
    state: &AppState,
    hash: &str,
    file_name: &str,
    bytes: &[u8],
) -> Result<String, ApiError> {
    let dir = &state.console().media_dir;
    let failed = |error: std::io::Error| {
        tracing::error!(%error, dir = %dir.display(), "console: cannot store an upload");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot store the file (logged)",
        )
    };
    tokio::fs::create_dir_all(dir).await.map_err(failed)?;
    let path = dir.join(format!("{}-{file_name}", &hash[..16]));
    tokio::fs::write(&path, bytes).await.map_err(failed)?;
    let absolute = tokio::fs::canonicalize(&path).await.map_err(failed)?;
    Ok(absolute.to_string_lossy().into_owned())
}

/// `POST /api/v1/campaigns/{id}/variants`
pub async fn add_variant(
    writer: Writer,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Payload(request): Payload<AddVariant>,
) -> Result<(StatusCode, Json<VariantView>), ApiError> {
    let view = add_campaign_variant(&state, &writer, campaign_id(&id)?, &request).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Pauses or resumes campaign `id` for `writer` (audited).
pub async fn set_status(
    state: &AppState,
    writer: &Writer,
    id: i64,
    status: CampaignStatus,
) -> Result<CampaignView, ApiError> {
    let name = state
        .store
        .campaign_name(CampaignId(id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("campaign {id}")))?;
    let change = state.store.set_campaign_status(&name, status).await?;
    let action = match status {
        CampaignStatus::Paused => "campaign.pause",
        CampaignStatus::Active => "campaign.resume",
    };
    state
        .store
        .record_audit(&writer.0.audit(
            action,
            Some(name),
            Some(format!("{} -> {}", change.from, change.to)),
        ))
        .await?;
    summary_view(state, change.id).await
}

/// `POST /api/v1/campaigns/{id}/pause`
pub async fn pause(
    writer: Writer,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    set_status(&state, &writer, campaign_id(&id)?, CampaignStatus::Paused)
        .await
        .map(Json)
}

/// `POST /api/v1/campaigns/{id}/resume`
pub async fn resume(
    writer: Writer,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    set_status(&state, &writer, campaign_id(&id)?, CampaignStatus::Active)
        .await
        .map(Json)
}
