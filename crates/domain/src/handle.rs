//! Group handles as operators write them, normalized to one canonical key.
//!
//! Accepted forms: `@name`, `name`, `t.me/name`, `https://t.me/name`,
//! `https://t.me/+HASH`, `t.me/joinchat/HASH` (also `http://`, `www.` and
//! `telegram.me`). Usernames are case-insensitive and stored lower-case;
//! invite hashes are case-sensitive and stored as `+HASH`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A normalized reference to a group or channel: a public username or a private invite hash.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum GroupHandle {
    /// A public username, lower-case, without `@`.
    Username(String),
    /// A private invite hash, case preserved.
    Invite(String),
}

/// Why a line could not be read as a group handle.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandleError {
    /// The input was empty after trimming.
    #[error("empty handle")]
    Empty,
    /// A username broke Telegram's username rules.
    #[error(
        "invalid username {0:?}: 5-32 characters of a-z, 0-9 and _, starting with a letter, not ending with _"
    )]
    InvalidUsername(String),
    /// An invite hash contained characters outside base64url or had a bad length.
    #[error("invalid invite hash {0:?}: 1-64 characters of A-Z, a-z, 0-9, _ and -")]
    InvalidInvite(String),
    /// A link pointed somewhere that is not a group (a message link, a bot start link, another host).
    #[error("unsupported link {0:?}: expected t.me/NAME, t.me/+HASH or t.me/joinchat/HASH")]
    UnsupportedLink(String),
}

impl GroupHandle {
    /// Parses one handle in any accepted form.
    pub fn parse(input: &str) -> Result<Self, HandleError> {
        let raw = input.trim();
        if raw.is_empty() {
            return Err(HandleError::Empty);
        }
        if let Some(name) = raw.strip_prefix('@') {
            return Self::username(name);
        }
        if let Some(hash) = raw.strip_prefix('+') {
            return Self::invite(hash);
        }
        let without_scheme = strip_prefix_ci(raw, "https://")
            .or_else(|| strip_prefix_ci(raw, "http://"))
            .unwrap_or(raw);
        let without_www = strip_prefix_ci(without_scheme, "www.").unwrap_or(without_scheme);
        let path = ["t.me/", "telegram.me/", "telegram.dog/"]
            .iter()
            .find_map(|host| strip_prefix_ci(without_www, host));
        let Some(path) = path else {
            if without_scheme.len() != raw.len() || raw.contains('/') {
                return Err(HandleError::UnsupportedLink(raw.to_owned()));
            }
            return Self::username(raw);
        };
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let path = path.strip_suffix('/').unwrap_or(path);
        if let Some(hash) = path.strip_prefix('+') {
            return Self::invite(hash);
        }
        if let Some(hash) = path.strip_prefix("joinchat/") {
            return Self::invite(hash);
        }
        if path.contains('/') || path.is_empty() {
            return Err(HandleError::UnsupportedLink(raw.to_owned()));
        }
        Self::username(path)
    }

    fn username(name: &str) -> Result<Self, HandleError> {
        let valid = (5..=32).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && !name.ends_with('_');
        if valid {
            Ok(Self::Username(name.to_ascii_lowercase()))
        } else {
            Err(HandleError::InvalidUsername(name.to_owned()))
        }
    }

    fn invite(hash: &str) -> Result<Self, HandleError> {
        let valid = (1..=64).contains(&hash.len())
            && hash
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if valid {
            Ok(Self::Invite(hash.to_owned()))
        } else {
            Err(HandleError::InvalidInvite(hash.to_owned()))
        }
    }

    /// The canonical storage key: `name` for usernames, `+HASH` for invites.
    pub fn key(&self) -> String {
        match self {
            Self::Username(name) => name.clone(),
            Self::Invite(hash) => format!("+{hash}"),
        }
    }

    /// `username` or `invite`, as stored in `groups.handle_kind`.
    pub fn kind_str(&self) -> &'static str {
        match self {
            Self::Username(_) => "username",
            Self::Invite(_) => "invite",
        }
    }
}

impl fmt::Display for GroupHandle {
    /// `@name` for usernames and `+HASH` for invites, the way log lines show groups.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Username(name) => write!(f, "@{name}"),
            Self::Invite(hash) => write!(f, "+{hash}"),
        }
    }
}

impl FromStr for GroupHandle {
    type Err = HandleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for GroupHandle {
    type Error = HandleError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<GroupHandle> for String {
    fn from(handle: GroupHandle) -> Self {
        handle.key()
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accepted_form_normalizes() {
        for input in [
            "@Bali_Chat",
            "bali_chat",
            "t.me/bali_chat",
            "https://t.me/Bali_Chat",
            "http://www.t.me/bali_chat/",
            "telegram.me/bali_chat",
            " @bali_chat ",
        ] {
            assert_eq!(
                GroupHandle::parse(input),
                Ok(GroupHandle::Username("bali_chat".into())),
                "{input}"
            );
        }
        for input in [
            "https://t.me/+AbC-d_12",
            "t.me/joinchat/AbC-d_12",
            "+AbC-d_12",
        ] {
            assert_eq!(
                GroupHandle::parse(input),
                Ok(GroupHandle::Invite("AbC-d_12".into())),
                "{input}"
            );
        }
    }

    #[test]
    fn bad_inputs_say_why() {
        assert_eq!(GroupHandle::parse("  "), Err(HandleError::Empty));
        assert!(matches!(
            GroupHandle::parse("abc"),
            Err(HandleError::InvalidUsername(_))
        ));
        assert!(matches!(
            GroupHandle::parse("1chat"),
            Err(HandleError::InvalidUsername(_))
        ));
        assert!(matches!(
            GroupHandle::parse("chat_"),
            Err(HandleError::InvalidUsername(_))
        ));
        assert!(matches!(
            GroupHandle::parse("bad name here"),
            Err(HandleError::InvalidUsername(_))
        ));
        assert!(matches!(
            GroupHandle::parse("t.me/+bad hash"),
            Err(HandleError::InvalidInvite(_))
        ));
        assert!(matches!(
            GroupHandle::parse("https://t.me/chat/123"),
            Err(HandleError::UnsupportedLink(_))
        ));
        assert!(matches!(
            GroupHandle::parse("https://example.com/chat"),
            Err(HandleError::UnsupportedLink(_))
        ));
    }

    #[test]
    fn key_and_display_round_trip() {
        let invite = GroupHandle::parse("t.me/joinchat/XyZ").unwrap();
        assert_eq!(invite.key(), "+XyZ");
        assert_eq!(GroupHandle::parse(&invite.key()).unwrap(), invite);
        let name = GroupHandle::parse("@Group1x").unwrap();
        assert_eq!(name.to_string(), "@group1x");
        assert_eq!(GroupHandle::parse(&name.key()).unwrap(), name);
    }
}
