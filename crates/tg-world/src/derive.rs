//! Everything random in the world is derived from the scenario seed and the
//! identities involved, never drawn from one shared stream: an account's
//! outcomes do not shift when another account's calls interleave differently.

use rand::{Rng, SeedableRng};
use rand_chacha::{ChaCha8Rng, ChaCha20Rng};
use sha1::{Digest, Sha1};

/// Domain tags keep derivations for different purposes independent.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub(crate) enum Tag {
    AccessHash = 1,
    AuthKey = 2,
    AdBan = 3,
    PhoneCodeHash = 4,
    History = 5,
    Generator = 6,
    InviteHash = 7,
    UserAccessHash = 8,
}

/// SplitMix64's finalizer: a fast, well-mixing bijection on u64.
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hashes the seed, a purpose tag and the identities into one 64-bit value.
pub(crate) fn mix(seed: u64, tag: Tag, parts: &[u64]) -> u64 {
    let mut h = splitmix(seed ^ (tag as u64).wrapping_mul(0xA076_1D64_78BD_642F));
    for part in parts {
        h = splitmix(h ^ *part);
    }
    h
}

/// A generator for one decision (or one small batch of decisions).
pub(crate) fn rng(seed: u64, tag: Tag, parts: &[u64]) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix(seed, tag, parts))
}

/// The access hash `user` receives for `channel_id`: different per user, stable per seed.
pub(crate) fn access_hash(seed: u64, user_id: i64, channel_id: i64) -> i64 {
    mix(
        seed,
        Tag::AccessHash,
        &[user_id.cast_unsigned(), channel_id.cast_unsigned()],
    )
    .cast_signed()
}

/// The access hash of a user's own `User` object.
pub(crate) fn user_access_hash(seed: u64, user_id: i64) -> i64 {
    mix(seed, Tag::UserAccessHash, &[user_id.cast_unsigned()]).cast_signed()
}

/// The 256-byte pre-shared auth key of an account.
pub(crate) fn auth_key_bytes(seed: u64, user_id: i64) -> [u8; 256] {
    let mut rng = ChaCha20Rng::seed_from_u64(mix(seed, Tag::AuthKey, &[user_id.cast_unsigned()]));
    let mut bytes = [0u8; 256];
    rng.fill_bytes(&mut bytes);
    bytes
}

/// Telegram's auth key id: the lower 64 bits of SHA-1(key), bytes 12..20, little-endian.
pub fn auth_key_id(key: &[u8; 256]) -> i64 {
    let digest = Sha1::digest(key);
    let mut id = [0u8; 8];
    id.copy_from_slice(&digest[12..20]);
    i64::from_le_bytes(id)
}

/// A base64url string of `len` characters derived from `value`.
pub(crate) fn base64url(seed: u64, tag: Tag, parts: &[u64], len: usize) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rng(seed, tag, parts);
    (0..len)
        .map(|_| char::from(ALPHABET[(rng.next_u32() % 64) as usize]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_hashes_differ_per_user_and_are_stable() {
        assert_eq!(access_hash(1, 10, 20), access_hash(1, 10, 20));
        assert_ne!(access_hash(1, 10, 20), access_hash(1, 11, 20));
        assert_ne!(access_hash(1, 10, 20), access_hash(2, 10, 20));
    }

    #[test]
    fn auth_key_id_matches_telegrams_definition() {
        let key = auth_key_bytes(7, 42);
        assert_eq!(key, auth_key_bytes(7, 42));
        assert_ne!(key, auth_key_bytes(7, 43));
        let digest = Sha1::digest(key);
        let expected = i64::from_le_bytes(digest[12..20].try_into().unwrap());
        assert_eq!(auth_key_id(&key), expected);
    }
}
