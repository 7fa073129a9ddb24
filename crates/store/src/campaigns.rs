//! Campaigns and their message variants: what the operator promotes, where and how often.

use crate::error::decode_status;
use crate::relay::{RelayConfig, RelayPost, relay_configs, relay_posts};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::time::Duration;
use tgfleet_domain::campaign::{MAX_INTERVAL, MIN_INTERVAL, SourcePost};
use tgfleet_domain::{
    BodyFormat, CampaignId, CampaignName, CampaignStatus, GroupHandle, VariantContent, VariantId,
    VariantKind, normalize_tag,
};

/// Which groups a campaign posts in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CampaignTarget {
    /// Every group of the catalogue.
    All,
    /// Groups carrying at least one of these tags (normalized, sorted, non-empty).
    Tags(Vec<String>),
}

/// A campaign to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCampaign {
    /// Unique.
    pub name: CampaignName,
    /// Where it posts.
    pub target: CampaignTarget,
    /// How often a group may see it (1 minute to 365 days).
    pub repeat_interval: Duration,
    /// No post before this.
    pub starts_at: Option<DateTime<Utc>>,
    /// No post from this on.
    pub ends_at: Option<DateTime<Utc>>,
}

/// A row of `campaigns`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    /// Primary key.
    pub id: CampaignId,
    /// Unique name.
    pub name: String,
    /// Active or paused.
    pub status: CampaignStatus,
    /// Where it posts.
    pub target: CampaignTarget,
    /// Seconds between two rounds.
    pub repeat_interval_secs: i64,
    /// No post before this.
    pub starts_at: Option<DateTime<Utc>>,
    /// No post from this on.
    pub ends_at: Option<DateTime<Utc>>,
    /// When it was created (round 0 starts here unless `starts_at` is set).
    pub created_at: DateTime<Utc>,
    /// Its relay source, for a relay campaign (filled by [`Store::active_campaigns`]
    /// and [`Store::relay_of`]; `None` elsewhere).
    pub relay: Option<RelayConfig>,
}

impl Campaign {
    /// When round 0 begins: the start date, or the creation.
    pub fn rounds_start(&self) -> DateTime<Utc> {
        self.starts_at.unwrap_or(self.created_at)
    }
}

/// A variant to add to a campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewVariant {
    /// What it posts (a file checked readable by the caller).
    pub content: VariantContent,
    /// How the text or caption is formatted.
    pub format: BodyFormat,
    /// [`tgfleet_domain::campaign::Content::hash`] of what readers see.
    pub content_hash: String,
}

/// A row of `message_variants`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    /// Primary key.
    pub id: VariantId,
    /// Its campaign.
    pub campaign_id: CampaignId,
    /// Text, photo, document, forward or copy.
    pub kind: VariantKind,
    /// How `body` is formatted.
    pub format: BodyFormat,
    /// The text or caption.
    pub body: String,
    /// The file, for photos and documents.
    pub media_path: Option<String>,
    /// The source post, for forwards and copies.
    pub source: Option<SourcePost>,
    /// The content fingerprint.
    pub content_hash: String,
    /// Whether it is used.
    pub enabled: bool,
    /// The source post it relays, for a relay campaign's variant (filled by
    /// [`Store::active_campaigns`]; `None` elsewhere).
    pub relay: Option<RelayPost>,
}

/// A campaign with its counts, for `tgfleet campaigns list`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignSummary {
    /// The campaign.
    pub campaign: Campaign,
    /// Enabled variants.
    pub variants: i64,
    /// Posts sent.
    pub sent: i64,
    /// Posts skipped or failed for good (no retry pending).
    pub not_sent: i64,
    /// The last sent post.
    pub last_sent_at: Option<DateTime<Utc>>,
}

/// A campaign's status change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignStatusChange {
    /// The campaign.
    pub id: CampaignId,
    /// Before.
    pub from: CampaignStatus,
    /// After (equal to `from` when nothing changed).
    pub to: CampaignStatus,
}

