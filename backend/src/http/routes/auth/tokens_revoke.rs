//! `DELETE /system/api/auth/tokens/{id}`.

use actix_web::{HttpRequest, HttpResponse, delete, web};

use crate::auth::tokens::{self, TokenError};
use crate::context::AppContext;
use crate::http::guards::{self, Operator};
use crate::http::problem::{ApiError, Problem};

/// Revoke one of the caller's API tokens.
///
/// Revokes one of the caller's own tokens; revoking it again succeeds (idempotent). Another
/// operator's token is 404.
///
/// Who may call it: the token's owner, by session only (a bearer token gets 403), with the
/// `X-CSRF-Token` header. Changes: the token is revoked (requests carrying it get 401, its open
/// event streams end within 5 s); audit `auth.token.revoked`.
#[utoipa::path(tag = "auth", params(("id" = i64, Path, description = "Token id")), responses(
    (status = 204, description = "Revoked"),
    (status = 403, description = "A bearer token (token management needs a session), or a missing or wrong X-CSRF-Token", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such token of yours", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Non-numeric id", body = Problem, content_type = "application/problem+json"),
    crate::http::responses::SystemSignedIn,
))]
#[delete("/auth/tokens/{id}")]
#[tracing::instrument(skip_all, fields(operator.id = operator.id))]
pub async fn revoke_token(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    operator.require_session("revoking an API token")?;
    let meta = guards::request_meta(&req, "system_ui");
    tokens::revoke(
        &ctx,
        operator.id,
        &operator.username,
        path.into_inner(),
        &meta,
    )
    .await
    .map_err(|e| match e {
        TokenError::NotFound => ApiError::NotFound,
        TokenError::SessionEnded => ApiError::Unauthorized,
        TokenError::Db(e) => e.into(),
        other => ApiError::Internal(other.into()),
    })?;
    Ok(HttpResponse::NoContent().finish())
}
