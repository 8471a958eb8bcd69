//! The one API error type, rendered as RFC 9457 `application/problem+json`.
//!
//! Error policy: services return narrow `thiserror` enums; handlers convert them into
//! [`ApiError`]; 5xx bodies never carry internals — the cause chain goes to the log line,
//! which also carries the request id.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type (`about:blank` for plain HTTP statuses).
    #[serde(rename = "type")]
    pub type_: String,
    /// Short, human-readable summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// Human-readable explanation of this occurrence.
    pub detail: String,
    /// Field errors (422 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
    /// The active run that blocks a start (409 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_run_id: Option<i64>,
    /// A stable name of the refusal for scripts, where one exists (e.g. `preflight_used`,
    /// `no_changes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Every error a handler can return.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no or invalid credentials.
    #[error("authentication required")]
    Unauthorized,
    /// 403: authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such resource (also what cross-plane requests get).
    #[error("not found")]
    NotFound,
    /// 408: the client did not send its request body in time.
    #[error("the request body was not received in time")]
    RequestTimeout,
    /// 409: conflicts with the current state.
    #[error("{detail}")]
    Conflict {
        /// What conflicts.
        detail: String,
        /// The active run, when a run blocks the request.
        active_run_id: Option<i64>,
    },
    /// 410: the resource existed and is gone for good (a purged change log).
    #[error("{0}")]
    Gone(String),
    /// 413: body too large.
    #[error("request body is too large")]
    PayloadTooLarge,
    /// 415: wrong content type.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: well-formed but invalid.
    #[error("{detail}")]
    Unprocessable {
        /// Summary.
        detail: String,
        /// Per-field messages.
        errors: BTreeMap<String, Vec<String>>,
    },
    /// 422: refused for a reason scripts tell apart by `code`, naming the field to change.
    #[error("{detail}")]
    Refused {
        /// Stable name of the refusal.
        code: &'static str,
        /// The request field it concerns.
        field: &'static str,
        /// What to do.
        detail: String,
    },
    /// 429: throttled.
    #[error("too many requests")]
    TooManyRequests {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// 503: a dependency (the database) is unavailable.
    #[error("service unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// 503: a bounded resource (the password hashing pool) stayed busy; retry later.
    #[error("the server is busy; retry in {retry_after_secs} s")]
    Busy {
        /// Seconds until a retry is likely to succeed.
        retry_after_secs: u64,
    },
    /// Another error with the stable `code` scripts tell it apart by (`invalid_state`,
    /// `overlap`, `validation`...): same status and document, plus the code.
    #[error("{1}")]
    Coded(&'static str, Box<ApiError>),
    /// 500: anything else; the cause is logged, never sent.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// A 422 with one field error.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::Unprocessable {
            detail: message.clone(),
            errors: BTreeMap::from([(field.to_owned(), vec![message])]),
        }
    }

    /// This error with the stable `code` of its problem document.
    #[must_use]
    pub fn with_code(self, code: &'static str) -> Self {
        match self {
            ApiError::Refused { .. } => self,
            other => ApiError::Coded(code, Box::new(other)),
        }
    }

    /// The problem document of this error.
    pub fn problem(&self) -> Problem {
        if let ApiError::Coded(code, inner) = self {
            return Problem {
                code: Some((*code).to_owned()),
                ..inner.problem()
            };
        }
        let status = self.status_code();
        let (detail, errors, active_run_id) = match self {
            ApiError::Unprocessable { detail, errors } => {
                (detail.clone(), Some(errors.clone()), None)
            }
            ApiError::Refused { field, detail, .. } => (
                detail.clone(),
                Some(BTreeMap::from([(
                    (*field).to_owned(),
                    vec![detail.clone()],
                )])),
                None,
            ),
            ApiError::Conflict {
                detail,
                active_run_id,
            } => (detail.clone(), None, *active_run_id),
            ApiError::NotFound => ("The requested resource does not exist.".into(), None, None),
            ApiError::Unauthorized => ("Sign in, or send a valid bearer token.".into(), None, None),
            ApiError::TooManyRequests { retry_after_secs } => (
                format!("Too many requests; retry in {retry_after_secs} s."),
                None,
                None,
            ),
            ApiError::Unavailable(_) => (
                "The service is temporarily unavailable; retry shortly.".into(),
                None,
                None,
            ),
            ApiError::Internal(_) => (
                "An unexpected error occurred; it has been logged.".into(),
                None,
                None,
            ),
            other => (other.to_string(), None, None),
        };
        Problem {
            type_: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            errors,
            active_run_id,
            code: match self {
                ApiError::Refused { code, .. } => Some((*code).to_owned()),
                ApiError::Unprocessable { .. } => Some("validation".to_owned()),
                ApiError::Forbidden(_) => Some("forbidden".to_owned()),
                _ => None,
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Coded(_, inner) => inner.status_code(),
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable { .. } | ApiError::Refused { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) | ApiError::Unavailable(cause) => {
                tracing::error!(error.cause_chain = ?cause, "request failed: {self}");
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        // The security-headers middleware covers every response it sees; an error a middleware
        // returns as `Err` is rendered here after that layer, so it gets them here.
        let mut headers = header::HeaderMap::new();
        crate::http::middleware::add_security_headers(&mut headers);
        for (name, value) in headers {
            response.insert_header((name, value));
        }
        if let ApiError::TooManyRequests { retry_after_secs }
        | ApiError::Busy { retry_after_secs } = self
        {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        response.json(self.problem())
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        if crate::db::is_unavailable(&err) {
            ApiError::Unavailable(err.into())
        } else {
            ApiError::Internal(err.into())
        }
    }
}

impl From<crate::auth::login::LoginError> for ApiError {
    fn from(err: crate::auth::login::LoginError) -> Self {
        use crate::auth::login::LoginError;
        match err {
            LoginError::InvalidCredentials => ApiError::Unauthorized,
            LoginError::Throttled { retry_after_secs } => {
                ApiError::TooManyRequests { retry_after_secs }
            }
            LoginError::InvalidUsername(e) => ApiError::field("username", e.to_string()),
            LoginError::Busy { retry_after_secs } => ApiError::Busy { retry_after_secs },
            LoginError::Db(e) => e.into(),
            LoginError::Internal(e) => ApiError::Internal(anyhow::anyhow!(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_documents_carry_the_security_headers_themselves() {
        let res = ApiError::Unavailable(anyhow::anyhow!("store down")).error_response();
        let get = |name: header::HeaderName| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(
            get(header::CONTENT_SECURITY_POLICY).as_deref(),
            Some(crate::http::middleware::CONTENT_SECURITY_POLICY)
        );
        assert_eq!(get(header::X_FRAME_OPTIONS).as_deref(), Some("DENY"));
        assert_eq!(
            get(header::X_CONTENT_TYPE_OPTIONS).as_deref(),
            Some("nosniff")
        );
        assert_eq!(get(header::CACHE_CONTROL).as_deref(), Some("no-store"));
    }
}