#[derive(sqlx::FromRow)]
struct CampaignRow {
    id: i64,
    name: String,
    status: String,
    target_all: bool,
    target_tags: Vec<String>,
    repeat_interval_secs: i32,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl TryFrom<CampaignRow> for Campaign {
    type Error = StoreError;

    fn try_from(row: CampaignRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: CampaignId(row.id),
            status: decode_status("campaigns.status", &row.status)?,
            target: if row.target_all {
                CampaignTarget::All
            } else {
                CampaignTarget::Tags(row.target_tags)
            },
            name: row.name,
            repeat_interval_secs: i64::from(row.repeat_interval_secs),
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            created_at: row.created_at,
            relay: None,
        })
    }
}

#[derive(sqlx::FromRow)]
struct VariantRow {
    id: i64,
    campaign_id: i64,
    kind: String,
    text_format: String,
    body: String,
    media_path: Option<String>,
    source_handle: Option<String>,
    source_message_id: Option<i32>,
    content_hash: String,
    enabled: bool,
}

impl TryFrom<VariantRow> for Variant {
    type Error = StoreError;

    fn try_from(row: VariantRow) -> Result<Self, StoreError> {
        let source = match (row.source_handle, row.source_message_id) {
            (Some(handle), Some(message_id)) => Some(SourcePost {
                channel: GroupHandle::parse(&handle).map_err(|err| {
                    StoreError::invalid("message_variants.source_handle", err.to_string())
                })?,
                message_id,
            }),
            _ => None,
        };
        Ok(Self {
            id: VariantId(row.id),
            campaign_id: CampaignId(row.campaign_id),
            kind: decode_status("message_variants.kind", &row.kind)?,
            format: decode_status("message_variants.text_format", &row.text_format)?,
            body: row.body,
            media_path: row.media_path,
            source,
            content_hash: row.content_hash,
            enabled: row.enabled,
            relay: None,
        })
    }
}

macro_rules! campaign_columns {
    () => {
        "id, name, status, target_all, target_tags, repeat_interval_secs, starts_at, ends_at, created_at"
    };
}

macro_rules! variant_columns {
    () => {
        "id, campaign_id, kind, text_format, body, media_path, source_handle, source_message_id, content_hash, enabled"
    };
}

