//! `GET /system/api/auth/me`.

use actix_web::{HttpResponse, get};

use crate::http::guards::Operator;
use crate::http::routes::auth::OperatorSession;

/// The signed-in operator, their capabilities and the session's CSRF token.
#[utoipa::path(tag = "auth", responses(
    (status = 200, description = "The current operator", body = OperatorSession),
    crate::http::responses::SystemSignedIn,
))]
#[get("/auth/me")]
pub async fn me(operator: Operator) -> HttpResponse {
    HttpResponse::Ok().json(OperatorSession::from(&operator.0))
}
