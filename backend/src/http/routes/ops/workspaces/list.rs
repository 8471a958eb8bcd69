//! `GET /system/api/ops/workspaces?search=`: workspaces, with their targetable tenants.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::extract::{Listing, known_query, non_blank};
use crate::http::guards::Operator;
use crate::http::pagination::{Page, PageQuery};
use crate::http::problem::{ApiError, Problem};
use crate::runs::query;

/// A workspace a `workspace` scope may name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkspaceView {
    /// Workspace id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Its tenants a runbook can target (the platform tenant never counts).
    pub tenants: u64,
}

/// Search filter; an unknown query parameter is refused (422 naming it).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkspaceSearch {
    /// Case-insensitive substring of the name.
    pub search: Option<String>,
}

/// List the workspaces.
///
/// Workspaces by name, paginated, each with how many tenants a runbook could target in it;
/// `search` matches the name. A workspace scope (`{"kind": "workspace", "workspace_id"}`)
/// covers those tenants as they are at its preflight.
///
/// Who may call it: an operator with `ops.runbooks.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    params(WorkspaceSearch, PageQuery),
    responses(
        (status = 200, description = "Workspaces", body = inline(Page<WorkspaceView>)),
        (status = 403, description = "Missing ops.runbooks.view", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown filter or invalid pagination", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/workspaces")]
pub async fn list(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    search: web::Query<WorkspaceSearch>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunbooksView)?;
    let params = page.validate()?;
    known_query(&req, &["search"], Listing::Paged)?;
    let (rows, total) = query::workspaces_page(
        &ctx.db,
        non_blank(&search.search),
        params.page,
        params.per_page,
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|(id, name, tenants)| WorkspaceView { id, name, tenants })
        .collect();
    Ok(HttpResponse::Ok().json(Page::new(items, params, total)))
}
