//! The operator's own notifications and the audit log.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::audit::{self, AuditEventView, AuditFilter};
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::guards::Operator;
use crate::http::pagination::{Page, PageQuery};
use crate::http::problem::{ApiError, Problem};
use crate::notifications::{self, NotificationView};

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_notifications)
        .service(read_notification)
        .service(audit_events);
}

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

/// The signed-in operator's notifications.
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

/// Marks one of the operator's notifications read.
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

/// Audit log filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Exact action, e.g. `runbook.run.started`.
    pub action: Option<String>,
    /// Actor username.
    pub actor: Option<String>,
}

/// The audit log, newest first.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery, PageQuery),
    responses(
        (status = 200, description = "Audit events", body = inline(Page<AuditEventView>)),
        (status = 403, description = "Missing audit.view", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid pagination", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/audit-events")]
pub async fn audit_events(
    ctx: web::Data<AppContext>,
    operator: Operator,
    filter: web::Query<AuditQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::AuditView)?;
    let params = page.validate()?;
    let filter = AuditFilter {
        action: filter.action.clone().filter(|a| !a.is_empty()),
        actor: filter.actor.clone().filter(|a| !a.is_empty()),
    };
    let (items, total) = audit::list(&ctx.db, &filter, params.page, params.per_page).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Page::new(items, params, total)))
}
