//! Group tags: short lower-case labels operators attach to groups on import
//! (`--tag bali`) and campaigns target.

/// A tag that breaks the tag rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid tag {0:?}: 1-32 characters of a-z, 0-9, _ and -")]
pub struct TagError(pub String);

/// Normalizes a tag: trimmed, lower-case, 1-32 characters of `a-z`, `0-9`, `_` and `-`.
pub fn normalize_tag(input: &str) -> Result<String, TagError> {
    let tag = input.trim().to_ascii_lowercase();
    let valid = (1..=32).contains(&tag.len())
        && tag
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if valid {
        Ok(tag)
    } else {
        Err(TagError(input.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_lower_case_words() {
        assert_eq!(normalize_tag(" Bali "), Ok("bali".to_owned()));
        assert_eq!(
            normalize_tag("real-estate_2"),
            Ok("real-estate_2".to_owned())
        );
        assert_eq!(normalize_tag(""), Err(TagError(String::new())));
        assert_eq!(
            normalize_tag("two words"),
            Err(TagError("two words".into()))
        );
    }
}
