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
