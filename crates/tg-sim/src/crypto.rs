//! MTProto 2.0 message encryption, server side.
//!
//! The mirror of `grammers_crypto::{encrypt_data_v2, decrypt_data_v2}`: client messages are
//! decrypted with `x = 0`, server messages are encrypted with `x = 8`.

use std::fmt;

use grammers_crypto::aes::{ige_decrypt, ige_encrypt};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Bytes before the ciphertext: `auth_key_id` (8) and `msg_key` (16).
pub const ENCRYPTED_HEADER_LEN: usize = 8 + 16;

/// MTProto 2.0 padding bounds.
const MIN_PADDING: usize = 12;
const MAX_PADDING: usize = 1024;

/// The identifier of an authorization key: the low 64 bits of `SHA1(key)`, as sent on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AuthKeyId(pub u64);

impl fmt::Display for AuthKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A 256-byte authorization key shared by one client and the server.
///
/// `Debug` prints only the key id; the key bytes never reach logs.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthKey {
    data: Box<[u8; 256]>,
    id: AuthKeyId,
}

impl AuthKey {
    /// Wraps raw key bytes, computing their id.
    pub fn from_bytes(data: [u8; 256]) -> Self {
        let sha = Sha1::digest(data);
        let mut id = [0u8; 8];
        id.copy_from_slice(&sha[12..20]);
        Self {
            data: Box::new(data),
            id: AuthKeyId(u64::from_le_bytes(id)),
        }
    }

    /// The key's identifier.
    pub fn id(&self) -> AuthKeyId {
        self.id
    }

    /// The raw key bytes (a secret: never log them).
    pub fn expose_bytes(&self) -> &[u8; 256] {
        &self.data
    }
}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Why an encrypted client message was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    /// The payload is too short or its ciphertext is not a whole number of AES blocks.
    #[error("encrypted payload has an invalid length")]
    InvalidLength,
    /// The payload names a different authorization key.
    #[error("payload uses another auth key")]
    WrongKey,
    /// `msg_key` does not match the decrypted plaintext.
    #[error("msg_key mismatch")]
    MsgKeyMismatch,
}

/// Reads the `auth_key_id` at the start of an encrypted (or plain, id 0) payload.
pub fn peek_auth_key_id(payload: &[u8]) -> Option<AuthKeyId> {
    let bytes: [u8; 8] = payload.get(..8)?.try_into().ok()?;
    Some(AuthKeyId(u64::from_le_bytes(bytes)))
}

/// Decrypts a client payload (`auth_key_id | msg_key | ciphertext`) in place and returns the
/// plaintext (header, message and padding).
pub fn decrypt_client_payload<'a>(
    payload: &'a mut [u8],
    key: &AuthKey,
) -> Result<&'a [u8], DecryptError> {
    if payload.len() < ENCRYPTED_HEADER_LEN + 16
        || !(payload.len() - ENCRYPTED_HEADER_LEN).is_multiple_of(16)
    {
        return Err(DecryptError::InvalidLength);
    }
    if peek_auth_key_id(payload) != Some(key.id) {
        return Err(DecryptError::WrongKey);
    }
    let mut msg_key = [0u8; 16];
    msg_key.copy_from_slice(&payload[8..ENCRYPTED_HEADER_LEN]);
    let (aes_key, aes_iv) = derive_aes(key, &msg_key, Side::Client);
    let ciphertext = &mut payload[ENCRYPTED_HEADER_LEN..];
    ige_decrypt(ciphertext, &aes_key, &aes_iv);
    if compute_msg_key(key, ciphertext, Side::Client) != msg_key {
        return Err(DecryptError::MsgKeyMismatch);
    }
    Ok(ciphertext)
}

/// Encrypts a server plaintext (header and message, no padding yet) into
/// `auth_key_id | msg_key | ciphertext`, adding 12..=1024 bytes of random padding.
pub fn encrypt_server_payload(mut plaintext: Vec<u8>, key: &AuthKey) -> Vec<u8> {
    let padding_len = padding_len(plaintext.len(), random_u8());
    let mut padding = vec![0u8; padding_len];
    fill_random(&mut padding);
    plaintext.extend_from_slice(&padding);

    let msg_key = compute_msg_key(key, &plaintext, Side::Server);
    let (aes_key, aes_iv) = derive_aes(key, &msg_key, Side::Server);
    ige_encrypt(&mut plaintext, &aes_key, &aes_iv);

    let mut payload = Vec::with_capacity(ENCRYPTED_HEADER_LEN + plaintext.len());
    payload.extend_from_slice(&key.id.0.to_le_bytes());
    payload.extend_from_slice(&msg_key);
    payload.extend_from_slice(&plaintext);
    payload
}

/// Whether `padding` bytes after a message are acceptable under MTProto 2.0.
pub fn is_valid_padding(padding: usize) -> bool {
    (MIN_PADDING..=MAX_PADDING).contains(&padding)
}

/// The padding for a plaintext of `len` bytes: the smallest length of at least 12 that makes
/// the total a multiple of 16, plus `extra_blocks % 4` further blocks so lengths vary.
fn padding_len(len: usize, extra_blocks: u8) -> usize {
    let minimal = MIN_PADDING + (16 - (len + MIN_PADDING) % 16) % 16;
    minimal + 16 * usize::from(extra_blocks % 4)
}

#[derive(Clone, Copy)]
enum Side {
    Client,
    Server,
}

impl Side {
    fn x(self) -> usize {
        match self {
            Side::Client => 0,
            Side::Server => 8,
        }
    }
}

