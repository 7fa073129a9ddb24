//! The operator's group catalogue: bulk import and listing.

use crate::error::decode_status;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use tgfleet_domain::{GroupHandle, GroupId, GroupStatus, normalize_tag};

/// One group to import, with the tags to attach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedGroup {
    /// The normalized handle.
    pub handle: GroupHandle,
    /// Tags to add (normalized with [`tgfleet_domain::normalize_tag`]).
    pub tags: Vec<String>,
}

/// What an import changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Distinct handles in the request.
    pub unique: u64,
    /// Groups that were new.
    pub inserted: u64,
    /// Groups that were already in the catalogue (their tags were merged).
    pub already_present: u64,
}

/// Which groups [`Store::list_groups`] returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupFilter {
    /// Only this status.
    pub status: Option<GroupStatus>,
    /// Only groups carrying this tag.
    pub tag: Option<String>,
}

/// A row of `groups`, with the label of its responsible account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Primary key.
    pub id: GroupId,
    /// The normalized handle.
    pub handle: GroupHandle,
    /// `supergroup`, `channel`, `gigagroup` or `basic_group`, once known.
    pub kind: Option<String>,
    /// The title, once known.
    pub title: Option<String>,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// Catalogue status.
    pub status: GroupStatus,
    /// Why the status was last set.
    pub status_reason: Option<String>,
    /// Whether the responsible account may post.
    pub can_post: bool,
    /// The label of the account responsible for the group, once assigned.
    pub responsible_account: Option<String>,
    /// The last audit.
    pub last_reviewed_at: Option<DateTime<Utc>>,
    /// When the group was imported.
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct GroupRow {
    id: i64,
    handle: String,
    kind: Option<String>,
    title: Option<String>,
    tags: Vec<String>,
    status: String,
    status_reason: Option<String>,
    can_post: bool,
    responsible_account: Option<String>,
    last_reviewed_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl TryFrom<GroupRow> for Group {
    type Error = StoreError;

    fn try_from(row: GroupRow) -> Result<Self, StoreError> {
        let handle = GroupHandle::parse(&row.handle)
            .map_err(|err| StoreError::invalid("groups.handle", err.to_string()))?;
        Ok(Self {
            id: GroupId(row.id),
            handle,
            status: decode_status("groups.status", &row.status)?,
            kind: row.kind,
            title: row.title,
            tags: row.tags,
            status_reason: row.status_reason,
            can_post: row.can_post,
            responsible_account: row.responsible_account,
            last_reviewed_at: row.last_reviewed_at,
            created_at: row.created_at,
        })
    }
}

/// Rows per INSERT statement of an import.
const IMPORT_BATCH: usize = 500;

impl Store {
    /// Adds groups to the catalogue in ONE transaction: either every group is in
    /// afterwards or, on any error, nothing changed. Duplicates in the request
    /// collapse (their tags merge). Groups already present keep their status and
    /// gain the new tags.
    ///
    /// Relies on `UNIQUE (handle)`: `INSERT .. ON CONFLICT (handle) DO NOTHING`, so
    /// concurrent imports of the same handle insert it once. Locks the rows it
    /// inserts or re-tags until commit.
    pub async fn import_groups(
        &self,
        groups: &[ImportedGroup],
    ) -> Result<ImportReport, StoreError> {
        let mut tags_by_handle: BTreeMap<String, (&'static str, Vec<String>)> = BTreeMap::new();
        for group in groups {
            let entry = tags_by_handle
                .entry(group.handle.key())
                .or_insert_with(|| (group.handle.kind_str(), Vec::new()));
            for tag in &group.tags {
                let tag = normalize_tag(tag)
                    .map_err(|err| StoreError::invalid("tag", err.to_string()))?;
                if !entry.1.contains(&tag) {
                    entry.1.push(tag);
                }
            }
        }
        // One statement per batch and tag set: arrays of handles and kinds, one tag array.
        let mut by_tags: BTreeMap<Vec<String>, Vec<(String, &'static str)>> = BTreeMap::new();
        for (handle, (kind, mut tags)) in tags_by_handle {
            tags.sort();
            by_tags.entry(tags).or_default().push((handle, kind));
        }
        let mut report = ImportReport::default();
        let mut tx = self.pool.begin().await?;
        for (tags, handles) in &by_tags {
            for batch in handles.chunks(IMPORT_BATCH) {
                let keys: Vec<&str> = batch.iter().map(|(handle, _)| handle.as_str()).collect();
                let kinds: Vec<&str> = batch.iter().map(|(_, kind)| *kind).collect();
                let inserted = sqlx::query(
                    "INSERT INTO groups (handle, handle_kind, tags)
                     SELECT handle, kind, $3::text[] FROM unnest($1::text[], $2::text[]) AS t(handle, kind)
                     ON CONFLICT (handle) DO NOTHING",
                )
                .bind(&keys)
                .bind(&kinds)
                .bind(tags)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                report.unique += batch.len() as u64;
                report.inserted += inserted;
                report.already_present += batch.len() as u64 - inserted;
                if !tags.is_empty() {
                    sqlx::query(
                        "UPDATE groups
                            SET tags = ARRAY(SELECT DISTINCT t FROM unnest(tags || $2::text[]) AS t ORDER BY t),
                                updated_at = now()
                          WHERE handle = ANY($1::text[]) AND NOT tags @> $2::text[]",
                    )
                    .bind(&keys)
                    .bind(tags)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(report)
    }

    /// Groups matching `filter`, ordered by handle. Reads without locking.
    pub async fn list_groups(&self, filter: &GroupFilter) -> Result<Vec<Group>, StoreError> {
        sqlx::query_as::<_, GroupRow>(
            "SELECT g.id, g.handle, g.kind, g.title, g.tags, g.status, g.status_reason, g.can_post,
                    a.label AS responsible_account, g.last_reviewed_at, g.created_at
               FROM groups g
               LEFT JOIN accounts a ON a.id = g.responsible_account_id
              WHERE ($1::text IS NULL OR g.status = $1)
                AND ($2::text IS NULL OR $2 = ANY(g.tags))
              ORDER BY g.handle",
        )
        .bind(filter.status.map(GroupStatus::as_str))
        .bind(&filter.tag)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(Group::try_from)
        .collect()
    }

    /// How many groups match `filter`. Reads without locking.
    pub async fn count_groups(&self, filter: &GroupFilter) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM groups
              WHERE ($1::text IS NULL OR status = $1)
                AND ($2::text IS NULL OR $2 = ANY(tags))",
        )
        .bind(filter.status.map(GroupStatus::as_str))
        .bind(&filter.tag)
        .fetch_one(&self.pool)
        .await?;
        Ok(count.unsigned_abs())
    }
}
