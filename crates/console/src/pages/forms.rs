//! The forms: each checks the session's CSRF token (through [`Writer`]), runs the
//! same function as the API (same validation, same audit) and redirects back.

use super::{Page, PageError};
use crate::api::{accounts, campaigns, checks, groups, reviews};
use crate::auth::Writer;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tgfleet_domain::CampaignStatus;

type Writes = Result<Writer, ApiError>;

/// The suspend form.
#[derive(Debug, Default, Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// `POST /accounts/{label}/suspend`
pub async fn suspend(
    writer: Writes,
    State(state): State<AppState>,
    Path(label): Path<String>,
    Form(form): Form<ReasonForm>,
) -> Result<Page, PageError> {
    let reason = Some(form.reason).filter(|reason| !reason.trim().is_empty());
    accounts::suspend_account(&state, &writer?, &label, reason).await?;
    Ok(Page::Redirect(format!("/accounts/{label}")))
}

/// `POST /accounts/{label}/resume`
pub async fn resume(
    writer: Writes,
    State(state): State<AppState>,
    Path(label): Path<String>,
) -> Result<Page, PageError> {
    accounts::resume_account(&state, &writer?, &label).await?;
    Ok(Page::Redirect(format!("/accounts/{label}")))
}

/// The import form.
#[derive(Debug, Default, Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    tags: String,
}

/// Comma- or space-separated words.
fn words(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `POST /groups/import`
pub async fn import(
    writer: Writes,
    State(state): State<AppState>,
    Form(form): Form<ImportForm>,
) -> Result<Page, PageError> {
    let request = groups::ImportRequest {
        text: form.text,
        tags: words(&form.tags),
    };
    groups::import_groups(&state, &writer?, &request).await?;
    Ok(Page::Redirect("/groups".to_owned()))
}

/// The create-campaign form.
#[derive(Debug, Default, Deserialize)]
pub struct CampaignForm {
    #[serde(default)]
    name: String,
    /// `all`, or tags separated by commas.
    #[serde(default)]
    target: String,
    #[serde(default)]
    interval: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
}

fn instant(field: &str, text: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    DateTime::parse_from_rfc3339(text)
        .map(|at| Some(at.to_utc()))
        .map_err(|_| ApiError::field(field, format!("{text:?} is not an RFC 3339 instant")))
}

/// `POST /campaigns`
pub async fn create_campaign(
    writer: Writes,
    State(state): State<AppState>,
    Form(form): Form<CampaignForm>,
) -> Result<Page, PageError> {
    let all = form.target.trim() == "all";
    let request = campaigns::CreateCampaign {
        name: form.name,
        all,
        tags: if all { Vec::new() } else { words(&form.target) },
        interval: Some(form.interval).filter(|text| !text.trim().is_empty()),
        starts_at: instant("starts_at", &form.starts_at)?,
        ends_at: instant("ends_at", &form.ends_at)?,
    };
    let created = campaigns::create_campaign(&state, &writer?, &request).await?;
    Ok(Page::Redirect(format!("/campaigns/{}", created.id)))
}

/// The add-variant form (text, forward, copy; media go through the API's JSON).
#[derive(Debug, Default, Deserialize)]
pub struct VariantForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    source: String,
}

/// `POST /campaigns/{id}/variants`
pub async fn add_variant(
    writer: Writes,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<VariantForm>,
) -> Result<Page, PageError> {
    let id = campaigns::campaign_id(&id)?;
    let present = |text: String| Some(text).filter(|text| !text.trim().is_empty());
    let request = campaigns::AddVariant {
        kind: form.kind,
        text: form.text,
        format: present(form.format),
        source: present(form.source),
        ..campaigns::AddVariant::default()
    };
    campaigns::add_campaign_variant(&state, &writer?, id, &request).await?;
    Ok(Page::Redirect(format!("/campaigns/{id}")))
}

async fn set_status(
    state: &AppState,
    writer: Writes,
    id: &str,
    status: CampaignStatus,
) -> Result<Page, PageError> {
    let id = campaigns::campaign_id(id)?;
    campaigns::set_status(state, &writer?, id, status).await?;
    Ok(Page::Redirect(format!("/campaigns/{id}")))
}

/// `POST /campaigns/{id}/pause`
pub async fn pause(
    writer: Writes,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Page, PageError> {
    set_status(&state, writer, &id, CampaignStatus::Paused).await
}

/// `POST /campaigns/{id}/resume`
pub async fn resume_campaign(
    writer: Writes,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Page, PageError> {
    set_status(&state, writer, &id, CampaignStatus::Active).await
}

/// `POST /reviews`
pub async fn review_now(writer: Writes, State(state): State<AppState>) -> Result<Page, PageError> {
    reviews::request_review(&state, &writer?).await?;
    Ok(Page::Redirect("/reviews".to_owned()))
}

/// The connectivity check form.
#[derive(Debug, Default, Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    label: String,
}

/// `POST /diagnostics/check`: asks a running marketer to check one account under its
/// lease (or shows why it cannot be done safely).
pub async fn check_account(
    writer: Writes,
    State(state): State<AppState>,
    Form(form): Form<CheckForm>,
) -> Result<Page, PageError> {
    let label = form.label.trim();
    if label.is_empty() {
        return Err(ApiError::field("label", "name an account").into());
    }
    checks::request_check(&state, &writer?, label).await?;
    Ok(Page::Redirect("/diagnostics".to_owned()))
}
