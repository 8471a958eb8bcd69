//! `POST /admin/api/auth/logout`.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::audit::Actor;
use crate::auth::login::record_logout;
use crate::auth::principal::Plane;
use crate::context::AppContext;
use crate::http::guards::{self, Customer};
use crate::http::problem::{ApiError, Problem};

/// Sign out.
///
/// Ends the current session: its row is deleted and the cookie cleared.
///
/// Who may call it: a signed-in customer user, with the `X-CSRF-Token` header. Changes: deletes the
/// session; audit `auth.logout`.
#[utoipa::path(tag = "customer", responses(
    (status = 204, description = "Signed out"),
    (status = 403, description = "Missing or wrong X-CSRF-Token", body = Problem, content_type = "application/problem+json"),
    crate::http::responses::AdminSignedIn,
))]
#[post("/auth/logout")]
pub async fn logout(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    session: Session,
    user: Customer,
) -> Result<HttpResponse, ApiError> {
    session.purge();
    let meta = guards::request_meta(&req, "admin_ui");
    let actor = Actor::Customer {
        id: user.id,
        username: user.username.clone(),
    };
    record_logout(&ctx, actor, Plane::Admin, &meta).await;
    Ok(HttpResponse::NoContent().finish())
}
