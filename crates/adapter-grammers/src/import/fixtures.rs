//! Session files and strings as Telethon, Pyrogram and grammers write them, built
//! byte by byte and with their own SQLite schemas, for tests (feature `fixtures`).

use crate::export::PyrogramFields;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::{Connection, params};
use secrecy::ExposeSecret;
use std::net::{IpAddr, SocketAddr, SocketAddrV4};
use std::path::Path;

/// A recognisable 256-byte auth key.
pub fn key(seed: u8) -> [u8; 256] {
    std::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8))
}

/// Telethon 1.x's SQLite session (schema version 7) with one `sessions` row.
pub fn telethon_file(path: &Path, dc_id: i32, address: SocketAddr, auth_key: &[u8]) {
    let db = Connection::open(path).expect("create the Telethon fixture");
    db.execute_batch(
        "CREATE TABLE version (version integer primary key);
         INSERT INTO version VALUES (7);
         CREATE TABLE sessions (dc_id integer primary key, server_address text, port integer,
                                auth_key blob, takeout_id integer);
         CREATE TABLE entities (id integer primary key, hash integer not null, username text,
                                phone integer, name text, date integer);
         CREATE TABLE sent_files (md5_digest blob, file_size integer, type integer, id integer,
                                  hash integer, primary key(md5_digest, file_size, type));
         CREATE TABLE update_state (id integer primary key, pts integer, qts integer,
                                    date integer, seq integer);",
    )
    .expect("Telethon schema");
    db.execute(
        "INSERT INTO sessions VALUES (?1, ?2, ?3, ?4, NULL)",
        params![dc_id, address.ip().to_string(), address.port(), auth_key],
    )
    .expect("Telethon session row");
}

/// Telethon's `StringSession` (see [`crate::export::telethon_string`]).
pub fn telethon_string(dc_id: u8, address: SocketAddr, auth_key: &[u8; 256]) -> String {
    crate::export::telethon_string(dc_id, address, auth_key)
        .expose_secret()
        .to_owned()
}

/// What a Pyrogram fixture records besides the key.
#[derive(Clone, Debug)]
pub struct PyrogramAccount {
    /// Home data centre.
    pub dc_id: u8,
    /// Telegram's user id.
    pub user_id: i64,
    /// The account's phone (Pyrogram's `peers` table), full.
    pub phone: Option<String>,
    /// A test-server session.
    pub test_mode: bool,
    /// A bot session.
    pub is_bot: bool,
}

impl PyrogramAccount {
    /// A production user session on `dc_id`.
    pub fn user(dc_id: u8, user_id: i64) -> Self {
        Self {
            dc_id,
            user_id,
            phone: None,
            test_mode: false,
            is_bot: false,
        }
    }
}

/// Pyrogram 2.x's SQLite session (schema version 3) with the self user in `peers`.
pub fn pyrogram_file(path: &Path, account: &PyrogramAccount, auth_key: &[u8]) {
    let db = Connection::open(path).expect("create the Pyrogram fixture");
    db.execute_batch(
        "CREATE TABLE sessions (dc_id INTEGER PRIMARY KEY, api_id INTEGER, test_mode INTEGER,
                                auth_key BLOB, date INTEGER NOT NULL, user_id INTEGER, is_bot INTEGER);
         CREATE TABLE peers (id INTEGER PRIMARY KEY, access_hash INTEGER, type INTEGER NOT NULL,
                             username TEXT, phone_number TEXT,
                             last_update_on INTEGER NOT NULL DEFAULT (CAST(STRFTIME('%s', 'now') AS INTEGER)));
         CREATE TABLE version (number INTEGER PRIMARY KEY);
         INSERT INTO version VALUES (3);",
    )
    .expect("Pyrogram schema");
    db.execute(
        "INSERT INTO sessions VALUES (?1, 12345, ?2, ?3, 0, ?4, ?5)",
        params![
            account.dc_id,
            account.test_mode,
            auth_key,
            account.user_id,
            account.is_bot
        ],
    )
    .expect("Pyrogram session row");
    db.execute(
        "INSERT INTO peers (id, access_hash, type, username, phone_number) VALUES (?1, 1, 0, NULL, ?2)",
        params![account.user_id, account.phone],
    )
    .expect("Pyrogram self peer");
}

/// Which Pyrogram session string layout to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PyrogramLayout {
    /// 2.x: `>BI?256sQ?` (dc_id, api_id, test_mode, auth_key, user_id, is_bot).
    Current,
    /// 1.x with 64-bit user ids: `>B?256sQ?`.
    Old64,
    /// 1.x: `>B?256sI?`.
    Old32,
}

