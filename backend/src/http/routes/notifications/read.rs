//! `POST /notifications/{id}/read`: mark one read.

use actix_web::{HttpResponse, post, web};

use crate::context::AppContext;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};
use crate::notifications::{self, NotificationView};

/// Mark a notification read.
///
/// Marks one of the operator's own notifications read; marking it again changes nothing. Another
/// operator's notification is 404.
///
/// Who may call it: any signed-in operator (with the session cookie, the `X-CSRF-Token` header
/// too). Changes: the notification's read time.
#[utoipa::path(
    tag = "notifications",
    params(("id" = i64, Path, description = "Notification id")),
    responses(
        (status = 200, description = "Notification", body = NotificationView),
        (status = 403, description = "Missing CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not one of yours", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Id is not a 64-bit integer", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[post("/notifications/{id}/read")]
pub async fn read_notification(
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let view = notifications::mark_read(&ctx.db, operator.id, *id, ctx.now())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(view))
}
