//! What goes into a send: formatted text, uploaded files, random ids.

use grammers_client::parsers::{parse_html_message, parse_markdown_message};
use grammers_tl_types as tl;
use tgfleet_telegram::{MediaKind, TextFormat};

/// Parts of at most 512 KiB (Telegram's largest part size).
pub(crate) const PART_SIZE: usize = 512 * 1024;
/// Files above 10 MiB go through `upload.saveBigFilePart`.
pub(crate) const BIG_FILE_SIZE: usize = 10 * 1024 * 1024;

/// A random id for a message (Telegram deduplicates a retried send by it).
pub(crate) fn random_id() -> i64 {
    getrandom::u64().map_or_else(
        |_| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos();
            nanos as i64
        },
        |value| value as i64,
    )
}

/// The text Telegram shows and its formatting entities (`None` when there are none).
pub(crate) fn formatted(
    text: &str,
    format: TextFormat,
) -> (String, Option<Vec<tl::enums::MessageEntity>>) {
    let (text, entities) = match format {
        TextFormat::Plain => (text.to_owned(), Vec::new()),
        TextFormat::Markdown => parse_markdown_message(text),
        TextFormat::Html => parse_html_message(text),
    };
    (text, (!entities.is_empty()).then_some(entities))
}

/// One `upload.saveFilePart` / `upload.saveBigFilePart` request per part.
pub(crate) fn upload_parts(file_id: i64, bytes: &[u8]) -> Vec<UploadPart> {
    let total = bytes.len().div_ceil(PART_SIZE).max(1);
    let total_parts = i32::try_from(total).unwrap_or(i32::MAX);
    let big = bytes.len() > BIG_FILE_SIZE;
    (0..total)
        .map(|index| {
            let start = index * PART_SIZE;
            let end = (start + PART_SIZE).min(bytes.len());
            let file_part = i32::try_from(index).unwrap_or(i32::MAX);
            let bytes = bytes[start..end].to_vec();
            if big {
                UploadPart::Big(tl::functions::upload::SaveBigFilePart {
                    file_id,
                    file_part,
                    file_total_parts: total_parts,
                    bytes,
                })
            } else {
                UploadPart::Small(tl::functions::upload::SaveFilePart {
                    file_id,
                    file_part,
                    bytes,
                })
            }
        })
        .collect()
}

/// One part of an upload.
#[derive(Debug)]
pub(crate) enum UploadPart {
    /// Of a file up to 10 MiB.
    Small(tl::functions::upload::SaveFilePart),
    /// Of a larger file.
    Big(tl::functions::upload::SaveBigFilePart),
}

/// The input file naming an upload after all its parts are saved.
pub(crate) fn uploaded_file(file_id: i64, file_name: &str, size: usize) -> tl::enums::InputFile {
    let parts = i32::try_from(size.div_ceil(PART_SIZE).max(1)).unwrap_or(i32::MAX);
    let name = if file_name.is_empty() {
        "file".to_owned()
    } else {
        file_name.to_owned()
    };
    if size > BIG_FILE_SIZE {
        tl::types::InputFileBig {
            id: file_id,
            parts,
            name,
        }
        .into()
    } else {
        tl::types::InputFile {
            id: file_id,
            parts,
            name,
            md5_checksum: String::new(),
        }
        .into()
    }
}

/// `messages.sendMedia` of `media` with its caption, to `to`, with `random_id` (every
/// other option off).
pub(crate) fn send_media(
    to: tl::enums::InputPeer,
    media: tl::enums::InputMedia,
    message: String,
    entities: Option<Vec<tl::enums::MessageEntity>>,
    random_id: i64,
) -> tl::functions::messages::SendMedia {
    tl::functions::messages::SendMedia {
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer: to,
        reply_to: None,
        media,
        message,
        random_id,
        reply_markup: None,
        entities,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
    }
}

/// The media of a photo or document message.
pub(crate) fn input_media(
    kind: MediaKind,
    file: tl::enums::InputFile,
    file_name: &str,
) -> tl::enums::InputMedia {
    match kind {
        MediaKind::Photo => tl::types::InputMediaUploadedPhoto {
            spoiler: false,
            live_photo: false,
            file,
            stickers: None,
            ttl_seconds: None,
            video: None,
        }
        .into(),
        // A video goes as a file Telegram may show as a video (`force_file` off:
        // core.telegram.org/constructor/inputMediaUploadedDocument).
        MediaKind::Document | MediaKind::Video => tl::types::InputMediaUploadedDocument {
            nosound_video: false,
            force_file: kind == MediaKind::Document,
            spoiler: false,
            file,
            thumb: None,
            mime_type: mime_type(file_name).to_owned(),
            attributes: vec![
                tl::types::DocumentAttributeFilename {
                    file_name: file_name.to_owned(),
                }
                .into(),
            ],
            stickers: None,
            video_cover: None,
            video_timestamp: None,
            ttl_seconds: None,
        }
        .into(),
    }
}

/// A MIME type from the file name's extension (`application/octet-stream` otherwise).
pub(crate) fn mime_type(file_name: &str) -> &'static str {
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, extension)| extension.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "mp4" => "video/mp4",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_html_become_entities_and_plain_stays_plain() {
        let (text, entities) = formatted("**Sale** today", TextFormat::Markdown);
        assert_eq!(text, "Sale today");
        assert!(matches!(
            entities.as_deref(),
            Some([tl::enums::MessageEntity::Bold(_)])
        ));
        let (text, entities) = formatted(
            "<i>new</i> <a href=\"https://x.y\">shop</a>",
            TextFormat::Html,
        );
        assert_eq!(text, "new shop");
        assert_eq!(entities.map(|e| e.len()), Some(2));
        let (text, entities) = formatted("**as is**", TextFormat::Plain);
        assert_eq!((text.as_str(), entities), ("**as is**", None));
    }

    #[test]
    fn files_are_cut_into_parts() {
        let small = vec![7u8; PART_SIZE + 1];
        let parts = upload_parts(1, &small);
        assert_eq!(parts.len(), 2);
        assert!(
            matches!(&parts[1], UploadPart::Small(part) if part.bytes.len() == 1 && part.file_part == 1)
        );
        assert!(matches!(
            uploaded_file(1, "a.jpg", small.len()),
            tl::enums::InputFile::File(file) if file.parts == 2
        ));
        let empty = upload_parts(2, &[]);
        assert_eq!(empty.len(), 1);
        let big = vec![0u8; BIG_FILE_SIZE + 1];
        assert!(
            matches!(&upload_parts(3, &big)[0], UploadPart::Big(part) if part.file_total_parts == 21)
        );
        assert_eq!(mime_type("Price.PDF"), "application/pdf");
    }
}
