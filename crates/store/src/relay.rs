//! Relay campaigns (issue 18): each relay campaign's source, filters and cursor
//! (`relay_sources`), and the source posts read (`relay_items`), those that passed
//! the filters with their variant. The cursor moves in the transaction that records
//! what was read, so a crashed reader loses nothing and repeats nothing.

use crate::campaigns::{Campaign, NewCampaign, insert_campaign};
use crate::error::decode_status;
use crate::{Lease, Store, StoreError, check_lease};
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgConnection;
use std::collections::HashMap;
use std::time::Duration;
use tgfleet_domain::relay::{PostKind, RelayMode};
use tgfleet_domain::{AccountId, CampaignId, GroupHandle, VariantId, VariantKind};

/// A relay source to create with its campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRelay {
    /// The source channel (a public username).
    pub source: GroupHandle,
    /// Forward or copy.
    pub mode: RelayMode,
    /// Include patterns (already checked to compile).
    pub include: Vec<String>,
    /// Exclude patterns (already checked to compile).
    pub exclude: Vec<String>,
    /// How long after it is read a post is relayed.
    pub delay: Duration,
    /// A post older than this is not relayed.
    pub max_age: Duration,
    /// Forward mode copies a protected source's posts instead of skipping them.
    pub allow_copy_fallback: bool,
}

/// A relay campaign's source and filters, and its cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayConfig {
    /// The source channel.
    pub source: GroupHandle,
    /// Forward or copy.
    pub mode: RelayMode,
    /// Include patterns.
    pub include: Vec<String>,
    /// Exclude patterns.
    pub exclude: Vec<String>,
    /// Seconds between reading a post and relaying it.
    pub delay_secs: i64,
    /// A post older than this many seconds is not relayed.
    pub max_age_secs: i64,
    /// Forward mode copies a protected source's posts.
    pub allow_copy_fallback: bool,
    /// The cursor: the newest source message id read.
    pub last_message_id: i32,
    /// When the source is read next.
    pub next_poll_at: DateTime<Utc>,
    /// The account that read it last.
    pub last_reader: Option<AccountId>,
    /// Why it is not read now (no reader is a member of the source yet).
    pub waiting: Option<String>,
}

/// A file of a source post, by Telegram's reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayMedia {
    /// Photo or document.
    pub kind: PostKind,
    /// `photo.id` / `document.id`.
    pub id: i64,
    /// Its access hash.
    pub access_hash: i64,
    /// Its file reference.
    pub file_reference: Vec<u8>,
}

/// One file of a source album.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayPart {
    /// Its message id in the source.
    pub source_message_id: i32,
    /// Its caption.
    pub body: String,
    /// The caption's entities, TL-serialized, as read.
    pub entities: Vec<u8>,
    /// The file.
    pub media: RelayMedia,
}

/// A source post as read: what is stored, whether it passed the filters or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayPost {
    /// The message id in the source.
    pub source_message_id: i32,
    /// Text, photo, document or album.
    pub kind: PostKind,
    /// The text or caption.
    pub body: String,
    /// Its entities, TL-serialized, as read.
    pub entities: Vec<u8>,
    /// The file, if any (an album's first).
    pub media: Option<RelayMedia>,
    /// An album's files, in order (empty for any other post).
    pub parts: Vec<RelayPart>,
    /// The source forbids forwards.
    pub noforwards: bool,
    /// When the source posted it.
    pub posted_at: DateTime<Utc>,
    /// Relayed from then (read time plus the delay).
    pub ready_at: DateTime<Utc>,
    /// Not relayed from then (posted time plus the maximum age).
    pub expires_at: DateTime<Utc>,
    /// Edited at the source then.
    pub edited_at: Option<DateTime<Utc>>,
    /// Deleted at the source then.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A post read for the first time, for [`Store::record_relay_read`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRelayPost {
    /// What was read (`ready_at`, `expires_at` computed by the caller).
    pub post: RelayPost,
    /// Whether it passed the campaign's filters (then it gets a variant).
    pub passed: bool,
    /// [`tgfleet_domain::relay::relay_content_hash`] of it.
    pub content_hash: String,
}