fn check_new_campaign(campaign: &NewCampaign) -> Result<(Vec<String>, i32), StoreError> {
    let tags = match &campaign.target {
        CampaignTarget::All => Vec::new(),
        CampaignTarget::Tags(tags) if tags.is_empty() => {
            return Err(StoreError::invalid(
                "campaign target",
                "name at least one tag, or target all groups",
            ));
        }
        CampaignTarget::Tags(tags) => {
            let mut normalized = tags
                .iter()
                .map(|tag| {
                    normalize_tag(tag).map_err(|err| StoreError::invalid("tag", err.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            normalized.sort();
            normalized.dedup();
            normalized
        }
    };
    if !(MIN_INTERVAL..=MAX_INTERVAL).contains(&campaign.repeat_interval) {
        return Err(StoreError::invalid(
            "repeat interval",
            "must be between 1 minute and 365 days",
        ));
    }
    let secs = i32::try_from(campaign.repeat_interval.as_secs())
        .map_err(|_| StoreError::invalid("repeat interval", "too long"))?;
    if let (Some(starts), Some(ends)) = (campaign.starts_at, campaign.ends_at)
        && starts >= ends
    {
        return Err(StoreError::invalid(
            "campaign period",
            format!("the end ({ends}) must come after the start ({starts})"),
        ));
    }
    Ok((tags, secs))
}

fn check_new_variant(variant: &NewVariant) -> Result<(), StoreError> {
    if variant.content_hash.len() != 64 {
        return Err(StoreError::invalid(
            "variant content hash",
            "expected a SHA-256 in hex",
        ));
    }
    Ok(())
}

impl Store {
    /// Creates a campaign, active, created at `now` (its rounds start then unless it
    /// has a start date). Refuses a name already taken with [`StoreError::Invalid`].
    ///
    /// Relies on `UNIQUE (name)`; takes no other lock. The insert trigger notifies
    /// `tgfleet_changes`, waking running marketers.
    pub async fn create_campaign(
        &self,
        campaign: &NewCampaign,
        now: DateTime<Utc>,
    ) -> Result<Campaign, StoreError> {
        let mut conn = self.pool.acquire().await?;
        insert_campaign(&mut conn, campaign, now).await
    }

    /// The campaign with this name, if any. Reads without locking.
    pub async fn campaign_by_name(&self, name: &str) -> Result<Option<Campaign>, StoreError> {
        sqlx::query_as::<_, CampaignRow>(concat!(
            "SELECT ",
            campaign_columns!(),
            " FROM campaigns WHERE name = $1"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await?
        .map(Campaign::try_from)
        .transpose()
    }

    /// Adds a variant to the campaign named `campaign`; [`StoreError::NotFound`] if
    /// there is none.
    ///
    /// Locks the campaign row `FOR SHARE` (it cannot vanish meanwhile); the insert
    /// trigger notifies `tgfleet_changes`.
    pub async fn add_variant(
        &self,
        campaign: &str,
        variant: &NewVariant,
    ) -> Result<Variant, StoreError> {
        check_new_variant(variant)?;
        let mut tx = self.pool.begin().await?;
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM campaigns WHERE name = $1 FOR SHARE")
                .bind(campaign)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(id) = id else {
            return Err(StoreError::not_found(format!("campaign {campaign:?}")));
        };
        let row = sqlx::query_as::<_, VariantRow>(concat!(
            "INSERT INTO message_variants
                (campaign_id, kind, text_format, body, media_path, source_handle, source_message_id, content_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             RETURNING ",
            variant_columns!()
        ))
        .bind(id)
        .bind(variant.content.kind().as_str())
        .bind(variant.format.as_str())
        .bind(variant.content.body())
        .bind(variant.content.media_path())
        .bind(variant.content.source().map(|source| source.channel.key()))
        .bind(variant.content.source().map(|source| source.message_id))
        .bind(&variant.content_hash)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        row.try_into()
    }

    /// Pauses or resumes the campaign named `name`. Setting the status it already has
    /// changes nothing.
    ///
    /// Locks: a single-row `UPDATE .. RETURNING` after a `FOR UPDATE` read in one
    /// transaction; the status trigger notifies `tgfleet_changes` (a resume wakes
    /// running marketers).
    pub async fn set_campaign_status(
        &self,
        name: &str,
        status: CampaignStatus,
    ) -> Result<CampaignStatusChange, StoreError> {
        let mut tx = self.pool.begin().await?;
        let current: Option<(i64, String)> =
            sqlx::query_as("SELECT id, status FROM campaigns WHERE name = $1 FOR UPDATE")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((id, from)) = current else {
            return Err(StoreError::not_found(format!("campaign {name:?}")));
        };
        let from: CampaignStatus = decode_status("campaigns.status", &from)?;
        if from != status {
            sqlx::query("UPDATE campaigns SET status = $2, updated_at = now() WHERE id = $1")
                .bind(id)
                .bind(status.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(CampaignStatusChange {
            id: CampaignId(id),
            from,
            to: status,
        })
    }

    /// Every campaign with its variant and post counts, by name. Reads without locking.
    pub async fn list_campaigns(&self) -> Result<Vec<CampaignSummary>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            campaign: CampaignRow,
            variants: i64,
            sent: i64,
            not_sent: i64,
            last_sent_at: Option<DateTime<Utc>>,
        }
        let rows = sqlx::query_as::<_, Row>(
            "SELECT c.id, c.name, c.status, c.target_all, c.target_tags, c.repeat_interval_secs,
                    c.starts_at, c.ends_at, c.created_at,
                    (SELECT count(*) FROM message_variants v WHERE v.campaign_id = c.id AND v.enabled) AS variants,
                    (SELECT count(*) FROM posts p WHERE p.campaign_id = c.id AND p.state = 'sent') AS sent,
                    (SELECT count(*) FROM posts p WHERE p.campaign_id = c.id
                        AND p.state IN ('failed', 'skipped') AND p.retry_at IS NULL) AS not_sent,
                    (SELECT max(p.sent_at) FROM posts p WHERE p.campaign_id = c.id) AS last_sent_at
               FROM campaigns c
              ORDER BY c.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(CampaignSummary {
                    campaign: row.campaign.try_into()?,
                    variants: row.variants,
                    sent: row.sent,
                    not_sent: row.not_sent,
                    last_sent_at: row.last_sent_at,
                })
            })
            .collect()
    }

    /// The active campaigns that have not ended at `now`, each with its enabled
    /// variants (by id). Reads without locking.
    pub async fn active_campaigns(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(Campaign, Vec<Variant>)>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        active_campaigns(&mut conn, now, None).await
    }

    /// The variants of a campaign, enabled or not, by id. Reads without locking.
    pub async fn variants_of(&self, campaign: CampaignId) -> Result<Vec<Variant>, StoreError> {
        sqlx::query_as::<_, VariantRow>(concat!(
            "SELECT ",
            variant_columns!(),
            " FROM message_variants WHERE campaign_id = $1 ORDER BY id"
        ))
        .bind(campaign.0)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(Variant::try_from)
        .collect()
    }
}

/// The active, unfinished campaigns (or only `only`) with their enabled variants, on
/// the caller's connection. Reads without locking.
pub(crate) async fn active_campaigns(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    only: Option<CampaignId>,
) -> Result<Vec<(Campaign, Vec<Variant>)>, StoreError> {
    let mut campaigns: Vec<Campaign> = sqlx::query_as::<_, CampaignRow>(concat!(
        "SELECT ",
        campaign_columns!(),
        " FROM campaigns
          WHERE status = 'active' AND (ends_at IS NULL OR ends_at > $1)
            AND ($2::bigint IS NULL OR id = $2)
          ORDER BY id"
    ))
    .bind(now)
    .bind(only.map(|id| id.0))
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(Campaign::try_from)
    .collect::<Result<_, _>>()?;
    let ids: Vec<i64> = campaigns.iter().map(|campaign| campaign.id.0).collect();
    let mut relays = relay_configs(&mut *conn, &ids).await?;
    for campaign in &mut campaigns {
        campaign.relay = relays.remove(&campaign.id);
    }
    // A relayed post deleted at the source or past its maximum age is not relayed:
    // its variant is left out.
    let mut variants: Vec<Variant> = sqlx::query_as::<_, VariantRow>(concat!(
        "SELECT ",
        variant_columns!(),
        " FROM message_variants v
          WHERE campaign_id = ANY($1) AND enabled
            AND NOT EXISTS (SELECT 1 FROM relay_items r WHERE r.variant_id = v.id
                              AND (r.deleted_at IS NOT NULL OR r.expires_at <= $2))
          ORDER BY id"
    ))
    .bind(&ids)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(Variant::try_from)
    .collect::<Result<_, _>>()?;
    let relay_variants: Vec<i64> = variants
        .iter()
        .filter(|variant| variant.kind.is_source_post())
        .map(|variant| variant.id.0)
        .collect();
    let mut posts = relay_posts(&mut *conn, &relay_variants).await?;
    for variant in &mut variants {
        variant.relay = posts.remove(&variant.id);
    }
    Ok(campaigns
        .into_iter()
        .map(|campaign| {
            let own = variants
                .iter()
                .filter(|variant| variant.campaign_id == campaign.id)
                .cloned()
                .collect();
            (campaign, own)
        })
        .collect())
}

/// Inserts a campaign on the caller's connection (see [`Store::create_campaign`]).
pub(crate) async fn insert_campaign(
    conn: &mut PgConnection,
    campaign: &NewCampaign,
    now: DateTime<Utc>,
) -> Result<Campaign, StoreError> {
    let (tags, interval) = check_new_campaign(campaign)?;
    let inserted = sqlx::query_as::<_, CampaignRow>(concat!(
            "INSERT INTO campaigns (name, target_all, target_tags, repeat_interval_secs, starts_at, ends_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
             RETURNING ",
            campaign_columns!()
        ))
        .bind(campaign.name.as_str())
        .bind(campaign.target == CampaignTarget::All)
        .bind(&tags)
        .bind(interval)
        .bind(campaign.starts_at)
        .bind(campaign.ends_at)
        .bind(now)
        .fetch_one(&mut *conn)
        .await;
    match inserted {
        Ok(row) => row.try_into(),
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(StoreError::invalid(
            format!("campaign {:?}", campaign.name.as_str()),
            "already exists",
        )),
        Err(err) => Err(err.into()),
    }
}
