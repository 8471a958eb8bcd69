//! `GET /system/api/ops/tenants?search=`: targetable tenants (never the platform tenant).

use actix_web::{HttpResponse, get, web};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::entities::tenants;
use crate::http::guards::Operator;
use crate::http::pagination::{Page, PageQuery};
use crate::http::problem::{ApiError, Problem};
use crate::runs::query::tenant_search;

/// A tenant a runbook may target.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantView {
    /// Tenant id.
    pub id: i64,
    /// External id.
    pub external_id: String,
    /// Name.
    pub name: String,
    /// Workspace.
    pub workspace_id: i64,
}

impl From<tenants::Model> for TenantView {
    fn from(t: tenants::Model) -> Self {
        Self {
            id: t.id,
            external_id: t.external_id,
            name: t.name,
            workspace_id: t.workspace_id,
        }
    }
}

/// Search filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TenantSearch {
    /// Case-insensitive substring of the name or external id.
    pub search: Option<String>,
    /// Only the tenant with this id (how the console names a tenant a URL gives by id).
    pub id: Option<i64>,
}

/// List the targetable tenants.
///
/// Tenants a runbook can target, by name, paginated; `search` matches the name or the external id,
/// `id` picks one tenant. The platform tenant is never listed.
///
/// Who may call it: an operator with `ops.runbooks.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    params(TenantSearch, PageQuery),
    responses(
        (status = 200, description = "Tenants", body = inline(Page<TenantView>)),
        (status = 403, description = "Missing ops.runbooks.view", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid pagination", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/tenants")]
pub async fn list(
    ctx: web::Data<AppContext>,
    operator: Operator,
    search: web::Query<TenantSearch>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunbooksView)?;
    let params = page.validate()?;
    let mut query = tenants::Entity::find()
        .filter(tenants::Column::ExternalId.ne(tenants::PLATFORM_EXTERNAL_ID));
    if let Some(matching) = search.search.as_deref().and_then(tenant_search) {
        query = query.filter(matching);
    }
    if let Some(id) = search.id {
        query = query.filter(tenants::Column::Id.eq(id));
    }
    let total = query.clone().count(&ctx.db).await?;
    let items = query
        .order_by_asc(tenants::Column::Name)
        .order_by_asc(tenants::Column::Id)
        .offset(params.offset())
        .limit(params.per_page)
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(TenantView::from)
        .collect();
    Ok(HttpResponse::Ok().json(Page::new(items, params, total)))
}
