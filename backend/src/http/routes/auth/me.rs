//! `GET /system/api/auth/me`.

use actix_web::{HttpResponse, get};

use crate::http::guards::Operator;
use crate::http::problem::Problem;
use crate::http::routes::auth::OperatorSession;

/// The signed-in operator, their capabilities and the session's CSRF token.
#[utoipa::path(tag = "auth", responses(
    (status = 200, description = "The current operator", body = OperatorSession),
    (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
))]
#[get("/auth/me")]
pub async fn me(operator: Operator) -> HttpResponse {
    HttpResponse::Ok().json(OperatorSession::from(&operator.0))
}
