//! `POST /system/api/auth/login`.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::auth::login as login_service;
use crate::auth::principal::{AuthVia, OperatorPrincipal, Plane};
use crate::context::AppContext;
use crate::http::guards;
use crate::http::problem::{ApiError, Problem};
use crate::http::routes::auth::{LoginRequest, OperatorSession};

/// Sign an operator in.
///
/// Checks the username and password and starts a new session: a new session id in the
/// `tp_system_session` cookie (HttpOnly, SameSite=Strict, Secure unless disabled) and a new CSRF
/// token in the body. Limited to 10 attempts per minute per client IP and username, 30 failed
/// attempts per client IP whatever the username (`LOGIN_FAILURES_PER_IP_PER_MINUTE`), and 50 per
/// username across addresses; an unknown user and a wrong password get the same 401, in body and
/// in timing. A cross-site attempt (`Sec-Fetch-Site: cross-site`, a foreign `Origin`) is 403.
///
/// Who may call it: anyone; no credentials. Changes: creates a session, counts the attempt in the
/// login throttle, and writes an audit event (`auth.login.succeeded`, `auth.login.failed`,
/// `auth.login.throttled`; refusals by the limiter or the cross-site check as
/// `auth.login.refused`).
#[utoipa::path(tag = "auth", request_body = LoginRequest, responses(
    (status = 200, description = "Signed in; the session cookie is set", body = OperatorSession),
    (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "Invalid username or password", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Cross-site login attempt", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
    (status = 415, description = "Body is not application/json", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Wrong fields or types, or an empty username or one longer than 64 characters (refused, never truncated)", body = Problem, content_type = "application/problem+json"),
    crate::http::responses::SystemApi,
))]
#[post("/auth/login")]
#[tracing::instrument(skip_all, fields(username = %body.username))]
pub async fn login(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    session: Session,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    guards::check_login_origin(&req, Plane::System)?;
    let meta = guards::request_meta(&req, "system_ui");
    let op = login_service::login_operator(&ctx, &body.username, &body.password, &meta).await?;
    let signed_in_at = ctx.now();
    let csrf_token = guards::start_session(&session, op.id, signed_in_at)?;
    let principal = OperatorPrincipal {
        id: op.id,
        username: op.username,
        display_name: op.display_name,
        capabilities: op.capabilities,
        via: AuthVia::Session {
            csrf_token,
            signed_in_at_ms: signed_in_at.timestamp_millis(),
        },
    };
    Ok(HttpResponse::Ok().json(OperatorSession::from(&principal)))
}
