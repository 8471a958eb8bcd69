//! `GET /admin/api/tenants`.

use actix_web::{HttpResponse, get, web};

use crate::context::AppContext;
use crate::http::guards::Customer;
use crate::http::pagination::{Page, PageQuery};
use crate::http::problem::{ApiError, Problem};
use crate::http::routes::customer::TenantView;
use crate::workspace;

/// List the workspace's tenants.
///
/// The tenants of the user's own workspace, by id, paginated.
///
/// Who may call it: a signed-in customer user (session cookie). Changes nothing.
#[utoipa::path(tag = "customer", params(PageQuery), responses(
    (status = 200, description = "One page of tenants", body = inline(Page<TenantView>)),
    (status = 422, description = "Invalid pagination", body = Problem, content_type = "application/problem+json"),
    crate::http::responses::AdminSignedIn,
))]
#[get("/tenants")]
pub async fn list_tenants(
    ctx: web::Data<AppContext>,
    user: Customer,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let params = query.validate()?;
    let (rows, total) =
        workspace::list_tenants(&ctx.db, user.workspace_id, params.offset(), params.per_page)
            .await?;
    let items = rows
        .into_iter()
        .map(|t| TenantView {
            id: t.id,
            external_id: t.external_id,
            name: t.name,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page::new(items, params, total)))
}