/// A Pyrogram session string: urlsafe base64 without padding.
pub fn pyrogram_string(
    layout: PyrogramLayout,
    account: &PyrogramAccount,
    auth_key: &[u8; 256],
) -> String {
    if layout == PyrogramLayout::Current {
        let fields = PyrogramFields {
            dc_id: account.dc_id,
            api_id: 12345,
            user_id: account.user_id,
            test_mode: account.test_mode,
            is_bot: account.is_bot,
        };
        return crate::export::pyrogram_string(&fields, auth_key)
            .expose_secret()
            .to_owned();
    }
    let mut bytes = vec![account.dc_id];
    bytes.push(u8::from(account.test_mode));
    bytes.extend_from_slice(auth_key);
    match layout {
        PyrogramLayout::Old64 => bytes.extend_from_slice(&(account.user_id as u64).to_be_bytes()),
        _ => bytes.extend_from_slice(&(account.user_id as u32).to_be_bytes()),
    }
    bytes.push(u8::from(account.is_bot));
    URL_SAFE_NO_PAD.encode(bytes)
}

/// grammers 0.11's SQLite session (schema of `grammers_session::storages::SqliteSession`,
/// `user_version` 1) with the home DC's key and, optionally, the self user.
pub fn grammers_file(
    path: &Path,
    home_dc: i32,
    home: SocketAddrV4,
    auth_key: Option<&[u8]>,
    self_user: Option<i64>,
) {
    let db = Connection::open(path).expect("create the grammers fixture");
    db.execute_batch(
        "CREATE TABLE dc_home (dc_id INTEGER NOT NULL, PRIMARY KEY(dc_id));
         CREATE TABLE dc_option (dc_id INTEGER NOT NULL, ipv4 TEXT NOT NULL, ipv6 TEXT NOT NULL,
                                 auth_key BLOB, PRIMARY KEY (dc_id));
         CREATE TABLE peer_info (peer_id INTEGER NOT NULL, hash INTEGER, subtype INTEGER,
                                 PRIMARY KEY (peer_id));
         CREATE TABLE update_state (pts INTEGER NOT NULL, qts INTEGER NOT NULL,
                                    date INTEGER NOT NULL, seq INTEGER NOT NULL);
         CREATE TABLE channel_state (peer_id INTEGER NOT NULL, pts INTEGER NOT NULL,
                                     PRIMARY KEY (peer_id));
         PRAGMA user_version = 1;",
    )
    .expect("grammers schema");
    db.execute("INSERT INTO dc_home VALUES (?1)", [home_dc])
        .expect("grammers home");
    db.execute(
        "INSERT INTO dc_option VALUES (1, '149.154.175.53:443', '[2001:b28:f23d:f001::a]:443', NULL)",
        [],
    )
    .expect("grammers other dc");
    let ipv6 = format!("[{}]:{}", home.ip().to_ipv6_mapped(), home.port());
    db.execute(
        "INSERT OR REPLACE INTO dc_option VALUES (?1, ?2, ?3, ?4)",
        params![home_dc, home.to_string(), ipv6, auth_key],
    )
    .expect("grammers home option");
    if let Some(user) = self_user {
        db.execute("INSERT INTO peer_info VALUES (?1, 5555, 1)", [user])
            .expect("grammers self user");
    }
}

/// A data centre entry of a grammers binary session.
#[derive(Clone, Debug)]
pub struct GrammersDc {
    /// The DC id.
    pub id: i32,
    /// Its address.
    pub address: SocketAddr,
    /// Its auth key, if one was generated.
    pub auth_key: Option<[u8; 256]>,
}

/// grammers-session 0.7's binary session (`Session::save`), byte by byte: boxed TL,
/// little-endian. `user` is `(id, home dc, bot)`.
pub fn grammers_binary(dcs: &[GrammersDc], user: Option<(i64, i32, bool)>) -> Vec<u8> {
    let mut bytes = Vec::new();
    let u32_le = |bytes: &mut Vec<u8>, value: u32| bytes.extend_from_slice(&value.to_le_bytes());
    u32_le(&mut bytes, 0xa73e_b8ce);
    u32_le(&mut bytes, u32::from(user.is_some()));
    u32_le(&mut bytes, 0x1cb5_c415);
    u32_le(&mut bytes, dcs.len() as u32);
    for dc in dcs {
        u32_le(&mut bytes, 0x756d_16b6);
        let ip_flag = if dc.address.is_ipv4() { 1 } else { 2 };
        u32_le(
            &mut bytes,
            ip_flag | if dc.auth_key.is_some() { 4 } else { 0 },
        );
        bytes.extend_from_slice(&dc.id.to_le_bytes());
        match dc.address.ip() {
            IpAddr::V4(ip) => bytes.extend_from_slice(&ip.octets()),
            IpAddr::V6(ip) => bytes.extend_from_slice(&ip.octets()),
        }
        bytes.extend_from_slice(&i32::from(dc.address.port()).to_le_bytes());
        if let Some(key) = &dc.auth_key {
            bytes.extend_from_slice(&[254, 0, 1, 0]);
            bytes.extend_from_slice(key);
        }
    }
    if let Some((id, dc, bot)) = user {
        u32_le(&mut bytes, 0x672f_428d);
        bytes.extend_from_slice(&id.to_le_bytes());
        bytes.extend_from_slice(&dc.to_le_bytes());
        u32_le(&mut bytes, if bot { 0x9972_75b5 } else { 0xbc79_9737 });
    }
    bytes
}