/// A known post whose text changed at the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayEdit {
    /// The message id in the source.
    pub source_message_id: i32,
    /// The new text.
    pub body: String,
    /// The new entities.
    pub entities: Vec<u8>,
    /// Its new content hash.
    pub content_hash: String,
    /// When it was edited.
    pub edited_at: DateTime<Utc>,
}

/// One read of a source, recorded at once by [`Store::record_relay_read`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelayRead {
    /// The cursor the read started from: nothing is written if it moved meanwhile.
    pub cursor: i32,
    /// The cursor after the read (the newest id read).
    pub new_cursor: i32,
    /// Posts read for the first time, in source order.
    pub new_posts: Vec<NewRelayPost>,
    /// Known posts edited at the source.
    pub edits: Vec<RelayEdit>,
    /// Known posts found deleted at the source.
    pub deleted: Vec<i32>,
}

/// What a recorded read changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelayRecorded {
    /// New variants (posts that passed the filters), with their source ids.
    pub variants: Vec<(i32, VariantId)>,
    /// Posts read that the filters left out.
    pub filtered_out: Vec<i32>,
    /// Known posts now marked deleted (and not relayed any more).
    pub deleted: Vec<i32>,
    /// Known posts now marked edited.
    pub edited: Vec<i32>,
    /// The cursor had moved (another reader recorded first): nothing was written.
    pub stale: bool,
}

/// A relay campaign due for a read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueRelay {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Its name.
    pub name: String,
    /// When it was created: its first read relays only posts from then on.
    pub created_at: DateTime<Utc>,
    /// Its source and cursor.
    pub config: RelayConfig,
}

/// A stored post the reader compares with the source (edits and deletions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownRelayPost {
    /// The message id in the source.
    pub source_message_id: i32,
    /// The text as stored.
    pub body: String,
    /// When the source edited it, as stored.
    pub edited_at: Option<DateTime<Utc>>,
    /// Whether it is known deleted.
    pub deleted: bool,
}

#[derive(sqlx::FromRow)]
struct ConfigRow {
    campaign_id: i64,
    source_handle: String,
    mode: String,
    include_patterns: Vec<String>,
    exclude_patterns: Vec<String>,
    delay_secs: i32,
    max_age_secs: i32,
    allow_copy_fallback: bool,
    last_message_id: i32,
    next_poll_at: DateTime<Utc>,
    last_reader_id: Option<i64>,
    waiting_reason: Option<String>,
}

impl TryFrom<ConfigRow> for (CampaignId, RelayConfig) {
    type Error = StoreError;

    fn try_from(row: ConfigRow) -> Result<Self, StoreError> {
        Ok((
            CampaignId(row.campaign_id),
            RelayConfig {
                source: GroupHandle::parse(&row.source_handle).map_err(|error| {
                    StoreError::invalid("relay_sources.source_handle", error.to_string())
                })?,
                mode: decode_status("relay_sources.mode", &row.mode)?,
                include: row.include_patterns,
                exclude: row.exclude_patterns,
                delay_secs: i64::from(row.delay_secs),
                max_age_secs: i64::from(row.max_age_secs),
                allow_copy_fallback: row.allow_copy_fallback,
                last_message_id: row.last_message_id,
                next_poll_at: row.next_poll_at,
                last_reader: row.last_reader_id.map(AccountId),
                waiting: row.waiting_reason,
            },
        ))
    }
}

macro_rules! config_columns {
    () => {
        "campaign_id, source_handle, mode, include_patterns, exclude_patterns, delay_secs, max_age_secs, allow_copy_fallback, last_message_id, next_poll_at, last_reader_id, waiting_reason"
    };
}

