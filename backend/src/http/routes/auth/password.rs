//! `POST /system/api/auth/password`.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::auth::password_change::{self, PasswordChangeError};
use crate::auth::sessions::KEY_AUTH_AT;
use crate::context::AppContext;
use crate::http::guards::{self, Operator};
use crate::http::problem::{ApiError, Problem};
use crate::http::routes::auth::PasswordChangeRequest;

/// Change the signed-in operator's password.
///
/// The new password must be 12–256 characters, must not contain the username and must not be a
/// common password. A wrong current password is a 422 on `current_password` and counts for the
/// login throttle (429 beyond it).
///
/// Who may call it: the signed-in operator, by session only (a bearer token gets 403), with the
/// `X-CSRF-Token` header. Changes: the operator's password; every other session and every API token
/// of the operator ends; this session stays signed in with a new session id; audit
/// `auth.password.changed`.
#[utoipa::path(tag = "auth", request_body = PasswordChangeRequest, responses(
    (status = 204, description = "Changed; other sessions and all API tokens of the operator are ended"),
    (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a session (bearer token), or missing or wrong X-CSRF-Token", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
    (status = 415, description = "Body is not application/json", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Wrong current password (`errors.current_password`) or a new password that breaks the policy (`errors.new_password`)", body = Problem, content_type = "application/problem+json"),
    crate::http::responses::SystemSignedIn,
))]
#[post("/auth/password")]
#[tracing::instrument(skip_all, fields(operator.id = operator.id))]
pub async fn change_password(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    session: Session,
    body: web::Json<PasswordChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    operator.require_session("changing a password")?;
    let meta = guards::request_meta(&req, "system_ui");
    password_change::change_own_password(
        &ctx,
        &operator,
        &body.current_password,
        &body.new_password,
        &meta,
    )
    .await
    .map_err(|e| match e {
        PasswordChangeError::WrongCurrent => {
            ApiError::field("current_password", "the current password is wrong")
        }
        PasswordChangeError::Policy(message) => ApiError::field("new_password", message),
        PasswordChangeError::Login(e) => e.into(),
    })?;
    // Every session of the operator ended with the change; this one goes on under a new id and
    // a login time no older than the new password.
    session
        .insert(KEY_AUTH_AT, ctx.now().timestamp_millis())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
    session.renew();
    Ok(HttpResponse::NoContent().finish())
}
