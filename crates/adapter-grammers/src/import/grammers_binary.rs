//! grammers' binary session file (grammers-session 0.4 – 0.7, `Session::save_to_file`):
//! its own TL schema, serialized boxed and little-endian:
//!
//! ```text
//! dataCenter flags:# id:int ipv4:flags.0?int ipv6:flags.1?int128 port:int auth:flags.2?bytes = DataCenter;
//! user id:long dc:int bot:Bool = User;
//! session flags:# dcs:Vector<DataCenter> user:flags.0?User state:flags.1?UpdateState = Session;
//! ```
//!
//! The home DC is the signed-in user's `dc` (grammers' default, 2, without a user).

use super::sqlite::refuse_test_or_bot;
use super::{Found, SessionFormat, auth_key, dc_id, socket_address};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `session` (the first four bytes of every such file, little-endian).
pub(crate) const SESSION: u32 = 0xa73e_b8ce;
/// `dataCenter`.
pub(crate) const DATA_CENTER: u32 = 0x756d_16b6;
/// `user`.
pub(crate) const USER: u32 = 0x672f_428d;
/// TL's `vector`.
pub(crate) const VECTOR: u32 = 0x1cb5_c415;
/// TL's `boolTrue` and `boolFalse`.
pub(crate) const BOOL_TRUE: u32 = 0x9972_75b5;
/// See [`BOOL_TRUE`].
pub(crate) const BOOL_FALSE: u32 = 0xbc79_9737;
/// grammers' default home DC.
const DEFAULT_DC: i32 = 2;

/// Whether `bytes` start like a grammers binary session.
pub(crate) fn is_grammers_binary(bytes: &[u8]) -> bool {
    bytes.starts_with(&SESSION.to_le_bytes())
}

struct Reader<'a>(&'a [u8]);

const TRUNCATED: &str = "a truncated grammers session file";

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err(TRUNCATED.to_owned());
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn i32(&mut self) -> Result<i32, String> {
        Ok(i32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn i64(&mut self) -> Result<i64, String> {
        Ok(i64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn expect(&mut self, constructor: u32, what: &str) -> Result<(), String> {
        if self.u32()? == constructor {
            Ok(())
        } else {
            Err(format!(
                "an unsupported grammers session version (unexpected {what})"
            ))
        }
    }
    /// TL `bytes`: a length (one byte, or 254 and three bytes) and padding to 4.
    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let first = self.take(1)?[0];
        let (len, header) = if first == 254 {
            let len = self.take(3)?;
            (
                usize::from(len[0]) | usize::from(len[1]) << 8 | usize::from(len[2]) << 16,
                4,
            )
        } else {
            (usize::from(first), 1)
        };
        let data = self.take(len)?;
        self.take((4 - (header + len) % 4) % 4)?;
        Ok(data)
    }
}

struct DataCenter<'a> {
    id: i32,
    ip: Option<IpAddr>,
    port: i32,
    auth: Option<&'a [u8]>,
}

/// Reads a grammers binary session.
pub(crate) fn read(bytes: &[u8]) -> Result<Found, String> {
    let mut reader = Reader(bytes);
    reader.expect(SESSION, "session constructor")?;
    let flags = reader.u32()?;
    reader.expect(VECTOR, "vector of data centres")?;
    let count = reader.u32()?;
    let mut centres = Vec::new();
    for _ in 0..count {
        reader.expect(DATA_CENTER, "data centre")?;
        let dc_flags = reader.u32()?;
        let id = reader.i32()?;
        let ipv4 = if dc_flags & 1 != 0 {
            let octets: [u8; 4] = reader.take(4)?.try_into().expect("4 bytes");
            Some(IpAddr::V4(Ipv4Addr::from(octets)))
        } else {
            None
        };
        let ipv6 = if dc_flags & 2 != 0 {
            let octets: [u8; 16] = reader.take(16)?.try_into().expect("16 bytes");
            Some(IpAddr::V6(Ipv6Addr::from(octets)))
        } else {
            None
        };
        let port = reader.i32()?;
        let auth = if dc_flags & 4 != 0 {
            Some(reader.bytes()?)
        } else {
            None
        };
        centres.push(DataCenter {
            id,
            ip: ipv4.or(ipv6),
            port,
            auth,
        });
    }
    let user = if flags & 1 != 0 {
        reader.expect(USER, "user")?;
        let id = reader.i64()?;
        let dc = reader.i32()?;
        let bot = match reader.u32()? {
            BOOL_TRUE => true,
            BOOL_FALSE => false,
            _ => return Err("an unsupported grammers session version (bad user flag)".to_owned()),
        };
        refuse_test_or_bot(false, bot)?;
        Some((id, dc))
    } else {
        None
    };
    let home = user.map_or(DEFAULT_DC, |(_, dc)| dc);
    let centre = centres
        .iter()
        .find(|centre| centre.id == home)
        .ok_or_else(|| format!("no entry for the home data centre {home}"))?;
    let ip = centre
        .ip
        .ok_or_else(|| format!("the home data centre {home} has no address"))?;
    Ok(Found {
        format: SessionFormat::GrammersBinary,
        dc_id: dc_id(i64::from(home))?,
        server_address: socket_address(ip, i64::from(centre.port))?,
        auth_key: auth_key(centre.auth.unwrap_or_default())?,
        user_id: user.map(|(id, _)| id),
        phone_masked: None,
    })
}