macro_rules! post_columns {
    () => {
        "id, variant_id, source_message_id, post_kind, body, entities, media_kind, media_id,
         media_access_hash, media_file_reference, noforwards, posted_at, ready_at,
         expires_at, edited_at, deleted_at"
    };
}
#[derive(sqlx::FromRow)]
struct PostRow {
    id: i64,
    variant_id: Option<i64>,
    source_message_id: i32,
    post_kind: String,
    body: String,
    entities: Vec<u8>,
    media_kind: Option<String>,
    media_id: Option<i64>,
    media_access_hash: Option<i64>,
    media_file_reference: Option<Vec<u8>>,
    noforwards: bool,
    posted_at: DateTime<Utc>,
    ready_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    edited_at: Option<DateTime<Utc>>,
    deleted_at: Option<DateTime<Utc>>,
}

impl TryFrom<PostRow> for RelayPost {
    type Error = StoreError;

    fn try_from(row: PostRow) -> Result<Self, StoreError> {
        let media = match (row.media_kind, row.media_id) {
            (Some(kind), Some(id)) => Some(RelayMedia {
                kind: decode_status("relay_items.media_kind", &kind)?,
                id,
                access_hash: row.media_access_hash.unwrap_or_default(),
                file_reference: row.media_file_reference.unwrap_or_default(),
            }),
            _ => None,
        };
        Ok(Self {
            source_message_id: row.source_message_id,
            kind: decode_status("relay_items.post_kind", &row.post_kind)?,
            body: row.body,
            entities: row.entities,
            media,
            parts: Vec::new(),
            noforwards: row.noforwards,
            posted_at: row.posted_at,
            ready_at: row.ready_at,
            expires_at: row.expires_at,
            edited_at: row.edited_at,
            deleted_at: row.deleted_at,
        })
    }
}

/// The relay configs of these campaigns, by campaign. Reads without locking.
pub(crate) async fn relay_configs(
    conn: &mut PgConnection,
    campaigns: &[i64],
) -> Result<HashMap<CampaignId, RelayConfig>, StoreError> {
    sqlx::query_as::<_, ConfigRow>(concat!(
        "SELECT ",
        config_columns!(),
        " FROM relay_sources WHERE campaign_id = ANY($1)"
    ))
    .bind(campaigns)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(<(CampaignId, RelayConfig)>::try_from)
    .collect()
}

/// The source posts of these variants, by variant. Reads without locking.
pub(crate) async fn relay_posts(
    conn: &mut PgConnection,
    variants: &[i64],
) -> Result<HashMap<VariantId, RelayPost>, StoreError> {
    let rows = sqlx::query_as::<_, PostRow>(concat!(
        "SELECT ",
        post_columns!(),
        " FROM relay_items WHERE variant_id = ANY($1)"
    ))
    .bind(variants)
    .fetch_all(&mut *conn)
    .await?;
    let mut posts = HashMap::new();
    for (variant, post) in with_parts(conn, rows).await? {
        if let Some(variant) = variant {
            posts.insert(VariantId(variant), post);
        }
    }
    Ok(posts)
}

/// The posts of these rows with their album parts (one more query), each with its
/// variant. Reads without locking.
async fn with_parts(
    conn: &mut PgConnection,
    rows: Vec<PostRow>,
) -> Result<Vec<(Option<i64>, RelayPost)>, StoreError> {
    let albums: Vec<i64> = rows
        .iter()
        .filter(|row| row.post_kind == PostKind::Album.as_str())
        .map(|row| row.id)
        .collect();
    let mut parts: HashMap<i64, Vec<RelayPart>> = HashMap::new();
    if !albums.is_empty() {
        #[derive(sqlx::FromRow)]
        struct PartRow {
            item_id: i64,
            source_message_id: i32,
            body: String,
            entities: Vec<u8>,
            media_kind: String,
            media_id: i64,
            media_access_hash: i64,
            media_file_reference: Vec<u8>,
        }
        let rows = sqlx::query_as::<_, PartRow>(
            "SELECT item_id, source_message_id, body, entities, media_kind, media_id,
                    media_access_hash, media_file_reference
               FROM relay_album_parts WHERE item_id = ANY($1) ORDER BY item_id, position",
        )
        .bind(&albums)
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            parts.entry(row.item_id).or_default().push(RelayPart {
                source_message_id: row.source_message_id,
                body: row.body,
                entities: row.entities,
                media: RelayMedia {
                    kind: decode_status("relay_album_parts.media_kind", &row.media_kind)?,
                    id: row.media_id,
                    access_hash: row.media_access_hash,
                    file_reference: row.media_file_reference,
                },
            });
        }
    }
    rows.into_iter()
        .map(|row| {
            let (id, variant) = (row.id, row.variant_id);
            let mut post = RelayPost::try_from(row)?;
            post.parts = parts.remove(&id).unwrap_or_default();
            Ok((variant, post))
        })
        .collect()
}