fn compute_msg_key(key: &AuthKey, plaintext: &[u8], side: Side) -> [u8; 16] {
    let x = side.x();
    let large = Sha256::new()
        .chain_update(&key.data[88 + x..88 + x + 32])
        .chain_update(plaintext)
        .finalize();
    let mut msg_key = [0u8; 16];
    msg_key.copy_from_slice(&large[8..24]);
    msg_key
}

fn derive_aes(key: &AuthKey, msg_key: &[u8; 16], side: Side) -> ([u8; 32], [u8; 32]) {
    let x = side.x();
    let sha_a = Sha256::new()
        .chain_update(msg_key)
        .chain_update(&key.data[x..x + 36])
        .finalize();
    let sha_b = Sha256::new()
        .chain_update(&key.data[40 + x..40 + x + 36])
        .chain_update(msg_key)
        .finalize();

    let mut aes_key = [0u8; 32];
    aes_key[..8].copy_from_slice(&sha_a[..8]);
    aes_key[8..24].copy_from_slice(&sha_b[8..24]);
    aes_key[24..].copy_from_slice(&sha_a[24..]);

    let mut aes_iv = [0u8; 32];
    aes_iv[..8].copy_from_slice(&sha_b[..8]);
    aes_iv[8..24].copy_from_slice(&sha_a[8..24]);
    aes_iv[24..].copy_from_slice(&sha_b[24..]);
    (aes_key, aes_iv)
}

/// Fills `buffer` with operating-system randomness.
pub(crate) fn fill_random(buffer: &mut [u8]) {
    getrandom::fill(buffer).expect("operating-system randomness is available");
}

/// A random `i64` from operating-system randomness.
pub(crate) fn random_i64() -> i64 {
    let mut bytes = [0u8; 8];
    fill_random(&mut bytes);
    i64::from_le_bytes(bytes)
}

fn random_u8() -> u8 {
    let mut byte = [0u8; 1];
    fill_random(&mut byte);
    byte[0]
}

#[cfg(test)]
mod tests {
    use grammers_crypto::DequeBuffer;

    use super::*;

    fn test_key() -> [u8; 256] {
        std::array::from_fn(|i| (i * 7 + 3) as u8)
    }

    /// `message` as grammers' client encrypts it with the test key.
    fn encrypted_by_grammers(message: &[u8]) -> Vec<u8> {
        let mut buffer = DequeBuffer::with_capacity(message.len(), 64);
        buffer.extend(message.iter().copied());
        grammers_crypto::encrypt_data_v2(
            &mut buffer,
            &grammers_crypto::AuthKey::from_bytes(test_key()),
        );
        buffer[..].to_vec()
    }

    #[test]
    fn key_id_matches_grammers() {
        let key = AuthKey::from_bytes(test_key());
        let payload = encrypted_by_grammers(&[0u8; 32]);
        assert_eq!(peek_auth_key_id(&payload), Some(key.id()));
    }

    #[test]
    fn decrypts_what_the_grammers_client_encrypts() {
        let key = AuthKey::from_bytes(test_key());
        let message: Vec<u8> = (0..40u8).collect();
        let mut payload = encrypted_by_grammers(&message);
        let plaintext = decrypt_client_payload(&mut payload, &key).unwrap();
        assert_eq!(&plaintext[..message.len()], &message[..]);
    }

    #[test]
    fn grammers_decrypts_what_the_server_encrypts() {
        let key = AuthKey::from_bytes(test_key());
        let message: Vec<u8> = (0..44u8).collect();
        let mut payload = encrypt_server_payload(message.clone(), &key);

        let client_key = grammers_crypto::AuthKey::from_bytes(test_key());
        let plaintext = grammers_crypto::decrypt_data_v2(&mut payload, &client_key).unwrap();
        assert_eq!(&plaintext[..message.len()], &message[..]);
        assert!(is_valid_padding(plaintext.len() - message.len()));
    }

    #[test]
    fn tampered_ciphertext_is_rejected() {
        let key = AuthKey::from_bytes(test_key());
        let mut payload = encrypted_by_grammers(&[1u8; 32]);
        let last = payload.len() - 1;
        payload[last] ^= 1;
        assert_eq!(
            decrypt_client_payload(&mut payload, &key),
            Err(DecryptError::MsgKeyMismatch)
        );
    }

    #[test]
    fn other_keys_and_bad_lengths_are_rejected() {
        let key = AuthKey::from_bytes(test_key());
        let other = AuthKey::from_bytes([9u8; 256]);
        let mut payload = encrypt_server_payload(vec![0u8; 32], &other);
        assert_eq!(
            decrypt_client_payload(&mut payload, &key),
            Err(DecryptError::WrongKey)
        );
        let mut short = vec![0u8; 30];
        assert_eq!(
            decrypt_client_payload(&mut short, &key),
            Err(DecryptError::InvalidLength)
        );
    }

    #[test]
    fn padding_is_within_bounds_and_aligns_to_blocks() {
        for len in 0..64 {
            for extra in 0..8 {
                let padding = padding_len(len, extra);
                assert!(is_valid_padding(padding), "len {len} padding {padding}");
                assert_eq!((len + padding) % 16, 0);
            }
        }
    }

    #[test]
    fn debug_does_not_print_key_bytes() {
        let key = AuthKey::from_bytes([0xAB; 256]);
        let printed = format!("{key:?}");
        assert!(!printed.contains("171, 171"), "{printed}");
        assert!(printed.contains("AuthKey"));
    }
}
