//! Telegram Desktop's `tdata` folder: every account it holds, read as Telegram
//! Desktop reads them (`Telegram/SourceFiles/storage/details/storage_file_utilities.cpp`,
//! `storage/storage_domain.cpp`, `storage/storage_account.cpp`,
//! `mtproto/mtproto_auth_key.cpp`; opentele's `td/` is the same in Python):
//!
//! * every file is "TDF$", a little-endian version, the data, and the MD5 of data ‖
//!   data length ‖ version ‖ "TDF$"; a name `X` is stored as `Xs`, `X1` or `X0`;
//! * the data is a Qt `QDataStream` (big-endian; a byte array is its 32-bit length
//!   and its bytes);
//! * `key_datas` holds a salt, the encrypted local key and the encrypted account
//!   list. The passcode key is PBKDF2-HMAC-SHA512 of SHA-512(salt ‖ passcode ‖ salt)
//!   with the salt, 1 iteration without a passcode and 100 000 with one, 256 bytes;
//! * encrypted parts are a 16-byte message key and AES-256-IGE data whose key and IV
//!   come from SHA-1 of the message key and the local key (MTProto 1.0's scheme, the
//!   server-to-client side); the SHA-1 of the plain data starts with the message key,
//!   which is how a wrong passcode shows;
//! * account `i` is named `data` (`data#i+1` after the first); its files are named by
//!   the first 8 bytes of the name's MD5 as 16 hex digits, low nibble first: the
//!   folder `<name>/maps` (the account's map) and the file `<name>s`, whose block
//!   `dbiMtpAuthorization` (75) holds the user id, the main DC and a key per DC.

use aes::Aes256;
use ige::cipher::block_padding::NoPadding;
use ige::cipher::{BlockModeDecrypt, KeyIvInit};
use md5::{Digest, Md5};
use secrecy::{ExposeSecret, ExposeSecretMut, SecretBox, SecretString};
use sha1::Sha1;
use sha2::Sha512;
use std::path::Path;
use tgfleet_store::AUTH_KEY_BYTES;

/// "TDF$", the first bytes of every Telegram Desktop file.
pub(crate) const TDF_MAGIC: &[u8; 4] = b"TDF$";
/// The block id of an account's MTProto authorization.
pub(crate) const MTP_AUTHORIZATION: i32 = 75;
/// PBKDF2 iterations with a passcode (Telegram Desktop's `kStrongIterationsCount`).
pub(crate) const STRONG_ITERATIONS: u32 = 100_000;
/// The `quint64` that marks 64-bit user ids in an MTProto authorization.
pub(crate) const WIDE_IDS_TAG: u64 = u64::MAX;
/// Telegram Desktop's own `api_id` (the key belongs to that application).
pub const TDESKTOP_API_ID: i32 = 2040;
/// Accounts Telegram Desktop keeps at most (`Main::Domain::kMaxAccounts`).
const MAX_ACCOUNTS: i32 = 100;

/// One account of a `tdata` folder.
pub struct TdataAccount {
    /// Its index in Telegram Desktop (0 for the first).
    pub index: i32,
    /// Telegram's user id.
    pub user_id: i64,
    /// The main data centre.
    pub dc_id: i32,
    /// The main data centre's auth key.
    pub auth_key: SecretBox<[u8; AUTH_KEY_BYTES]>,
}

impl std::fmt::Debug for TdataAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TdataAccount")
            .field("index", &self.index)
            .field("user_id", &self.user_id)
            .field("dc_id", &self.dc_id)
            .field("auth_key", &"[REDACTED]")
            .finish()
    }
}

/// What a `tdata` folder holds.
#[derive(Debug)]
pub struct Tdata {
    /// Telegram Desktop's version that wrote it, e.g. `4.8.1`.
    pub app_version: String,
    /// Accounts read, in Telegram Desktop's order.
    pub accounts: Vec<TdataAccount>,
    /// Accounts listed but unreadable, with the reason.
    pub problems: Vec<String>,
}