/// An account of a [`tdata_folder`] fixture.
#[derive(Clone, Copy, Debug)]
pub struct TdataFixtureAccount {
    /// Main data centre.
    pub dc_id: i32,
    /// Telegram's user id.
    pub user_id: u64,
    /// The main DC's auth key.
    pub auth_key: [u8; 256],
}

/// A Telegram Desktop `tdata` folder written with the primitives tgfleet reads it
/// with (see [`crate::import::tdata`]): `key_datas`, and per account its map and
/// MTProto authorization (64-bit ids), version 4.8.1.
pub fn tdata_folder(dir: &Path, passcode: &str, accounts: &[TdataFixtureAccount]) {
    use crate::import::tdata::{
        MTP_AUTHORIZATION, WIDE_IDS_TAG, file_part, passcode_key, tdf_checksum,
    };
    const VERSION: u32 = 4_008_001;
    let local_key: [u8; 256] = std::array::from_fn(|i| (i as u8).wrapping_mul(7) ^ 0x5a);
    let salt = [0x33u8; 32];
    let write = |dir: &Path, name: &str, parts: &[Vec<u8>]| {
        std::fs::create_dir_all(dir).expect("tdata fixture folder");
        let mut data = Vec::new();
        for part in parts {
            data.extend_from_slice(&(part.len() as u32).to_be_bytes());
            data.extend_from_slice(part);
        }
        let mut file = b"TDF$".to_vec();
        file.extend_from_slice(&VERSION.to_le_bytes());
        file.extend_from_slice(&data);
        file.extend_from_slice(&tdf_checksum(&data, VERSION));
        std::fs::write(dir.join(format!("{name}s")), file).expect("tdata fixture file");
    };
    let passcode_key = passcode_key(&salt, passcode.as_bytes());
    let mut info = (accounts.len() as i32).to_be_bytes().to_vec();
    for index in 0..accounts.len() as i32 {
        info.extend_from_slice(&index.to_be_bytes());
    }
    write(
        dir,
        "key_data",
        &[
            salt.to_vec(),
            encrypt_local(&local_key, passcode_key.expose_secret()),
            encrypt_local(&info, &local_key),
        ],
    );
    for (index, account) in accounts.iter().enumerate() {
        let part = file_part(index as i32);
        write(
            &dir.join(&part),
            "map",
            &[Vec::new(), Vec::new(), encrypt_local(&[0; 8], &local_key)],
        );
        let mut auth = WIDE_IDS_TAG.to_be_bytes().to_vec();
        auth.extend_from_slice(&account.user_id.to_be_bytes());
        auth.extend_from_slice(&account.dc_id.to_be_bytes());
        auth.extend_from_slice(&1i32.to_be_bytes());
        auth.extend_from_slice(&account.dc_id.to_be_bytes());
        auth.extend_from_slice(&account.auth_key);
        auth.extend_from_slice(&0i32.to_be_bytes());
        let mut block = MTP_AUTHORIZATION.to_be_bytes().to_vec();
        block.extend_from_slice(&(auth.len() as u32).to_be_bytes());
        block.extend_from_slice(&auth);
        write(dir, &part, &[encrypt_local(&block, &local_key)]);
    }
}

/// Telegram Desktop's `PrepareEncrypted`: length-prefixed, padded to 16 bytes, the
/// SHA-1's first 16 bytes as message key, AES-256-IGE.
fn encrypt_local(data: &[u8], key: &[u8; 256]) -> Vec<u8> {
    use aes::Aes256;
    use ige::cipher::block_padding::NoPadding;
    use ige::cipher::{BlockModeEncrypt, KeyIvInit};
    use sha1::{Digest, Sha1};
    let mut plain = ((data.len() + 4) as u32).to_le_bytes().to_vec();
    plain.extend_from_slice(data);
    plain.resize(plain.len().next_multiple_of(16), 0);
    let msg_key: [u8; 16] = Sha1::digest(&plain)[..16].try_into().expect("16 bytes");
    let (aes_key, iv) = crate::import::tdata::aes_key_iv(key, &msg_key);
    let len = plain.len();
    ige::Encryptor::<Aes256>::new(&aes_key.into(), &iv.into())
        .encrypt_padded::<NoPadding>(&mut plain, len)
        .expect("whole blocks");
    let mut encrypted = msg_key.to_vec();
    encrypted.extend_from_slice(&plain);
    encrypted
}
