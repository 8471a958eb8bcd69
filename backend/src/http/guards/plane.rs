//! The plane gate: [`system_gate`] / [`admin_gate`] (middleware on each plane's API scope) answer
//! a request carrying the *other* plane's credentials — its session cookie, or a validly signed
//! bearer token with its audience — with [`ApiError::NotFound`], the very 404 an unknown route
//! gets, before any extractor or handler can answer differently.

use crate::auth::principal::Plane;
use crate::auth::tokens;
use crate::config::Settings;
use crate::context::AppContext;
use crate::http::problem::ApiError;
use crate::http::session_store::cookie_name;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};

/// The bearer token of `Authorization`, if the scheme is Bearer.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

pub(super) fn has_cookie(headers: &HeaderMap, name: &str) -> bool {
    headers
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|pair| pair.trim().split('=').next().map(str::trim) == Some(name))
}

/// Whether a request to `plane` carries the other plane's credentials.
pub fn carries_other_plane(headers: &HeaderMap, settings: &Settings, plane: Plane) -> bool {
    let other = match plane {
        Plane::System => Plane::Admin,
        Plane::Admin => Plane::System,
    };
    has_cookie(headers, cookie_name(other))
        || bearer(headers).is_some_and(|t| tokens::plane_of(settings, t) == Some(other))
}

type GateResult<B> = Result<ServiceResponse<EitherBody<B>>, actix_web::Error>;

async fn gate<B: MessageBody>(plane: Plane, req: ServiceRequest, next: Next<B>) -> GateResult<B> {
    let denied = req
        .app_data::<web::Data<AppContext>>()
        .is_some_and(|ctx| carries_other_plane(req.headers(), &ctx.settings, plane));
    if denied {
        tracing::info!(plane = plane.as_str(), path = %req.path(), "denied: other plane's credentials (404)");
        return Ok(req
            .into_response(ApiError::NotFound.error_response())
            .map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Middleware for `/system/api`: customer-plane credentials → the generic 404.
pub async fn system_gate<B: MessageBody>(req: ServiceRequest, next: Next<B>) -> GateResult<B> {
    gate(Plane::System, req, next).await
}

/// Middleware for `/admin/api`: operator-plane credentials → the generic 404.
pub async fn admin_gate<B: MessageBody>(req: ServiceRequest, next: Next<B>) -> GateResult<B> {
    gate(Plane::Admin, req, next).await
}