/// Why a `tdata` folder could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TdataError {
    /// The folder has a local passcode and none was given.
    #[error("the tdata has a local passcode; give it (asked on a terminal, or --passcode-file)")]
    PasscodeRequired,
    /// The passcode given does not open it.
    #[error("the local passcode is wrong")]
    WrongPasscode,
    /// Not a readable `tdata` folder.
    #[error("{0}")]
    Invalid(String),
}

/// Whether `dir` looks like a `tdata` folder (it has `key_datas`).
pub fn is_tdata(dir: &Path) -> bool {
    ["s", "1", "0"]
        .iter()
        .any(|suffix| dir.join(format!("key_data{suffix}")).is_file())
}

/// Reads every account of the `tdata` folder `dir` with `passcode` (empty: none).
pub fn read(dir: &Path, passcode: &SecretString) -> Result<Tdata, TdataError> {
    let (version, key_data) = read_file(dir, "key_data").map_err(TdataError::Invalid)?;
    let mut stream = Stream::new(&key_data);
    let invalid = |what: &str| TdataError::Invalid(format!("key_datas: {what}"));
    let salt = stream.bytes().map_err(|_| invalid("no salt"))?;
    let key_encrypted = stream.bytes().map_err(|_| invalid("no encrypted key"))?;
    let info_encrypted = stream.bytes().map_err(|_| invalid("no account list"))?;
    let passcode_key = passcode_key(salt, passcode.expose_secret().as_bytes());
    let local =
        decrypt_local(key_encrypted, passcode_key.expose_secret()).map_err(|err| {
            match (err, passcode.expose_secret().is_empty()) {
                (Decrypt::WrongKey, true) => TdataError::PasscodeRequired,
                (Decrypt::WrongKey, false) => TdataError::WrongPasscode,
                (Decrypt::Malformed(what), _) => invalid(&what),
            }
        })?;
    let local_key: SecretBox<[u8; AUTH_KEY_BYTES]> = SecretBox::try_init_with(|| {
        <[u8; AUTH_KEY_BYTES]>::try_from(local.get(..AUTH_KEY_BYTES).unwrap_or_default())
    })
    .map_err(|_| invalid("the local key is short"))?;
    let info = decrypt_local(info_encrypted, local_key.expose_secret())
        .map_err(|_| invalid("the account list does not decrypt"))?;
    let mut info = Stream::new(&info);
    let count = info.i32().map_err(|_| invalid("no account count"))?;
    if !(1..=MAX_ACCOUNTS).contains(&count) {
        return Err(invalid(&format!("{count} accounts listed")));
    }
    let mut tdata = Tdata {
        app_version: app_version(version),
        accounts: Vec::new(),
        problems: Vec::new(),
    };
    for _ in 0..count {
        let index = info
            .i32()
            .map_err(|_| invalid("the account list is truncated"))?;
        match read_account(dir, index, local_key.expose_secret()) {
            Ok(account) => tdata.accounts.push(account),
            Err(reason) => tdata.problems.push(format!("account {index}: {reason}")),
        }
    }
    Ok(tdata)
}

/// `4008001` → `4.8.1`.
fn app_version(version: u32) -> String {
    format!(
        "{}.{}.{}",
        version / 1_000_000,
        version / 1000 % 1000,
        version % 1000
    )
}

/// The file-name part of an account's data name (`data`, `data#2`, …).
pub(crate) fn file_part(index: i32) -> String {
    let name = if index == 0 {
        "data".to_owned()
    } else {
        format!("data#{}", index + 1)
    };
    let digest = Md5::digest(name.as_bytes());
    let mut part = String::with_capacity(16);
    for byte in &digest[..8] {
        for nibble in [byte & 0x0F, byte >> 4] {
            part.push(
                char::from_digit(u32::from(nibble), 16).map_or('0', |c| c.to_ascii_uppercase()),
            );
        }
    }
    part
}

