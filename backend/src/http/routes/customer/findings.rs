//! `GET /admin/api/tenants/{id}/findings`.

use actix_web::{HttpResponse, get, web};

use crate::context::AppContext;
use crate::http::guards::Customer;
use crate::http::pagination::{Page, PageQuery};
use crate::http::problem::{ApiError, Problem};
use crate::http::routes::customer::FindingView;
use crate::workspace;

/// List one tenant's findings.
///
/// The findings of one tenant of the user's own workspace, by id, paginated. A tenant of another
/// workspace is 404, exactly as a tenant that does not exist.
///
/// Who may call it: a signed-in customer user (session cookie). Changes nothing.
#[utoipa::path(tag = "customer", params(("id" = i64, Path, description = "Tenant id"), PageQuery), responses(
    (status = 200, description = "One page of findings", body = inline(Page<FindingView>)),
    (status = 404, description = "No such tenant in your workspace", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid id or pagination", body = Problem, content_type = "application/problem+json"),
    crate::http::responses::AdminSignedIn,
))]
#[get("/tenants/{id}/findings")]
pub async fn list_findings(
    ctx: web::Data<AppContext>,
    user: Customer,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let params = query.validate()?;
    let (rows, total) = workspace::list_findings(
        &ctx.db,
        user.workspace_id,
        path.into_inner(),
        params.offset(),
        params.per_page,
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    let items = rows
        .into_iter()
        .map(|f| FindingView {
            id: f.id,
            tenant_id: f.tenant_id,
            recurrence_key: f.recurrence_key,
            severity: f.severity,
            status: f.status,
            first_seen_at: f.first_seen_at,
            last_seen_at: f.last_seen_at,
            times_seen: f.times_seen,
            due_at: f.due_at,
            triaged_at: f.triaged_at,
            resolved_at: f.resolved_at,
            closed_at: f.closed_at,
            closed_reason: f.closed_reason,
            created_at: f.created_at,
            updated_at: f.updated_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page::new(items, params, total)))
}
