//! Values that must never reach logs through `Debug`: login codes, passwords,
//! phone numbers and auth keys.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A secret string (login code, 2FA password). `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; callers must not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A phone number in international form (`+6281234567812`). `Debug` and
/// `Display` mask it (`+62******12`).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// Wraps a phone number as written.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The number in full; callers must not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Digits only, the form the world compares (`+62 812-34` and `6281234` match).
    pub fn digits(&self) -> String {
        normalize_phone(&self.0)
    }

    /// The masked form: the first three and last two characters, stars between.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() <= 5 {
            return "*".repeat(chars.len());
        }
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 2..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(chars.len() - 5))
    }
}

/// Digits of a phone number, without `+`, spaces or dashes.
pub(crate) fn normalize_phone(raw: &str) -> String {
    raw.chars().filter(char::is_ascii_digit).collect()
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// A 256-byte MTProto auth key with its id. `Debug` shows the id only.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthKey {
    bytes: Box<[u8; 256]>,
    id: i64,
}

impl AuthKey {
    /// Wraps key material, computing Telegram's key id.
    pub fn from_bytes(bytes: [u8; 256]) -> Self {
        let id = crate::derive::auth_key_id(&bytes);
        Self {
            bytes: Box::new(bytes),
            id,
        }
    }

    /// The key id (lower 64 bits of SHA-1 of the key), as sent in every encrypted message.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The key material, to write into a stored session; callers must not log it.
    pub fn expose_bytes(&self) -> &[u8; 256] {
        &self.bytes
    }
}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthKey(id={})", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "***");
        let phone = Phone::new("+6281234567812");
        assert_eq!(format!("{phone:?}"), "+62*********12");
        assert_eq!(phone.digits(), "6281234567812");
        let key = AuthKey::from_bytes([7; 256]);
        assert_eq!(format!("{key:?}"), format!("AuthKey(id={})", key.id()));
    }
}