fn secs(span: Duration, what: &str) -> Result<i32, StoreError> {
    i32::try_from(span.as_secs()).map_err(|_| StoreError::invalid(what.to_owned(), "too long"))
}

impl Store {
    /// Creates a relay campaign: the campaign and its source in one transaction (so a
    /// refused name or source stores nothing). The first read is due at `now`.
    ///
    /// Relies on `UNIQUE (campaigns.name)`; takes no other lock. The inserts notify
    /// `tgfleet_changes`.
    pub async fn create_relay_campaign(
        &self,
        campaign: &NewCampaign,
        relay: &NewRelay,
        now: DateTime<Utc>,
    ) -> Result<Campaign, StoreError> {
        if !matches!(relay.source, GroupHandle::Username(_)) {
            return Err(StoreError::invalid(
                "relay source",
                "must be a public channel (@username)",
            ));
        }
        let delay = secs(relay.delay, "relay delay")?;
        let max_age = secs(relay.max_age, "relay max age")?;
        if max_age <= 0 {
            return Err(StoreError::invalid("relay max age", "must be positive"));
        }
        let mut tx = self.pool.begin().await?;
        let mut created = insert_campaign(&mut tx, campaign, now).await?;
        let row = sqlx::query_as::<_, ConfigRow>(concat!(
            "INSERT INTO relay_sources (campaign_id, source_handle, mode, include_patterns,
                                        exclude_patterns, delay_secs, max_age_secs,
                                        allow_copy_fallback, next_poll_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             RETURNING ",
            config_columns!()
        ))
        .bind(created.id.0)
        .bind(relay.source.key())
        .bind(relay.mode.as_str())
        .bind(&relay.include)
        .bind(&relay.exclude)
        .bind(delay)
        .bind(max_age)
        .bind(relay.allow_copy_fallback)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        created.relay = Some(<(CampaignId, RelayConfig)>::try_from(row)?.1);
        Ok(created)
    }

    /// The relay config of a campaign, if it is a relay campaign. Reads without locking.
    pub async fn relay_of(&self, campaign: CampaignId) -> Result<Option<RelayConfig>, StoreError> {
        Ok(self.relays_of(&[campaign]).await?.remove(&campaign))
    }

    /// The relay configs of those of `campaigns` that are relay campaigns, in one
    /// query. Reads without locking.
    pub async fn relays_of(
        &self,
        campaigns: &[CampaignId],
    ) -> Result<HashMap<CampaignId, RelayConfig>, StoreError> {
        let ids: Vec<i64> = campaigns.iter().map(|campaign| campaign.0).collect();
        let mut conn = self.pool.acquire().await?;
        relay_configs(&mut conn, &ids).await
    }

