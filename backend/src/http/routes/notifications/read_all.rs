//! `POST /notifications/read-all`: mark every notification read.

use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::context::AppContext;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};
use crate::notifications;

/// What marking every notification read did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReadAll {
    /// Notifications marked read by this request.
    pub marked: u64,
    /// The operator's unread notifications now (0 unless one arrived meanwhile).
    pub unread: u64,
}

/// Which notifications to mark.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReadAllQuery {
    /// Mark only notifications up to and including this id: the newest one the operator has
    /// seen, so one that arrives between looking and clicking stays unread. Omitted: all.
    #[param(minimum = 1)]
    pub up_to_id: Option<i64>,
}

/// Mark the operator's notifications read.
///
/// Marks the operator's unread notifications read (all, or those up to `up_to_id`, so a
/// notification that arrived after the list was shown stays unread) and answers the new unread
/// count. Repeating it marks nothing.
///
/// Who may call it: any signed-in operator (with the session cookie, the `X-CSRF-Token` header
/// too). Changes: the read time of the operator's own notifications only.
#[utoipa::path(
    tag = "notifications",
    params(ReadAllQuery),
    responses(
        (status = 200, description = "Marked", body = ReadAll),
        (status = 403, description = "Missing CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown query parameter", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[post("/notifications/read-all")]
pub async fn read_all(
    ctx: web::Data<AppContext>,
    operator: Operator,
    query: web::Query<ReadAllQuery>,
) -> Result<HttpResponse, ApiError> {
    if query.up_to_id.is_some_and(|id| id < 1) {
        return Err(ApiError::field(
            "up_to_id",
            "must be a notification id, 1 or more",
        ));
    }
    let (marked, unread) =
        notifications::mark_all_read(&ctx.db, operator.id, query.up_to_id, ctx.now()).await?;
    Ok(HttpResponse::Ok().json(ReadAll { marked, unread }))
}
