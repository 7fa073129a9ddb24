//! `upload.saveFilePart` / `upload.saveBigFilePart`: parts collected per (auth key, file id),
//! and the uploaded files `messages.sendMedia` refers to.
//!
//! Only part sizes are kept (the world needs a file's name, kind and size, never its bytes).
//! An uploaded file can be sent several times, as on Telegram; each key keeps its
//! [`FILES_PER_KEY`] most recent files.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use grammers_tl_types as tl;

use super::WorldBackend;
use crate::backend::{CallContext, RpcCall, RpcError, RpcResponse};
use crate::crypto::AuthKeyId;

/// Telegram's largest file part (512 KiB).
pub(super) const MAX_PART_SIZE: usize = 512 * 1024;
/// Parts of a small file (`upload.saveFilePart`): at most 4000 (Telegram's limit).
const MAX_SMALL_PARTS: i32 = 4000;
/// Parts of a big file (`upload.saveBigFilePart`): at most 8000 (4 GB of 512 KiB parts).
const MAX_BIG_PARTS: i32 = 8000;
/// Uploaded files remembered per auth key; older ones are forgotten.
pub const FILES_PER_KEY: usize = 64;

/// The uploaded files of every key.
#[derive(Debug, Default)]
pub(super) struct Uploads {
    by_key: Mutex<HashMap<AuthKeyId, KeyUploads>>,
}

#[derive(Debug, Default)]
struct KeyUploads {
    files: HashMap<i64, UploadedParts>,
    /// File ids, oldest first.
    order: VecDeque<i64>,
}

#[derive(Debug, Default)]
struct UploadedParts {
    /// Part number → size in bytes.
    sizes: BTreeMap<i32, u64>,
    /// `file_total_parts` of `upload.saveBigFilePart`.
    big_total: Option<i32>,
}

/// A complete uploaded file as `messages.sendMedia` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UploadedFile {
    pub name: String,
    pub size: u64,
}

impl Uploads {
    /// Records one part. `big_total` is `Some` for `upload.saveBigFilePart`.
    fn save_part(
        &self,
        key: AuthKeyId,
        file_id: i64,
        part: i32,
        size: usize,
        big_total: Option<i32>,
    ) -> Result<bool, RpcError> {
        let max_parts = big_total.map_or(MAX_SMALL_PARTS, |total| total.min(MAX_BIG_PARTS));
        if let Some(total) = big_total
            && !(1..=MAX_BIG_PARTS).contains(&total)
        {
            return Err(RpcError::new(400, "FILE_PARTS_INVALID"));
        }
        if !(0..max_parts).contains(&part) {
            return Err(RpcError::new(400, "FILE_PART_INVALID"));
        }
        if size == 0 {
            return Err(RpcError::new(400, "FILE_PART_EMPTY"));
        }
        if size > MAX_PART_SIZE {
            return Err(RpcError::new(400, "FILE_PART_TOO_BIG"));
        }
        let mut by_key = self.by_key.lock().unwrap_or_else(PoisonError::into_inner);
        let uploads = by_key.entry(key).or_default();
        let file = match uploads.files.entry(file_id) {
            Entry::Occupied(file) => file.into_mut(),
            Entry::Vacant(vacant) => {
                uploads.order.push_back(file_id);
                vacant.insert(UploadedParts::default())
            }
        };
        file.big_total = big_total.or(file.big_total);
        file.sizes.insert(part, size as u64);
        while uploads.order.len() > FILES_PER_KEY {
            if let Some(oldest) = uploads.order.pop_front() {
                uploads.files.remove(&oldest);
            }
        }
        Ok(true)
    }

    /// The complete file an `inputFile` / `inputFileBig` names: `FILE_PART_X_MISSING` for the
    /// first part never received, `FILE_PARTS_INVALID` when the part count disagrees with
    /// the upload.
    pub(super) fn file(
        &self,
        key: AuthKeyId,
        input: &tl::enums::InputFile,
    ) -> Result<UploadedFile, RpcError> {
        let (id, parts, name, big) = match input {
            tl::enums::InputFile::File(file) => (file.id, file.parts, &file.name, false),
            tl::enums::InputFile::Big(file) => (file.id, file.parts, &file.name, true),
            tl::enums::InputFile::StoryDocument(_) => {
                return Err(RpcError::new(400, "MEDIA_INVALID"));
            }
        };
        let limit = if big { MAX_BIG_PARTS } else { MAX_SMALL_PARTS };
        if !(1..=limit).contains(&parts) {
            return Err(RpcError::new(400, "FILE_PARTS_INVALID"));
        }
        let by_key = self.by_key.lock().unwrap_or_else(PoisonError::into_inner);
        let uploaded = by_key.get(&key).and_then(|uploads| uploads.files.get(&id));
        let Some(uploaded) = uploaded else {
            return Err(missing_part(0));
        };
        if uploaded.big_total.is_some_and(|total| total != parts) {
            return Err(RpcError::new(400, "FILE_PARTS_INVALID"));
        }
        if let Some(part) = (0..parts).find(|part| !uploaded.sizes.contains_key(part)) {
            return Err(missing_part(part));
        }
        Ok(UploadedFile {
            name: name.clone(),
            size: uploaded.sizes.range(0..parts).map(|(_, size)| size).sum(),
        })
    }
}

