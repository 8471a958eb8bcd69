//! `GET /ops/runs/{id}/changes`: what a run changed, row by row (its change log).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::extract::{Listing, known_query};
use crate::http::guards::Operator;
use crate::http::pagination::{Page, PageQuery};
use crate::http::problem::{ApiError, Problem};
use crate::runs::changes::{ChangeView, list};
use crate::runs::{RunError, query};

/// Which tenant's changes; an unknown query parameter is refused (422 naming it).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Only this tenant's changed rows (the tenant's id).
    pub tenant_id: Option<i64>,
}

/// List a run's changes.
///
/// Every row the run changed (its change log, docs/spec.md §15), by tenant and in the order
/// written, paginated: the finding, the rules that changed it, and each column it changed with
/// the value it overwrote (`before`) and the value it wrote (`after`). `tenant_id` keeps one
/// tenant's. A run whose log has passed `CHANGE_LOG_RETENTION_DAYS` answers 410; the run view's
/// `changes_available` says so beforehand.
///
/// Who may call it: an operator with `ops.runs.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    params(("id" = i64, Path, description = "Run id"), ChangesQuery, PageQuery),
    responses(
        (status = 200, description = "Changed rows", body = inline(Page<ChangeView>)),
        (status = 403, description = "Missing ops.runs.view", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The run's change log has been purged (retention)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown filter, or invalid pagination", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/runs/{id}/changes")]
pub async fn changes(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<i64>,
    filter: web::Query<ChangesQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsView)?;
    let params = page.validate()?;
    known_query(&req, &["tenant_id"], Listing::Paged)?;
    let run = query::find(&ctx.db, *id).await?.ok_or(ApiError::NotFound)?;
    if run.changes_purged_at.is_some() {
        return Err(RunError::ChangeLogExpired { run_id: *id }.into());
    }
    let (rows, total) = list(
        &ctx.db,
        *id,
        filter.tenant_id,
        params.offset(),
        params.per_page,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Page::new(rows, params, total)))
}
