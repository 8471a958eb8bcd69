//! Plane and access guards.
//!
//! - [`system_gate`] / [`admin_gate`] (middleware on each plane's API scope): a request that
//!   carries the *other* plane's credentials — its session cookie, or a validly signed bearer
//!   token with its audience — gets [`ApiError::NotFound`], the very 404 an unknown route gets,
//!   before any extractor or handler can answer differently.
//! - [`Operator`] / [`Customer`] (extractors): authenticate by bearer token or session cookie;
//!   none → 401; cookie-authenticated unsafe methods need `X-CSRF-Token` (403).
//! - [`Operator::require`]: missing capability → 403.
//!
//! Denials are logged with `tracing`, not written to the audit log (SPEC lists no such event).

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::CookieJar;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError, web};
use rand::RngCore;
use sea_orm::EntityTrait;

use crate::auth::RequestMeta;
use crate::auth::operators::capabilities_of;
use crate::auth::principal::{AuthVia, CustomerPrincipal, OperatorPrincipal, Plane};
use crate::auth::recheck::Credential;
use crate::auth::refusals::RefusalReason;
use crate::auth::sessions::{KEY_AUTH_AT, KEY_CSRF, KEY_PRINCIPAL_ID, hash_key};
use crate::auth::tokens::{self, TokenAuthError};
use crate::config::Settings;
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::entities::{customer_users, operators};
use crate::http::client_ip;
use crate::http::problem::ApiError;
use crate::http::session_store::{cookie_key, cookie_name};

/// The header a cookie-authenticated unsafe request must carry.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// An authenticated operator (operator plane only).
#[derive(Debug, Clone)]
pub struct Operator(pub OperatorPrincipal);

impl Deref for Operator {
    type Target = OperatorPrincipal;

    fn deref(&self) -> &OperatorPrincipal {
        &self.0
    }
}

impl Operator {
    /// 403 unless the operator holds `capability`.
    pub fn require(&self, capability: Capability) -> Result<(), ApiError> {
        require_capability(&self.0, capability)
    }

    /// 403 unless the operator signed in with a password (a session), not a bearer token: a
    /// leaked token must not mint longer-lived children, revoke its owner's other tokens or
    /// change the password. `what` names the action in the problem's detail.
    pub fn require_session(&self, what: &str) -> Result<(), ApiError> {
        match self.via {
            AuthVia::Session { .. } => Ok(()),
            AuthVia::Token { .. } => {
                tracing::info!(
                    operator.id = self.id,
                    action = what,
                    "denied: needs a session"
                );
                Err(ApiError::Forbidden(format!(
                    "{what} needs a signed-in session; API tokens cannot do it"
                )))
            }
        }
    }
}

/// An authenticated customer-plane user.
#[derive(Debug, Clone)]
pub struct Customer(pub CustomerPrincipal);

impl Deref for Customer {
    type Target = CustomerPrincipal;

    fn deref(&self) -> &CustomerPrincipal {
        &self.0
    }
}

/// 403 (problem document) unless `principal` holds `capability`.
pub fn require_capability(
    principal: &OperatorPrincipal,
    capability: Capability,
) -> Result<(), ApiError> {
    if principal.has(capability) {
        Ok(())
    } else {
        tracing::info!(
            operator.id = principal.id,
            capability = capability.as_str(),
            "denied: missing capability"
        );
        Err(ApiError::Forbidden(format!(
            "this action needs the capability {capability}"
        )))
    }
}

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

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh CSRF token (256 random bits, hex).
pub fn new_csrf_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The bearer token of `Authorization`, if the scheme is Bearer.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn has_cookie(headers: &HeaderMap, name: &str) -> bool {
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

fn context(req: &HttpRequest) -> Result<web::Data<AppContext>, ApiError> {
    req.app_data::<web::Data<AppContext>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppContext is not registered")))
}

/// The session's principal id, CSRF token and login time, if it is signed in.
fn session_identity(session: &Session) -> Option<(i64, String, i64)> {
    let id = session.get::<i64>(KEY_PRINCIPAL_ID).ok()??;
    let csrf = session.get::<String>(KEY_CSRF).ok()??;
    let auth_at = session.get::<i64>(KEY_AUTH_AT).ok()??;
    Some((id, csrf, auth_at))
}

fn check_csrf(req: &HttpRequest, expected: &str) -> Result<(), ApiError> {
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

fn unauthorized(why: &str) -> ApiError {
    tracing::info!(reason = why, "denied: not authenticated (401)");
    ApiError::Unauthorized
}

async fn authenticate_operator(req: HttpRequest) -> Result<Operator, ApiError> {
    let ctx = context(&req)?;
    // Repeated here (the gate already ran) so the extractor is safe wherever it is used.
    if carries_other_plane(req.headers(), &ctx.settings, Plane::System) {
        return Err(ApiError::NotFound);
    }
    if req.headers().contains_key(header::AUTHORIZATION) {
        let Some(token) = bearer(req.headers()) else {
            return Err(unauthorized("Authorization is not a bearer token"));
        };
        return match tokens::authenticate(&ctx, token).await {
            Ok(p) => Ok(Operator(p)),
            Err(TokenAuthError::OtherPlane) => Err(ApiError::NotFound),
            Err(TokenAuthError::Invalid(why)) => Err(unauthorized(why)),
            Err(TokenAuthError::Db(e)) => Err(e.into()),
        };
    }
    let session = req.get_session();
    let Some((id, csrf, auth_at_ms)) = session_identity(&session) else {
        return Err(unauthorized("no session"));
    };
    let operator = operators::Entity::find_by_id(id).one(&ctx.db).await?;
    let live =
        operator.filter(|o| !o.disabled && o.password_changed_at.timestamp_millis() <= auth_at_ms);
    let Some(operator) = live else {
        // Ended server-side too: the middleware deletes the row and clears the cookie.
        session.purge();
        return Err(unauthorized(
            "operator disabled, removed or password changed",
        ));
    };
    check_csrf(&req, &csrf)?;
    let capabilities = capabilities_of(&ctx.db, operator.id).await?;
    Ok(Operator(OperatorPrincipal {
        id: operator.id,
        username: operator.username,
        display_name: operator.display_name,
        capabilities,
        via: AuthVia::Session { csrf_token: csrf },
    }))
}

async fn authenticate_customer(req: HttpRequest) -> Result<Customer, ApiError> {
    let ctx = context(&req)?;
    if carries_other_plane(req.headers(), &ctx.settings, Plane::Admin) {
        return Err(ApiError::NotFound);
    }
    // v1 issues no customer-plane tokens: any other bearer is simply not a credential here.
    if req.headers().contains_key(header::AUTHORIZATION) {
        return Err(unauthorized("customer plane accepts no bearer tokens"));
    }
    let session = req.get_session();
    let Some((id, csrf, _)) = session_identity(&session) else {
        return Err(unauthorized("no session"));
    };
    let Some(user) = customer_users::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .filter(|u| !u.disabled)
    else {
        session.purge();
        return Err(unauthorized("customer user disabled or removed"));
    };
    check_csrf(&req, &csrf)?;
    Ok(Customer(CustomerPrincipal {
        id: user.id,
        username: user.username,
        display_name: user.display_name,
        workspace_id: user.workspace_id,
        csrf_token: csrf,
    }))
}

impl FromRequest for Operator {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate_operator(req.clone()))
    }
}

