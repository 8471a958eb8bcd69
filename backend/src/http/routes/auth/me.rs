//! `GET /system/api/auth/me`.

use actix_web::{HttpResponse, get};

use crate::http::guards::Operator;
use crate::http::routes::auth::OperatorSession;

/// The signed-in operator.
///
/// The operator (id, username, display name, capabilities) and the session's CSRF token. Without
/// credentials the answer is 401 (the console asks `auth/session`, which answers nulls instead).
///
/// Who may call it: any signed-in operator, by session or API token; no capability needed. Changes
/// nothing.
#[utoipa::path(tag = "auth", responses(
    (status = 200, description = "The current operator", body = OperatorSession),
    crate::http::responses::SystemSignedIn,
))]
#[get("/auth/me")]
pub async fn me(operator: Operator) -> HttpResponse {
    HttpResponse::Ok().json(OperatorSession::from(&operator.0))
}
