//! `Payload<T>`: a JSON body whose errors name the field (`variants[0].text`), unlike
//! axum's `Json`, whose rejection is a sentence. Nothing is written on a bad payload:
//! handlers receive only fully parsed values.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

/// A parsed JSON request body.
#[derive(Debug)]
pub struct Payload<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Payload<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/json"));
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected a JSON body (Content-Type: application/json)",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::new(rejection.status(), rejection.body_text()))?;
        parse(&bytes).map(Payload)
    }
}

/// Parses `bytes` as `T`, naming the field of the first error.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = inner.to_string();
        let field = if path == "." {
            named_in(&message).unwrap_or_else(|| "body".to_owned())
        } else {
            path
        };
        ApiError::field(field, strip_position(&message))
    })
}

/// The field serde names in "missing field `x`" / "unknown field `x`".
fn named_in(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_owned())
}

/// serde_json's " at line 1 column 17" suffix says nothing to API users.
fn strip_position(message: &str) -> &str {
    message
        .find(" at line ")
        .map_or(message, |index| &message[..index])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(
        dead_code,
        reason = "the fields are only deserialized, to test the errors"
    )]
    struct Sample {
        name: String,
        tags: Vec<u32>,
    }

    #[test]
    fn errors_name_the_field() {
        let missing = parse::<Sample>(br#"{"tags": []}"#).unwrap_err();
        assert_eq!(missing.field.as_deref(), Some("name"));
        let wrong = parse::<Sample>(br#"{"name": "x", "tags": [1, "two"]}"#).unwrap_err();
        assert_eq!(wrong.field.as_deref(), Some("tags[1]"));
        assert!(!wrong.message.contains("line"), "{}", wrong.message);
        let unknown = parse::<Sample>(br#"{"name": "x", "tags": [], "extra": 1}"#).unwrap_err();
        assert_eq!(unknown.field.as_deref(), Some("extra"));
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}
