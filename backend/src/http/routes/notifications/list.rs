//! `GET /notifications`: the signed-in operator's notifications.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::context::AppContext;
use crate::http::guards::Operator;
use crate::http::pagination::PageQuery;
use crate::http::problem::{ApiError, Problem};
use crate::notifications::{self, NotificationView};

/// A page of notifications and the unread count.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationPage {
    /// Notifications, newest first.
    pub items: Vec<NotificationView>,
    /// Page number.
    pub page: u64,
    /// Page size.
    pub per_page: u64,
    /// All notifications.
    pub total: u64,
    /// Unread notifications.
    pub unread: u64,
}

/// List the operator's notifications.
///
/// The signed-in operator's own notifications (an `OperationRunCompleted` for each run they started
/// that completed), newest first, paginated, with the unread count.
///
/// Who may call it: any signed-in operator; no capability needed. Changes nothing.
#[utoipa::path(
    tag = "notifications",
    params(PageQuery),
    responses(
        (status = 200, description = "Notifications", body = NotificationPage),
        (status = 422, description = "Invalid pagination", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/notifications")]
pub async fn list_notifications(
    ctx: web::Data<AppContext>,
    operator: Operator,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let params = page.validate()?;
    let (items, total, unread) =
        notifications::list(&ctx.db, operator.id, params.page, params.per_page).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(NotificationPage {
            items,
            page: params.page,
            per_page: params.per_page,
            total,
            unread,
        }))
}
