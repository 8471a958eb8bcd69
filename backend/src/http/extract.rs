//! Extractor configuration shared by both planes: JSON bodies must be `application/json` and
//! within the size limit, and every body, query or path that does not parse becomes a problem
//! document (never actix's plain-text errors, never a 500).

use std::io::ErrorKind;

use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::{HttpRequest, web};

use crate::http::problem::ApiError;

/// JSON bodies: `Content-Type: application/json` (415), at most `limit` bytes (413), valid JSON
/// (400) of the right shape (422).
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .content_type_required(true)
        .error_handler(|err, _req: &HttpRequest| json_error(err).into())
}

fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("the request body must be application/json".into())
        }
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::PayloadTooLarge
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::field("body", e.to_string()),
        JsonPayloadError::Deserialize(e) => {
            ApiError::BadRequest(format!("the request body is not valid JSON: {e}"))
        }
        JsonPayloadError::Payload(e) => payload_error(&e),
        other => ApiError::BadRequest(format!("the request body could not be read: {other}")),
    }
}

/// A body that could not be read: too large (413), too slow (408) or broken off (400).
pub fn payload_error(err: &PayloadError) -> ApiError {
    match err {
        PayloadError::Overflow => ApiError::PayloadTooLarge,
        PayloadError::Io(e) if e.kind() == ErrorKind::TimedOut => ApiError::RequestTimeout,
        other => ApiError::BadRequest(format!("the request body could not be read: {other}")),
    }
}

/// Query strings that do not parse: 422 naming the query.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req: &HttpRequest| {
        ApiError::field("query", err.to_string()).into()
    })
}

/// Path parameters that do not parse (a non-numeric id): 422 naming the path.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req: &HttpRequest| {
        ApiError::field("path", err.to_string()).into()
    })
}

/// How a list's filters arrive: with a page's parameters (`page`, `per_page`), or in an export,
/// which has every matching row and no pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// A page of the list.
    Paged,
    /// The CSV export of the whole list.
    Export,
}

/// A page's query parameters, beside a list's filters.
const PAGINATION: &[&str] = &["page", "per_page"];

/// Refuses a query parameter that is not one of `filters` (nor, for a page, `page` and
/// `per_page`), 422 naming it: a filter the server does not know must never be silently
/// ignored, or a script reads an unfiltered list as a filtered one.
pub fn known_query(req: &HttpRequest, filters: &[&str], listing: Listing) -> Result<(), ApiError> {
    let known: Vec<&str> = match listing {
        Listing::Paged => filters.iter().chain(PAGINATION).copied().collect(),
        Listing::Export => filters.to_vec(),
    };
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|e| ApiError::field("query", e.to_string()))?;
    let mut errors = std::collections::BTreeMap::new();
    for (name, _) in pairs.iter() {
        if !known.contains(&name.as_str()) {
            errors.insert(
                name.clone(),
                vec![format!(
                    "unknown query parameter; expected one of {}",
                    known.join(", ")
                )],
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        let names = errors.keys().cloned().collect::<Vec<_>>().join(", ");
        Err(ApiError::Unprocessable {
            detail: format!("unknown query parameter: {names}"),
            errors,
        })
    }
}

/// A non-blank query value, trimmed (a blank filter means no filter).
pub fn non_blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// An RFC 3339 instant from query parameter `field`; 422 naming it otherwise.
pub fn instant(
    field: &str,
    value: &Option<String>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    non_blank(value)
        .map(|v| {
            chrono::DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| {
                    ApiError::field(
                        field,
                        "expected an RFC 3339 instant, e.g. 2026-12-01T00:00:00Z",
                    )
                })
        })
        .transpose()
}
