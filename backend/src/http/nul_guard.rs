//! PostgreSQL cannot store U+0000 in text, so a NUL anywhere in a request (query string, path,
//! or a `\u0000` escape in a JSON body) would otherwise reach the database and fail there. This
//! middleware answers such requests with a 422 problem document before any handler runs, the
//! same on SQLite and PostgreSQL.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};

use crate::http::extract;
use crate::http::problem::ApiError;

/// Whether `bytes` contains a JSON-escaped NUL (`\u0000`); raw NUL bytes are not valid JSON and
/// are refused by the JSON extractor already.
fn has_escaped_nul(bytes: &[u8]) -> bool {
    bytes
        .windows(6)
        .any(|w| w[0] == b'\\' && w[1] == b'u' && w[2..].iter().all(|b| *b == b'0'))
}

/// Whether a raw (percent-encoded) path or query holds `%00`.
fn has_encoded_nul(raw: &str) -> bool {
    raw.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// The middleware.
pub async fn reject_nul<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let refuse = |req: ServiceRequest, field: &str| {
        let err = ApiError::field(field, "NUL characters (U+0000) are not allowed");
        Ok(req
            .into_response(err.error_response())
            .map_into_right_body())
    };
    if has_encoded_nul(req.query_string()) {
        return refuse(req, "query");
    }
    if has_encoded_nul(req.uri().path()) {
        return refuse(req, "path");
    }
    let has_body = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v != "0");
    if has_body {
        let bytes = match req.extract::<web::Bytes>().await {
            Ok(bytes) => bytes,
            Err(e) => {
                let err = e
                    .as_error::<PayloadError>()
                    .map_or(ApiError::PayloadTooLarge, extract::payload_error);
                return Ok(req
                    .into_response(err.error_response())
                    .map_into_right_body());
            }
        };
        if has_escaped_nul(&bytes) {
            return refuse(req, "body");
        }
        req.set_payload(Payload::from(bytes));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nuls() {
        assert!(has_escaped_nul(br#"{"a":"x\u0000y"}"#));
        assert!(!has_escaped_nul(br#"{"a":"x\u0001y"}"#));
        assert!(has_encoded_nul("search=%00abc"));
        assert!(!has_encoded_nul("search=%2000"));
    }
}
