//! `GET /admin/api/auth/me`.

use actix_web::{HttpResponse, get};

use crate::http::guards::Customer;
use crate::http::routes::customer::UserSession;

/// The signed-in customer user.
///
/// The customer user (id, username, workspace) and the session's CSRF token.
///
/// Who may call it: a signed-in customer user (session cookie). Changes nothing.
#[utoipa::path(tag = "customer", responses(
    (status = 200, description = "The current user", body = UserSession),
    crate::http::responses::AdminSignedIn,
))]
#[get("/auth/me")]
pub async fn me(user: Customer) -> HttpResponse {
    HttpResponse::Ok().json(UserSession::from(&user.0))
}
