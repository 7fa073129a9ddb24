//! Query strings read field by field, so a bad parameter answers 422 naming it
//! (axum's `Query` rejects the whole string with one sentence).

use crate::error::ApiError;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::str::FromStr;

/// The raw parameters; read them with the typed getters.
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(map) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::field("query", "not a valid query string"))?;
        Ok(Self(map))
    }
}

impl Params {
    /// A text parameter; empty counts as absent.
    pub fn text(&self, name: &str) -> Option<String> {
        self.0
            .get(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    /// A parsed parameter, or 422 naming it.
    pub fn parsed<T>(&self, name: &str) -> Result<Option<T>, ApiError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        self.text(name)
            .map(|text| {
                text.parse()
                    .map_err(|error| ApiError::field(name, format!("{text:?}: {error}")))
            })
            .transpose()
    }

    /// A whole number in `1..=max`, `default` when absent.
    pub fn bounded(&self, name: &str, default: u32, max: u32) -> Result<u32, ApiError> {
        let value = self.parsed::<u32>(name)?.unwrap_or(default);
        if (1..=max).contains(&value) {
            Ok(value)
        } else {
            Err(ApiError::field(
                name,
                format!("must be between 1 and {max}"),
            ))
        }
    }

    /// An RFC 3339 instant.
    pub fn instant(&self, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        self.text(name)
            .map(|text| {
                DateTime::parse_from_rfc3339(&text)
                    .map(|at| at.to_utc())
                    .map_err(|_| {
                        ApiError::field(name, format!("{text:?} is not an RFC 3339 instant"))
                    })
            })
            .transpose()
    }
}