impl FromRequest for Customer {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate_customer(req.clone()))
    }
}

/// What an event stream re-checks while it is open (see [`crate::auth::recheck`]): the token,
/// or the session — identified by the hash of the key in the plane's private cookie, which
/// actix-session does not expose — with its login time.
pub fn stream_credential(req: &HttpRequest, operator: &Operator) -> Option<Credential> {
    match &operator.via {
        AuthVia::Token { jti } => Some(Credential::Token {
            jti: jti.clone(),
            operator_id: operator.id,
        }),
        AuthVia::Session { .. } => {
            let ctx = req.app_data::<web::Data<AppContext>>()?;
            let cookie = req.cookie(cookie_name(Plane::System))?;
            let mut jar = CookieJar::new();
            jar.add_original(cookie.into_owned());
            let key = cookie_key(ctx.settings.session_key(), Plane::System);
            let session_key = jar.private(&key).get(cookie_name(Plane::System))?;
            let (_, _, auth_at_ms) = session_identity(&req.get_session())?;
            Some(Credential::Session {
                session_id: hash_key(session_key.value()),
                operator_id: operator.id,
                auth_at_ms,
            })
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn principal(caps: &[Capability]) -> OperatorPrincipal {
        OperatorPrincipal {
            id: 7,
            username: "op".into(),
            display_name: "Op".into(),
            capabilities: caps.to_vec(),
            via: AuthVia::Token { jti: "j".into() },
        }
    }

    #[test]
    fn missing_capability_is_403_problem() {
        let p = principal(&[Capability::RunsView]);
        assert!(require_capability(&p, Capability::RunsView).is_ok());
        let err = require_capability(&p, Capability::RunbooksRun).expect_err("denied");
        assert_eq!(err.status_code().as_u16(), 403);
        assert_eq!(err.problem().status, 403);
        assert!(err.problem().detail.contains("ops.runbooks.run"));
    }

    #[test]
    fn csrf_is_needed_only_for_unsafe_methods_and_must_match() {
        assert!(csrf_ok(&Method::GET, None, "t"));
        assert!(csrf_ok(&Method::HEAD, None, "t"));
        assert!(csrf_ok(&Method::OPTIONS, None, "t"));
        assert!(!csrf_ok(&Method::POST, None, "t"));
        assert!(!csrf_ok(&Method::DELETE, Some("u"), "t"));
        assert!(!csrf_ok(&Method::PUT, Some(""), ""));
        assert!(csrf_ok(&Method::PATCH, Some("t"), "t"));
    }

    #[test]
    fn bearer_and_cookie_parsing() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tp_admin_session=xyz"),
        );
        assert!(has_cookie(&h, "tp_admin_session"));
        assert!(!has_cookie(&h, "tp_system_session"));
    }

    #[test]
    fn origins_must_name_this_host() {
        assert!(origin_matches_host(
            "http://127.0.0.1:8080",
            "127.0.0.1:8080"
        ));
        assert!(origin_matches_host(
            "https://Ops.Example.com",
            "ops.example.com"
        ));
        assert!(!origin_matches_host(
            "https://evil.example",
            "ops.example.com"
        ));
        assert!(!origin_matches_host("null", "ops.example.com"));
        assert!(!origin_matches_host(
            "http://127.0.0.1:9999",
            "127.0.0.1:8080"
        ));
    }
}
