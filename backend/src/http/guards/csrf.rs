//! CSRF: cookie-authenticated unsafe requests must echo the session's token in
//! `X-CSRF-Token`; bearer requests are exempt (browsers never attach a bearer token on their own).

use crate::http::problem::ApiError;
use actix_web::HttpRequest;
use actix_web::http::Method;
use rand::RngCore;

/// The header a cookie-authenticated unsafe request must carry.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// GET, HEAD and OPTIONS change nothing and need no CSRF token.
pub fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether a cookie-authenticated request passes the CSRF check.
pub fn csrf_ok(method: &Method, header: Option<&str>, expected: &str) -> bool {
    is_safe_method(method)
        || header.is_some_and(|h| {
            !expected.is_empty() && constant_time_eq(h.as_bytes(), expected.as_bytes())
        })
}

pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh CSRF token (256 random bits, hex).
pub fn new_csrf_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub(super) fn check_csrf(req: &HttpRequest, expected: &str) -> Result<(), ApiError> {
    let header = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if csrf_ok(req.method(), header, expected) {
        Ok(())
    } else {
        tracing::info!(path = %req.path(), "denied: missing or wrong CSRF token");
        Err(ApiError::Forbidden(
            "missing or wrong X-CSRF-Token header".into(),
        ))
    }
}
