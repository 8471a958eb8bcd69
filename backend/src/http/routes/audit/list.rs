//! `GET /audit-events`: the audit log.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::audit::{self, AuditEventView, AuditFilter};
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::extract::{Listing, instant, known_query, non_blank};
use crate::http::guards::Operator;
use crate::http::pagination::{Page, PageQuery};
use crate::http::problem::{ApiError, Problem};

/// Audit log filters; they combine with AND, and an unknown query parameter is refused (422
/// naming it), never ignored.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Exact action, e.g. `runbook.run.started`.
    pub action: Option<String>,
    /// Actor username.
    pub actor: Option<String>,
    /// Events at or after this RFC 3339 instant.
    pub created_after: Option<String>,
    /// Events before this RFC 3339 instant.
    pub created_before: Option<String>,
}

impl AuditQuery {
    /// The filters, parsed; 422 naming the field that does not parse.
    pub fn parse(&self, req: &HttpRequest, listing: Listing) -> Result<AuditFilter, ApiError> {
        known_query(
            req,
            &["action", "actor", "created_after", "created_before"],
            listing,
        )?;
        Ok(AuditFilter {
            action: non_blank(&self.action).map(str::to_owned),
            actor: non_blank(&self.actor).map(str::to_owned),
            created_after: instant("created_after", &self.created_after)?,
            created_before: instant("created_before", &self.created_before)?,
        })
    }
}

/// The audit log.
///
/// Audit events, newest first, paginated, filtered by exact `action`, `actor` username and creation
/// time; a filter that does not parse is 422 naming it.
///
/// Who may call it: an operator with `audit.view`. Changes nothing.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery, PageQuery),
    responses(
        (status = 200, description = "Audit events", body = inline(Page<AuditEventView>)),
        (status = 403, description = "Missing audit.view", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown filter, or invalid pagination", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/audit-events")]
pub async fn audit_events(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    filter: web::Query<AuditQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::AuditView)?;
    let filter = filter.parse(&req, Listing::Paged)?;
    let params = page.validate()?;
    let (items, total) = audit::list(&ctx.db, &filter, params.page, params.per_page).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Page::new(items, params, total)))
}
