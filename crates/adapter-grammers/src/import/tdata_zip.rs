//! A `tdata` folder packed in a zip archive, as account sellers ship them. The archive
//! is unpacked into a private temporary folder and read as a folder. Only what an
//! account's keys can live in is unpacked: Telegram Desktop's key and map files are a
//! few kilobytes, so larger entries (media caches, `user_data`, `emoji`) are left in
//! the archive, and the whole is bounded in entries and bytes. No entry can leave the
//! temporary folder (`..`, absolute names and symlinks are refused), and an encrypted
//! entry is reported instead of guessed at.

use super::tdata::{TdataError, is_tdata};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Entries larger than this are not key material and stay packed.
pub const MAX_ENTRY_BYTES: u64 = 1024 * 1024;
/// Entries an archive may list.
pub const MAX_ENTRIES: usize = 100_000;
/// Bytes unpacked in all.
pub const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;
/// Folder levels searched for the `tdata` folder inside the archive.
const SEARCH_DEPTH: usize = 4;

/// The `tdata` folder of an unpacked archive; the folder is removed when this drops.
#[derive(Debug)]
pub struct UnpackedTdata {
    _temporary: tempfile::TempDir,
    /// The `tdata` folder (the one holding `key_datas`).
    pub tdata: PathBuf,
}

/// Whether `file` is a zip archive (by its first bytes, whatever its name).
pub fn is_zip(file: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(file)
        .and_then(|mut opened| opened.read_exact(&mut magic))
        .is_ok_and(|()| &magic == b"PK\x03\x04" || &magic == b"PK\x05\x06")
}

