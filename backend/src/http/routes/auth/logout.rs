//! `POST /system/api/auth/logout`.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::auth::login::record_logout;
use crate::auth::principal::{AuthVia, Plane};
use crate::context::AppContext;
use crate::http::guards::{self, Operator};
use crate::http::problem::{ApiError, Problem};

/// Sign out.
///
/// Ends the current session: its row is deleted and the cookie cleared. With a bearer token there
/// is no session and nothing happens (revoke the token instead).
///
/// Who may call it: any signed-in operator (with the session cookie, the `X-CSRF-Token` header
/// too). Changes: deletes the session; audit `auth.logout`.
#[utoipa::path(tag = "auth", responses(
    (status = 204, description = "Signed out"),
    (status = 403, description = "Missing or wrong X-CSRF-Token", body = Problem, content_type = "application/problem+json"),
    crate::http::responses::SystemSignedIn,
))]
#[post("/auth/logout")]
#[tracing::instrument(skip_all, fields(operator.id = operator.id))]
pub async fn logout(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    session: Session,
    operator: Operator,
) -> Result<HttpResponse, ApiError> {
    if matches!(operator.via, AuthVia::Session { .. }) {
        session.purge();
        let meta = guards::request_meta(&req, "system_ui");
        record_logout(&ctx, operator.actor(), Plane::System, &meta).await;
    }
    Ok(HttpResponse::NoContent().finish())
}