fn read_account(
    dir: &Path,
    index: i32,
    local_key: &[u8; AUTH_KEY_BYTES],
) -> Result<TdataAccount, String> {
    let part = file_part(index);
    let (_, map) = read_file(&dir.join(&part), "map")?;
    let mut map = Stream::new(&map);
    let (_, _, map_encrypted) = (map.bytes()?, map.bytes()?, map.bytes()?);
    decrypt_local(map_encrypted, local_key).map_err(|_| "its map does not decrypt".to_owned())?;
    let (_, mtp) = read_file(dir, &part)?;
    let encrypted = Stream::new(&mtp).bytes()?;
    let data = decrypt_local(encrypted, local_key)
        .map_err(|_| "its MTProto data does not decrypt".to_owned())?;
    let mut data = Stream::new(&data);
    if data.i32()? != MTP_AUTHORIZATION {
        return Err("no MTProto authorization block".to_owned());
    }
    let mut auth = Stream::new(data.bytes()?);
    let legacy_user = auth.i32()?;
    let legacy_dc = auth.i32()?;
    let (user_id, dc_id) =
        if (u64::from(legacy_user as u32) << 32 | u64::from(legacy_dc as u32)) == WIDE_IDS_TAG {
            (auth.u64()? as i64, auth.i32()?)
        } else {
            (i64::from(legacy_user), legacy_dc)
        };
    let keys = auth.i32()?;
    for _ in 0..keys {
        let dc = auth.i32()?;
        let key = auth.raw(AUTH_KEY_BYTES)?;
        if dc == dc_id {
            let auth_key = SecretBox::try_init_with(|| <[u8; AUTH_KEY_BYTES]>::try_from(key))
                .map_err(|_| "a short auth key".to_owned())?;
            if user_id <= 0 {
                return Err("not signed in".to_owned());
            }
            return Ok(TdataAccount {
                index,
                user_id,
                dc_id,
                auth_key,
            });
        }
    }
    Err(format!("no auth key for its main data centre {dc_id}"))
}

/// Reads the Telegram Desktop file `name` (`names`, `name1` or `name0`) of `dir`:
/// its version and data, after checking the magic and the MD5.
pub(crate) fn read_file(dir: &Path, name: &str) -> Result<(u32, Vec<u8>), String> {
    let mut last = format!("{name}: missing");
    for suffix in ["s", "1", "0"] {
        let path = dir.join(format!("{name}{suffix}"));
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let file = super::file_name(&path);
        if bytes.len() < 8 + 16 || &bytes[..4] != TDF_MAGIC {
            last = format!("{file}: not a Telegram Desktop file");
            continue;
        }
        let version = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes"));
        let (data, md5) = bytes[8..].split_at(bytes.len() - 8 - 16);
        if md5 != tdf_checksum(data, version).as_slice() {
            last = format!("{file}: its checksum does not match (a damaged file)");
            continue;
        }
        return Ok((version, data.to_vec()));
    }
    Err(last)
}

/// MD5 of data ‖ data length ‖ version ‖ "TDF$" (lengths little-endian).
pub(crate) fn tdf_checksum(data: &[u8], version: u32) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(data);
    md5.update((data.len() as u32).to_le_bytes());
    md5.update(version.to_le_bytes());
    md5.update(TDF_MAGIC);
    md5.finalize().into()
}

/// The key that opens the local key: PBKDF2-HMAC-SHA512 of SHA-512(salt ‖ passcode ‖ salt).
pub(crate) fn passcode_key(salt: &[u8], passcode: &[u8]) -> SecretBox<[u8; AUTH_KEY_BYTES]> {
    let mut hash = Sha512::new();
    hash.update(salt);
    hash.update(passcode);
    hash.update(salt);
    let hash = hash.finalize();
    let iterations = if passcode.is_empty() {
        1
    } else {
        STRONG_ITERATIONS
    };
    let mut key = SecretBox::new(Box::new([0; AUTH_KEY_BYTES]));
    pbkdf2::pbkdf2_hmac::<Sha512>(&hash, salt, iterations, key.expose_secret_mut());
    key
}