    /// The active, unfinished relay campaigns whose next read is due at `now`, by
    /// campaign id. Reads without locking.
    pub async fn due_relays(&self, now: DateTime<Utc>) -> Result<Vec<DueRelay>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            config: ConfigRow,
            name: String,
            created_at: DateTime<Utc>,
        }
        let rows = sqlx::query_as::<_, Row>(
            "SELECT r.campaign_id, r.source_handle, r.mode, r.include_patterns, r.exclude_patterns,
                    r.delay_secs, r.max_age_secs, r.allow_copy_fallback, r.last_message_id,
                    r.next_poll_at, r.last_reader_id, r.waiting_reason, c.name, c.created_at
               FROM relay_sources r JOIN campaigns c ON c.id = r.campaign_id
              WHERE c.status = 'active' AND (c.ends_at IS NULL OR c.ends_at > $1)
                AND r.next_poll_at <= $1
              ORDER BY r.campaign_id",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let (campaign_id, config) = row.config.try_into()?;
                Ok(DueRelay {
                    campaign_id,
                    name: row.name,
                    created_at: row.created_at,
                    config,
                })
            })
            .collect()
    }

    /// The earliest next read of an active relay campaign (`None`: none). Reads
    /// without locking.
    pub async fn next_relay_poll(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT min(r.next_poll_at) FROM relay_sources r JOIN campaigns c ON c.id = r.campaign_id
              WHERE c.status = 'active'",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Takes the campaign's due read: moves `next_poll_at` to `next` if it was due at
    /// `now`, by compare-and-set (one `UPDATE .. WHERE next_poll_at <= now`), so two
    /// replicas never read one source at once. `false` when someone else took it.
    pub async fn take_relay_poll(
        &self,
        campaign: CampaignId,
        now: DateTime<Utc>,
        next: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let taken = sqlx::query(
            "UPDATE relay_sources SET next_poll_at = $3
              WHERE campaign_id = $1 AND next_poll_at <= $2",
        )
        .bind(campaign.0)
        .bind(now)
        .bind(next)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(taken == 1)
    }

    /// The stored posts of a campaign from source id `from` on (inclusive), by id: what
    /// the reader compares with the source. Reads without locking.
    pub async fn known_relay_posts(
        &self,
        campaign: CampaignId,
        from: i32,
    ) -> Result<Vec<KnownRelayPost>, StoreError> {
        let rows: Vec<(i32, String, Option<DateTime<Utc>>, bool)> = sqlx::query_as(
            "SELECT source_message_id, body, edited_at, deleted_at IS NOT NULL FROM relay_items
              WHERE campaign_id = $1 AND source_message_id >= $2 ORDER BY source_message_id",
        )
        .bind(campaign.0)
        .bind(from)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(source_message_id, body, edited_at, deleted)| KnownRelayPost {
                    source_message_id,
                    body,
                    edited_at,
                    deleted,
                },
            )
            .collect())
    }

    /// Records one read of a relay source, in one transaction fenced by the reader's
    /// lease: the posts read for the first time (those that passed the filters each
    /// with a new variant of the campaign's mode, `@source/id`, its content hash), the
    /// edits and deletions of known posts, and the cursor. So a crash before commit
    /// loses nothing (the next read starts from the old cursor) and a crash after it
    /// repeats nothing.
    ///
    /// Locks: [`check_lease`] (`FOR SHARE` on the lease row), then the campaign's
    /// `relay_sources` row `FOR UPDATE`; writes nothing (`stale`) if the cursor is not
    /// `read.cursor` any more. Relies on `UNIQUE (campaign_id, source_message_id)`.
    /// The variant inserts notify `tgfleet_changes`.
    pub async fn record_relay_read(
        &self,
        lease: &Lease,
        campaign: CampaignId,
        read: &RelayRead,
        now: DateTime<Utc>,
    ) -> Result<RelayRecorded, StoreError> {
        let mut tx = self.pool.begin().await?;
        check_lease(&mut tx, lease, now).await?;
        let current: Option<(i32, String, String)> = sqlx::query_as(
            "SELECT last_message_id, source_handle, mode FROM relay_sources
              WHERE campaign_id = $1 FOR UPDATE",
        )
        .bind(campaign.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((cursor, source, mode)) = current else {
            return Err(StoreError::not_found(format!("relay campaign {campaign}")));
        };
        let mut recorded = RelayRecorded::default();
        if cursor != read.cursor {
            recorded.stale = true;
            return Ok(recorded);
        }
        let mode: RelayMode = decode_status("relay_sources.mode", &mode)?;
        let kind = match mode {
            RelayMode::Forward => VariantKind::Forward,
            RelayMode::Copy => VariantKind::Copy,
        };
        for new in &read.new_posts {
            let post = &new.post;
            let variant: Option<i64> = if new.passed {
                Some(
                    sqlx::query_scalar(
                        "INSERT INTO message_variants
                            (campaign_id, kind, text_format, body, source_handle, source_message_id, content_hash)
                         VALUES ($1, $2, 'plain', $3, $4, $5, $6)
                         RETURNING id",
                    )
                    .bind(campaign.0)
                    .bind(kind.as_str())
                    .bind(&post.body)
                    .bind(&source)
                    .bind(post.source_message_id)
                    .bind(&new.content_hash)
                    .fetch_one(&mut *tx)
                    .await?,
                )
            } else {
                None
            };
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO relay_items
                    (campaign_id, source_message_id, variant_id, post_kind, body, entities,
                     media_kind, media_id, media_access_hash, media_file_reference, noforwards,
                     passed_filters, posted_at, seen_at, ready_at, expires_at, edited_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
                 ON CONFLICT (campaign_id, source_message_id) DO NOTHING
                 RETURNING id",
            )
            .bind(campaign.0)
            .bind(post.source_message_id)
            .bind(variant)
            .bind(post.kind.as_str())
            .bind(&post.body)
            .bind(&post.entities)
            .bind(post.media.as_ref().map(|media| media.kind.as_str()))
            .bind(post.media.as_ref().map(|media| media.id))
            .bind(post.media.as_ref().map(|media| media.access_hash))
            .bind(
                post.media
                    .as_ref()
                    .map(|media| media.file_reference.clone()),
            )
            .bind(post.noforwards)
            .bind(new.passed)
            .bind(post.posted_at)
            .bind(now)
            .bind(post.ready_at)
            .bind(post.expires_at)
            .bind(post.edited_at)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(item) = inserted else {
                // Read before: the cursor check makes this unreachable, but a repeat
                // must never add a second variant.
                return Err(StoreError::invalid(
                    format!("relay post {}", post.source_message_id),
                    "was already recorded",
                ));
            };
            for (position, part) in (0i16..).zip(&post.parts) {
                sqlx::query(
                    "INSERT INTO relay_album_parts
                        (item_id, position, source_message_id, body, entities, media_kind,
                         media_id, media_access_hash, media_file_reference)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(item)
                .bind(position)
                .bind(part.source_message_id)
                .bind(&part.body)
                .bind(&part.entities)
                .bind(part.media.kind.as_str())
                .bind(part.media.id)
                .bind(part.media.access_hash)
                .bind(&part.media.file_reference)
                .execute(&mut *tx)
                .await?;
            }
            match variant {
                Some(id) => recorded
                    .variants
                    .push((post.source_message_id, VariantId(id))),
                None => recorded.filtered_out.push(post.source_message_id),
            }
        }
        for edit in &read.edits {
            let variant: Option<Option<i64>> = sqlx::query_scalar(
                "UPDATE relay_items SET body = $3, entities = $4, edited_at = $5
                  WHERE campaign_id = $1 AND source_message_id = $2 AND deleted_at IS NULL
                 RETURNING variant_id",
            )
            .bind(campaign.0)
            .bind(edit.source_message_id)
            .bind(&edit.body)
            .bind(&edit.entities)
            .bind(edit.edited_at)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(variant) = variant {
                recorded.edited.push(edit.source_message_id);
                if let Some(variant) = variant {
                    sqlx::query(
                        "UPDATE message_variants SET body = $2, content_hash = $3 WHERE id = $1",
                    )
                    .bind(variant)
                    .bind(&edit.body)
                    .bind(&edit.content_hash)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        if !read.deleted.is_empty() {
            let deleted: Vec<i32> = sqlx::query_scalar(
                "UPDATE relay_items SET deleted_at = $3
                  WHERE campaign_id = $1 AND source_message_id = ANY($2) AND deleted_at IS NULL
                 RETURNING source_message_id",
            )
            .bind(campaign.0)
            .bind(&read.deleted)
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
            recorded.deleted = deleted;
            recorded.deleted.sort_unstable();
        }
        sqlx::query(
            "UPDATE relay_sources SET last_message_id = greatest(last_message_id, $2),
                    last_polled_at = $3, last_reader_id = $4, waiting_reason = NULL
              WHERE campaign_id = $1",
        )
        .bind(campaign.0)
        .bind(read.new_cursor)
        .bind(now)
        .bind(lease.account_id.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(recorded)
    }

    /// The accounts that may read a relay source, best first: active accounts that
    /// are members of the source (a `joined` membership of the catalogue group with
    /// the source's handle), the last reader first, then by id. Reads without locking.
    pub async fn relay_readers(
        &self,
        campaign: CampaignId,
    ) -> Result<Vec<(AccountId, String)>, StoreError> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT a.id, a.label FROM accounts a
               JOIN relay_sources r ON r.campaign_id = $1
               JOIN groups g ON g.handle = r.source_handle
               JOIN memberships m ON m.group_id = g.id AND m.account_id = a.id
              WHERE a.status = 'active' AND m.state = 'joined'
              ORDER BY (a.id = r.last_reader_id) DESC NULLS LAST, a.id",
        )
        .bind(campaign.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, label)| (AccountId(id), label))
            .collect())
    }

    /// Records that a relay waits for a reader: no active account is a member of its
    /// source. The source joins the catalogue (`INSERT .. ON CONFLICT (handle) DO
    /// NOTHING`, untagged), where the account-manager's ordinary assignment and join
    /// slots give it to one account and join it; and the campaign's `waiting_reason`
    /// says why nothing is read. Answers whether the reason is new (so the caller
    /// reports it once).
    ///
    /// Relies on `UNIQUE (groups.handle)`; locks the campaign's `relay_sources` row
    /// (`UPDATE`) and an inserted group row until commit. An insert (only when the
    /// handle is not listed) notifies `tgfleet_changes`.
    pub async fn await_relay_reader(
        &self,
        campaign: CampaignId,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let source: Option<String> =
            sqlx::query_scalar("SELECT source_handle FROM relay_sources WHERE campaign_id = $1")
                .bind(campaign.0)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(source) = source else {
            return Err(StoreError::not_found(format!("relay campaign {campaign}")));
        };
        let listed: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM groups WHERE handle = $1)")
                .bind(&source)
                .fetch_one(&mut *tx)
                .await?;
        if !listed {
            sqlx::query(
                "INSERT INTO groups (handle, handle_kind) VALUES ($1, 'username')
                 ON CONFLICT (handle) DO NOTHING",
            )
            .bind(&source)
            .execute(&mut *tx)
            .await?;
        }
        let changed = sqlx::query(
            "UPDATE relay_sources SET waiting_reason = $2
              WHERE campaign_id = $1 AND waiting_reason IS DISTINCT FROM $2",
        )
        .bind(campaign.0)
        .bind(reason)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(changed == 1)
    }

    /// The Telegram user ids of the fleet's accounts (for the etiquette rule). Reads
    /// without locking.
    pub async fn fleet_user_ids(&self) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT telegram_user_id FROM accounts WHERE telegram_user_id IS NOT NULL ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Posts not sent, by state and reason, most frequent first (the
    /// `post_skip_reasons` view: etiquette skips are `RECENT_MESSAGE_OURS`). Reads
    /// without locking.
    pub async fn skip_reasons(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT state, reason, posts FROM post_skip_reasons")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Every post of a campaign's source as read (deleted and filtered-out ones too),
    /// by source id. Reads without locking.
    pub async fn relay_items_of(&self, campaign: CampaignId) -> Result<Vec<RelayPost>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query_as::<_, PostRow>(concat!(
            "SELECT ",
            post_columns!(),
            " FROM relay_items WHERE campaign_id = $1 ORDER BY source_message_id"
        ))
        .bind(campaign.0)
        .fetch_all(&mut *conn)
        .await?;
        Ok(with_parts(&mut conn, rows)
            .await?
            .into_iter()
            .map(|(_, post)| post)
            .collect())
    }
}

/// `ready_at` and `expires_at` of a post read at `now` and posted at `posted_at`.
pub fn relay_times(
    config: &RelayConfig,
    posted_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        now + TimeDelta::seconds(config.delay_secs),
        posted_at + TimeDelta::seconds(config.max_age_secs),
    )
}