/// Unpacks the zip archive `file` and finds the one `tdata` folder in it. The folder
/// is unpacked under a folder named like the archive, so an archive of a bare `tdata`
/// folder gets the archive's name as its label.
pub fn unpack(file: &Path) -> Result<UnpackedTdata, TdataError> {
    let invalid = |reason: String| TdataError::Invalid(format!("{}: {reason}", file.display()));
    let opened = File::open(file).map_err(|err| invalid(format!("cannot be opened: {err}")))?;
    let mut archive = zip::ZipArchive::new(opened)
        .map_err(|err| invalid(format!("not a readable zip archive: {err}")))?;
    if archive.len() > MAX_ENTRIES {
        return Err(invalid(format!(
            "{} entries; at most {MAX_ENTRIES} are read",
            archive.len()
        )));
    }
    let temporary = tempfile::Builder::new()
        .prefix("tgfleet-tdata-")
        .tempdir()
        .map_err(|err| invalid(format!("no temporary folder: {err}")))?;
    let stem = file
        .file_stem()
        .and_then(|stem| stem.to_str())
        .filter(|stem| !stem.is_empty())
        .unwrap_or("tdata");
    let root = temporary.path().join(stem);
    std::fs::create_dir_all(&root).map_err(|err| invalid(err.to_string()))?;
    let mut unpacked = 0u64;
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|err| invalid(format!("entry {index}: {err}")))?;
        let name = entry
            .name()
            .map_or_else(|_| format!("#{index}"), |name| name.into_owned());
        if entry.encrypted() {
            return Err(invalid(format!(
                "entry {name} is encrypted with a zip password; unpack the archive and import the folder"
            )));
        }
        let Some(relative) = entry.enclosed_name() else {
            return Err(invalid(format!(
                "entry {name} points outside the archive's folder; nothing was unpacked"
            )));
        };
        if entry.is_symlink() {
            return Err(invalid(format!(
                "entry {name} is a symlink; nothing was unpacked"
            )));
        }
        let target = root.join(&relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&target).map_err(|err| invalid(err.to_string()))?;
            continue;
        }
        if entry.size() > MAX_ENTRY_BYTES {
            continue;
        }
        unpacked += entry.size();
        if unpacked > MAX_UNPACKED_BYTES {
            return Err(invalid(format!(
                "more than {} MiB of small files; not a tdata archive",
                MAX_UNPACKED_BYTES / 1024 / 1024
            )));
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|err| invalid(err.to_string()))?;
        }
        let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
        entry
            .by_ref()
            .take(MAX_ENTRY_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|err| invalid(format!("entry {name}: {err}")))?;
        File::create(&target)
            .and_then(|mut out| out.write_all(&bytes))
            .map_err(|err| invalid(format!("entry {name}: {err}")))?;
    }
    let mut found = Vec::new();
    find_tdata(&root, SEARCH_DEPTH, &mut found);
    match found.as_slice() {
        [one] => Ok(UnpackedTdata {
            tdata: one.clone(),
            _temporary: temporary,
        }),
        [] => Err(invalid(
            "holds no tdata folder (no key_datas file); is it a Telegram Desktop tdata archive?"
                .to_owned(),
        )),
        several => Err(invalid(format!(
            "holds {} tdata folders ({}); unpack it and import each folder",
            several.len(),
            several
                .iter()
                .map(|dir| dir.strip_prefix(&root).unwrap_or(dir).display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn find_tdata(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    if is_tdata(dir) {
        found.push(dir.to_owned());
        return;
    }
    if depth == 0 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    for sub in dirs {
        find_tdata(&sub, depth - 1, found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::fixtures::{TdataFixtureAccount, key, tdata_folder};
    use zip::write::SimpleFileOptions;

    fn zip_folder(folder: &Path, prefix: &str, out: &Path, extra: &[(&str, &[u8])]) {
        let mut writer = zip::ZipWriter::new(File::create(out).unwrap());
        let options = SimpleFileOptions::default();
        let mut stack = vec![folder.to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let relative = path.strip_prefix(folder).unwrap().display().to_string();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    writer
                        .start_file(format!("{prefix}{relative}"), options)
                        .unwrap();
                    writer.write_all(&std::fs::read(&path).unwrap()).unwrap();
                }
            }
        }
        for (name, bytes) in extra {
            writer.start_file(*name, options).unwrap();
            writer.write_all(bytes).unwrap();
        }
        writer.finish().unwrap();
    }

    fn fixture(dir: &Path) -> PathBuf {
        let tdata = dir.join("tdata");
        tdata_folder(
            &tdata,
            "",
            &[TdataFixtureAccount {
                dc_id: 2,
                user_id: 6_600_000_001,
                auth_key: key(1),
            }],
        );
        tdata
    }

    #[test]
    fn an_archive_of_a_tdata_folder_unpacks_to_it_and_skips_large_caches() {
        let dir = tempfile::tempdir().unwrap();
        let tdata = fixture(dir.path());
        let archive = dir.path().join("seller 42.zip");
        let cache = vec![0u8; (MAX_ENTRY_BYTES + 1) as usize];
        zip_folder(
            &tdata,
            "tdata/",
            &archive,
            &[("tdata/user_data/cache/big", &cache)],
        );
        assert!(is_zip(&archive));
        assert!(!is_zip(&tdata.join("key_datas")));
        let unpacked = unpack(&archive).unwrap();
        assert!(unpacked.tdata.ends_with("seller 42/tdata"), "{unpacked:?}");
        assert!(!unpacked.tdata.join("user_data/cache/big").exists());
        let read = crate::import::tdata::read(&unpacked.tdata, &"".to_owned().into()).unwrap();
        assert_eq!(read.accounts.len(), 1);
        assert_eq!(read.accounts[0].user_id, 6_600_000_001);
        let temporary = unpacked.tdata.clone();
        drop(unpacked);
        assert!(!temporary.exists(), "the temporary folder is removed");
    }

    #[test]
    fn an_entry_outside_the_folder_is_refused_and_nothing_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let tdata = fixture(dir.path());
        let archive = dir.path().join("evil.zip");
        zip_folder(&tdata, "", &archive, &[("../../escaped", b"x")]);
        let err = unpack(&archive).unwrap_err().to_string();
        assert!(err.contains("points outside the archive's folder"), "{err}");
        assert!(!std::env::temp_dir().join("escaped").exists());
    }

    #[test]
    fn an_archive_without_tdata_or_not_a_zip_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let archive = dir.path().join("photos.zip");
        zip_folder(&empty, "", &archive, &[("a.jpg", b"jpeg")]);
        let err = unpack(&archive).unwrap_err().to_string();
        assert!(err.contains("holds no tdata folder"), "{err}");
        let broken = dir.path().join("broken.zip");
        std::fs::write(&broken, b"PK\x03\x04 not really").unwrap();
        let err = unpack(&broken).unwrap_err().to_string();
        assert!(err.contains("not a readable zip archive"), "{err}");
    }
}
