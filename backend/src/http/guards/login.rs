//! Signing in: the login-CSRF origin check, a new session (new id, new CSRF token), and the
//! request facts audit events record.

use super::csrf::new_csrf_token;
use crate::auth::RequestMeta;
use crate::auth::principal::Plane;
use crate::auth::refusals::RefusalReason;
use crate::auth::sessions::{KEY_AUTH_AT, KEY_CSRF, KEY_PRINCIPAL_ID};
use crate::context::AppContext;
use crate::http::client_ip;
use crate::http::problem::ApiError;
use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, web};

/// The audit facts of a request: client IP, request id and `source`.
pub fn request_meta(req: &HttpRequest, source: &str) -> RequestMeta {
    let ip = req
        .app_data::<web::Data<AppContext>>()
        .and_then(|ctx| client_ip::of_request(req, &ctx.settings.trusted_proxies))
        .map(|ip| ip.to_string());
    let request_id = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(|id| id.to_string());
    RequestMeta {
        ip,
        source: Some(source.to_owned()),
        request_id,
    }
}

/// Whether an `Origin` header value names the same host (and port) as `host`.
pub fn origin_matches_host(origin: &str, host: &str) -> bool {
    let Some((_, rest)) = origin.split_once("://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    !authority.is_empty() && authority.eq_ignore_ascii_case(host)
}

/// Login-CSRF defence: a browser telling us the request is cross-site (`Sec-Fetch-Site`), or an
/// `Origin` that is not this host, is refused. Absent headers (scripts, old browsers) pass; the
/// JSON content type requirement already forces a CORS preflight on cross-site browsers.
pub fn login_origin_refusal(req: &HttpRequest) -> Option<RefusalReason> {
    let headers = req.headers();
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"))
    {
        return Some(RefusalReason::CrossSite);
    }
    let origin = headers.get(header::ORIGIN)?;
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_default();
    let same = origin.to_str().is_ok_and(|o| origin_matches_host(o, &host));
    (!same).then_some(RefusalReason::CrossOrigin)
}

/// 403 for a cross-site or foreign-origin login on `plane` (see [`login_origin_refusal`]),
/// counted for the `auth.login.refused` audit event.
pub fn check_login_origin(req: &HttpRequest, plane: Plane) -> Result<(), ApiError> {
    let Some(reason) = login_origin_refusal(req) else {
        return Ok(());
    };
    tracing::info!(reason = reason.as_str(), "denied: cross-site login attempt");
    if let Some(ctx) = req.app_data::<web::Data<AppContext>>() {
        let ip = client_ip::of_request(req, &ctx.settings.trusted_proxies).map(|ip| ip.to_string());
        ctx.refusals
            .note(plane, ip.as_deref(), reason, None, ctx.now());
    }
    Err(ApiError::Forbidden(match reason {
        RefusalReason::CrossSite => "cross-site login requests are refused".into(),
        _ => "cross-origin login requests are refused".into(),
    }))
}

/// Signs `session` in: a new session id (no fixation), a fresh CSRF token, the login time.
/// Returns the CSRF token.
pub fn start_session(
    session: &Session,
    principal_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, ApiError> {
    let csrf = new_csrf_token();
    session.clear();
    session.renew();
    let insert_err =
        |e: actix_session::SessionInsertError| ApiError::Internal(anyhow::anyhow!("{e}"));
    session
        .insert(KEY_PRINCIPAL_ID, principal_id)
        .map_err(insert_err)?;
    session.insert(KEY_CSRF, &csrf).map_err(insert_err)?;
    session
        .insert(KEY_AUTH_AT, now.timestamp_millis())
        .map_err(insert_err)?;
    Ok(csrf)
}