/// `400 FILE_PART_<n>_MISSING`, which grammers reports as `FILE_PART_MISSING` with value `n`.
fn missing_part(part: i32) -> RpcError {
    RpcError::new(400, format!("FILE_PART_{part}_MISSING"))
}

/// Serves the two upload methods.
pub(super) fn serve(
    backend: &WorldBackend,
    ctx: &CallContext,
    call: &RpcCall,
) -> Option<RpcResponse> {
    let key = ctx.auth_key_id;
    call.serve(|request: tl::functions::upload::SaveFilePart| {
        backend.authorize(ctx)?;
        backend.uploads.save_part(
            key,
            request.file_id,
            request.file_part,
            request.bytes.len(),
            None,
        )
    })
    .or_else(|| {
        call.serve(|request: tl::functions::upload::SaveBigFilePart| {
            backend.authorize(ctx)?;
            backend.uploads.save_part(
                key,
                request.file_id,
                request.file_part,
                request.bytes.len(),
                Some(request.file_total_parts),
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input_file(id: i64, parts: i32) -> tl::enums::InputFile {
        tl::enums::InputFile::File(tl::types::InputFile {
            id,
            parts,
            name: "cat.jpg".into(),
            md5_checksum: String::new(),
        })
    }

    #[test]
    fn a_file_is_complete_once_every_part_arrived() {
        let uploads = Uploads::default();
        let key = AuthKeyId(1);
        assert_eq!(uploads.save_part(key, 9, 1, 100, None), Ok(true));
        assert_eq!(
            uploads.file(key, &input_file(9, 2)),
            Err(RpcError::new(400, "FILE_PART_0_MISSING"))
        );
        uploads.save_part(key, 9, 0, MAX_PART_SIZE, None).unwrap();
        let file = uploads.file(key, &input_file(9, 2)).unwrap();
        assert_eq!(file.size, MAX_PART_SIZE as u64 + 100);
        assert_eq!(file.name, "cat.jpg");
        assert!(uploads.file(key, &input_file(9, 2)).is_ok(), "reusable");
        assert_eq!(
            uploads.file(AuthKeyId(2), &input_file(9, 2)),
            Err(RpcError::new(400, "FILE_PART_0_MISSING")),
            "uploads belong to their key"
        );
    }

    #[test]
    fn bad_parts_are_refused_with_telegrams_errors() {
        let uploads = Uploads::default();
        let key = AuthKeyId(1);
        let error = |result: Result<bool, RpcError>| result.unwrap_err().message;
        assert_eq!(
            error(uploads.save_part(key, 1, 0, MAX_PART_SIZE + 1, None)),
            "FILE_PART_TOO_BIG"
        );
        assert_eq!(
            error(uploads.save_part(key, 1, 0, 0, None)),
            "FILE_PART_EMPTY"
        );
        assert_eq!(
            error(uploads.save_part(key, 1, -1, 1, None)),
            "FILE_PART_INVALID"
        );
        assert_eq!(
            error(uploads.save_part(key, 1, 3, 1, Some(3))),
            "FILE_PART_INVALID"
        );
        assert_eq!(
            error(uploads.save_part(key, 1, 0, 1, Some(0))),
            "FILE_PARTS_INVALID"
        );
        uploads.save_part(key, 2, 0, 10, Some(1)).unwrap();
        let big = tl::enums::InputFile::Big(tl::types::InputFileBig {
            id: 2,
            parts: 2,
            name: "big.bin".into(),
        });
        assert_eq!(
            uploads.file(key, &big).unwrap_err().message,
            "FILE_PARTS_INVALID"
        );
    }

    #[test]
    fn each_key_keeps_its_most_recent_files() {
        let uploads = Uploads::default();
        let key = AuthKeyId(1);
        for id in 0..=FILES_PER_KEY as i64 {
            uploads.save_part(key, id, 0, 1, None).unwrap();
        }
        assert!(uploads.file(key, &input_file(0, 1)).is_err(), "evicted");
        assert!(uploads.file(key, &input_file(1, 1)).is_ok());
    }
}
