//! CSRF: every request that is not GET or HEAD has its CSRF token read here (header
//! `X-CSRF-Token`, query `csrf=`, or the `csrf` field of a URL-encoded form) and
//! attached for [`crate::auth::Writer`] to compare with the session's. A form body is
//! buffered (bounded by `console.max_upload_bytes`) and handed on unchanged.

use crate::auth::{CSRF_HEADER, CsrfChecked};
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The middleware.
pub async fn check(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let mut token = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.query().and_then(field));
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    let body = if form && token.is_none() {
        match axum::body::to_bytes(body, state.console().max_upload_bytes).await {
            Ok(bytes) => {
                token = std::str::from_utf8(&bytes).ok().and_then(field);
                Body::from(bytes)
            }
            Err(_) => {
                return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "the form is too large")
                    .into_response();
            }
        }
    } else {
        body
    };
    if let Some(token) = token {
        parts.extensions.insert(CsrfChecked(token));
    }
    next.run(Request::from_parts(parts, body)).await
}

/// The `csrf` value of a URL-encoded string (tokens are URL-safe: no decoding needed).
fn field(encoded: &str) -> Option<String> {
    encoded
        .split('&')
        .find_map(|pair| pair.strip_prefix("csrf="))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn the_token_is_found_among_other_fields() {
        assert_eq!(field("a=1&csrf=abc-_9&b=2").as_deref(), Some("abc-_9"));
        assert_eq!(field("xcsrf=1&a=2"), None);
        assert_eq!(field(""), None);
    }
}