/// AES-256-IGE key and IV of an encrypted part (`prepareAES_oldmtp`, server side).
pub(crate) fn aes_key_iv(key: &[u8; AUTH_KEY_BYTES], msg_key: &[u8]) -> ([u8; 32], [u8; 32]) {
    let x = 8;
    let sha = |parts: &[&[u8]]| -> [u8; 20] {
        let mut sha = Sha1::new();
        for part in parts {
            sha.update(part);
        }
        sha.finalize().into()
    };
    let a = sha(&[msg_key, &key[x..x + 32]]);
    let b = sha(&[&key[x + 32..x + 48], msg_key, &key[x + 48..x + 64]]);
    let c = sha(&[&key[x + 64..x + 96], msg_key]);
    let d = sha(&[msg_key, &key[x + 96..x + 128]]);
    let mut aes_key = [0; 32];
    aes_key[..8].copy_from_slice(&a[..8]);
    aes_key[8..20].copy_from_slice(&b[8..20]);
    aes_key[20..].copy_from_slice(&c[4..16]);
    let mut iv = [0; 32];
    iv[..12].copy_from_slice(&a[8..20]);
    iv[12..20].copy_from_slice(&b[..8]);
    iv[20..24].copy_from_slice(&c[16..20]);
    iv[24..].copy_from_slice(&d[..8]);
    (aes_key, iv)
}

enum Decrypt {
    WrongKey,
    Malformed(String),
}

impl From<Decrypt> for String {
    fn from(err: Decrypt) -> Self {
        match err {
            Decrypt::WrongKey => "does not decrypt".to_owned(),
            Decrypt::Malformed(what) => what,
        }
    }
}

/// Decrypts an encrypted part with `key`; returns the data after its length.
fn decrypt_local(encrypted: &[u8], key: &[u8; AUTH_KEY_BYTES]) -> Result<Vec<u8>, Decrypt> {
    if encrypted.len() <= 16 || !encrypted.len().is_multiple_of(16) {
        return Err(Decrypt::Malformed(format!(
            "an encrypted part of {} bytes",
            encrypted.len()
        )));
    }
    let (msg_key, data) = encrypted.split_at(16);
    let (aes_key, iv) = aes_key_iv(key, msg_key);
    let mut plain = data.to_vec();
    ige::Decryptor::<Aes256>::new(&aes_key.into(), &iv.into())
        .decrypt_padded::<NoPadding>(&mut plain)
        .map_err(|_| Decrypt::Malformed("an encrypted part of whole blocks".to_owned()))?;
    if Sha1::digest(&plain)[..16] != *msg_key {
        return Err(Decrypt::WrongKey);
    }
    let len = u32::from_le_bytes(plain[..4].try_into().expect("4 bytes")) as usize;
    if len > plain.len() || len < 4 || len + 16 <= plain.len() {
        return Err(Decrypt::Malformed(format!(
            "a decrypted length of {len} in {} bytes",
            plain.len()
        )));
    }
    plain.truncate(len);
    Ok(plain.split_off(4))
}

/// A big-endian `QDataStream` reader.
struct Stream<'a>(&'a [u8]);

impl<'a> Stream<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self(bytes)
    }

    fn raw(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("truncated data".to_owned());
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn i32(&mut self) -> Result<i32, String> {
        Ok(i32::from_be_bytes(
            self.raw(4)?.try_into().expect("4 bytes"),
        ))
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_be_bytes(
            self.raw(8)?.try_into().expect("8 bytes"),
        ))
    }

    /// A `QByteArray`: its length (`0xFFFFFFFF` for null) and its bytes.
    fn bytes(&mut self) -> Result<&'a [u8], String> {
        match self.i32()? as u32 {
            u32::MAX => Ok(&[]),
            len => self.raw(len as usize),
        }
    }
}
