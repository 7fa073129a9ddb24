//! Session strings: Telethon's `StringSession` and Pyrogram's session strings.

use super::sqlite::{refuse_test_address, refuse_test_or_bot};
use super::{Found, SessionFormat, auth_key, dc_id, known_dc_address, socket_address};
use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// urlsafe base64 with or without `=` padding (Telethon pads, Pyrogram strips it).
const URL_SAFE_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

const KEY: usize = 256;
/// Telethon: `>B4sH256s` and `>B16sH256s`.
const TELETHON_V4: usize = 1 + 4 + 2 + KEY;
const TELETHON_V6: usize = 1 + 16 + 2 + KEY;
/// Pyrogram 2.x: `>BI?256sQ?` (dc_id, api_id, test_mode, auth_key, user_id, is_bot).
const PYROGRAM: usize = 1 + 4 + 1 + KEY + 8 + 1;
/// Pyrogram before 2.0 with 64-bit user ids: `>B?256sQ?`.
const PYROGRAM_OLD_64: usize = 1 + 1 + KEY + 8 + 1;
/// Pyrogram before 2.0: `>B?256sI?`.
const PYROGRAM_OLD: usize = 1 + 1 + KEY + 4 + 1;

/// Reads a file holding one session string.
pub(crate) fn read(text: &str) -> Result<Found, String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let string = match lines.as_slice() {
        [one] => *one,
        [] => return Err("the file is empty".to_owned()),
        more => {
            return Err(format!(
                "expected one session string, found {} lines",
                more.len()
            ));
        }
    };
    if !string
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'='))
    {
        return Err(
            "not a session string: not urlsafe base64 text (Telethon strings start with 1)"
                .to_owned(),
        );
    }
    if let Some(rest) = string.strip_prefix('1')
        && let Ok(bytes) = URL_SAFE_ANY_PADDING.decode(rest)
        && matches!(bytes.len(), TELETHON_V4 | TELETHON_V6)
    {
        return telethon(&bytes);
    }
    match URL_SAFE_ANY_PADDING.decode(string) {
        Ok(bytes) if bytes.len() == PYROGRAM => pyrogram(&bytes, Layout::Current),
        Ok(bytes) if bytes.len() == PYROGRAM_OLD_64 => pyrogram(&bytes, Layout::Old64),
        Ok(bytes) if bytes.len() == PYROGRAM_OLD => pyrogram(&bytes, Layout::Old32),
        _ => Err(wrong_length(string)),
    }
}

/// Characters of unpadded base64 for `bytes` bytes.
const fn chars(bytes: usize) -> usize {
    (bytes * 4).div_ceil(3)
}

/// Why base64 text of no session string's length is none: the length found and the
/// lengths each format has.
fn wrong_length(string: &str) -> String {
    let data = string.trim_end_matches('=').len();
    let telethon = |bytes: usize| 1 + chars(bytes).next_multiple_of(4);
    format!(
        "not a session string of a known format: {} characters of base64 ({} bytes); \
         a Telethon string has {} or {} characters ({TELETHON_V4} or {TELETHON_V6} bytes after its leading 1), \
         a Pyrogram or kurigram string {} ({PYROGRAM} bytes), an older Pyrogram string {} or {} ({PYROGRAM_OLD_64} or {PYROGRAM_OLD} bytes)",
        string.len(),
        data * 3 / 4,
        telethon(TELETHON_V4),
        telethon(TELETHON_V6),
        chars(PYROGRAM),
        chars(PYROGRAM_OLD_64),
        chars(PYROGRAM_OLD),
    )
}

/// Reads big-endian fields in order.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        head
    }
    fn u8(&mut self) -> u8 {
        self.take(1)[0]
    }
    fn bool(&mut self) -> bool {
        self.u8() != 0
    }
    fn u16(&mut self) -> u16 {
        u16::from_be_bytes(self.take(2).try_into().expect("2 bytes"))
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take(4).try_into().expect("4 bytes"))
    }
    fn u64(&mut self) -> u64 {
        u64::from_be_bytes(self.take(8).try_into().expect("8 bytes"))
    }
}

fn telethon(bytes: &[u8]) -> Result<Found, String> {
    let mut fields = Fields(bytes);
    let dc = fields.u8();
    let ip = if bytes.len() == TELETHON_V4 {
        IpAddr::V4(Ipv4Addr::from(
            <[u8; 4]>::try_from(fields.take(4)).expect("4 bytes"),
        ))
    } else {
        IpAddr::V6(Ipv6Addr::from(
            <[u8; 16]>::try_from(fields.take(16)).expect("16 bytes"),
        ))
    };
    let port = fields.u16();
    refuse_test_address(ip)?;
    Ok(Found {
        format: SessionFormat::TelethonString,
        dc_id: dc_id(i64::from(dc))?,
        server_address: socket_address(ip, i64::from(port))?,
        auth_key: auth_key(fields.take(KEY))?,
        user_id: None,
        phone_masked: None,
    })
}

#[derive(Clone, Copy)]
enum Layout {
    Current,
    Old64,
    Old32,
}

fn pyrogram(bytes: &[u8], layout: Layout) -> Result<Found, String> {
    let mut fields = Fields(bytes);
    let dc = dc_id(i64::from(fields.u8()))?;
    if let Layout::Current = layout {
        let _api_id = fields.u32();
    }
    let test_mode = fields.bool();
    let key = auth_key(fields.take(KEY))?;
    let user_id = match layout {
        Layout::Current | Layout::Old64 => fields.u64() as i64,
        Layout::Old32 => i64::from(fields.u32()),
    };
    let is_bot = fields.bool();
    refuse_test_or_bot(test_mode, is_bot)?;
    Ok(Found {
        format: SessionFormat::PyrogramString,
        dc_id: dc,
        server_address: known_dc_address(dc)?,
        auth_key: key,
        user_id: (user_id > 0).then_some(user_id),
        phone_masked: None,
    })
}
