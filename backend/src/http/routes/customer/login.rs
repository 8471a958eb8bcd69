//! `POST /admin/api/auth/login`.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::auth::login as login_service;
use crate::auth::principal::{CustomerPrincipal, Plane};
use crate::context::AppContext;
use crate::http::guards;
use crate::http::problem::{ApiError, Problem};
use crate::http::routes::customer::{CustomerLoginRequest, UserSession};

/// Sign a customer user in.
///
/// Checks the username and password and starts a new session: a new session id in the
/// `tp_admin_session` cookie and a new CSRF token in the body. Throttled like the operator login
/// (10 attempts per minute per client IP and username); a cross-site attempt is 403.
///
/// Who may call it: anyone; no credentials. Changes: creates a session, counts the attempt in the
/// login throttle, writes an audit event (`auth.login.*`).
#[utoipa::path(tag = "customer", request_body = CustomerLoginRequest, responses(
    (status = 200, description = "Signed in; the session cookie is set", body = UserSession),
    (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "Invalid username or password", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Cross-site login attempt", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
    (status = 415, description = "Body is not application/json", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Wrong fields or types, or an empty username or one longer than 64 characters (refused, never truncated)", body = Problem, content_type = "application/problem+json"),
    crate::http::responses::AdminApi,
))]
#[post("/auth/login")]
#[tracing::instrument(skip_all, fields(username = %body.username))]
pub async fn login(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    session: Session,
    body: web::Json<CustomerLoginRequest>,
) -> Result<HttpResponse, ApiError> {
    guards::check_login_origin(&req, Plane::Admin)?;
    let meta = guards::request_meta(&req, "admin_ui");
    let user = login_service::login_customer(&ctx, &body.username, &body.password, &meta).await?;
    let csrf_token = guards::start_session(&session, user.id, ctx.now())?;
    let principal = CustomerPrincipal {
        id: user.id,
        username: user.username,
        display_name: user.display_name,
        workspace_id: user.workspace_id,
        csrf_token,
    };
    Ok(HttpResponse::Ok().json(UserSession::from(&principal)))
}
