//! What a variant becomes on the wire: its file (verified against the content hash it
//! was added with) or its source post (the source channel resolved once per account).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use tgfleet_domain::VariantId;
use tgfleet_domain::VariantKind;
use tgfleet_domain::campaign::Content;
use tgfleet_store::{Campaign, Variant};
use tgfleet_telegram::{MediaKind, OutgoingMessage, PeerRef};

use crate::convert::text_format;

/// The files of media variants, read once and checked against their content hash:
/// what is sent is exactly what was hashed when the variant was added.
#[derive(Debug, Default)]
pub(crate) struct MediaFiles {
    loaded: Mutex<HashMap<VariantId, Arc<Vec<u8>>>>,
    reported: Mutex<HashSet<VariantId>>,
}

impl MediaFiles {
    /// The variants that can be sent now: every text and source-post variant, and the
    /// media variants whose file reads and still hashes to the variant's content hash.
    /// A broken file is logged once (until it is fixed) and its variant left out.
    pub(crate) async fn usable(
        &self,
        campaigns: &[(Campaign, Vec<Variant>)],
    ) -> HashSet<VariantId> {
        let mut usable = HashSet::new();
        for (_, variants) in campaigns {
            for variant in variants {
                if !variant.kind.has_media() || self.load(variant).await.is_some() {
                    usable.insert(variant.id);
                }
            }
        }
        usable
    }

    /// The verified bytes of a media variant.
    pub(crate) async fn load(&self, variant: &Variant) -> Option<Arc<Vec<u8>>> {
        if let Some(bytes) = lock(&self.loaded).get(&variant.id) {
            return Some(Arc::clone(bytes));
        }
        let path = variant.media_path.as_deref()?;
        let problem = match tokio::fs::read(path).await {
            Err(error) => format!("cannot read {path}: {error}"),
            Ok(bytes) if content_hash(variant, &bytes) == variant.content_hash => {
                let bytes = Arc::new(bytes);
                lock(&self.loaded).insert(variant.id, Arc::clone(&bytes));
                lock(&self.reported).remove(&variant.id);
                return Some(bytes);
            }
            Ok(_) => format!("{path} changed since the variant was added (content hash differs)"),
        };
        if lock(&self.reported).insert(variant.id) {
            tracing::error!(variant = %variant.id, "Variant {} left out: {problem}", variant.id);
        }
        None
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn content_hash(variant: &Variant, bytes: &[u8]) -> String {
    Content {
        kind: variant.kind,
        format: variant.format,
        body: &variant.body,
        media: Some(bytes),
        source: variant.source.as_ref(),
    }
    .hash()
}

/// The message for a variant: text, media with its verified bytes, or the source post
/// (forwarded or copied) through the account's peer of the source channel.
pub(crate) fn outgoing(
    variant: &Variant,
    media: Option<Arc<Vec<u8>>>,
    source: Option<PeerRef>,
) -> Option<OutgoingMessage> {
    let format = text_format(variant.format);
    Some(match variant.kind {
        VariantKind::Text => OutgoingMessage::Text {
            text: variant.body.clone(),
            format,
            link_preview: true,
        },
        VariantKind::Photo | VariantKind::Document => {
            let path = variant.media_path.as_deref()?;
            OutgoingMessage::Media {
                kind: if variant.kind == VariantKind::Photo {
                    MediaKind::Photo
                } else {
                    MediaKind::Document
                },
                file_name: Path::new(path).file_name().map_or_else(
                    || path.to_owned(),
                    |name| name.to_string_lossy().into_owned(),
                ),
                bytes: media?,
                caption: variant.body.clone(),
                format,
            }
        }
        VariantKind::Forward | VariantKind::Copy => OutgoingMessage::Forward {
            from: source?,
            message_id: variant.source.as_ref()?.message_id,
            drop_author: variant.kind == VariantKind::Copy,
        },
    })
}
