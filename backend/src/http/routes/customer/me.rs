//! `GET /admin/api/auth/me`.

use actix_web::{HttpResponse, get};

use crate::http::guards::Customer;
use crate::http::routes::customer::UserSession;

/// The signed-in customer user and the session's CSRF token.
#[utoipa::path(tag = "customer", responses(
    (status = 200, description = "The current user", body = UserSession),
    crate::http::responses::AdminSignedIn,
))]
#[get("/auth/me")]
pub async fn me(user: Customer) -> HttpResponse {
    HttpResponse::Ok().json(UserSession::from(&user.0))
}
