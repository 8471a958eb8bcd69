//! `GET /ops/preflights/{preflight_id}/tenants`: every tenant a preflight examined, with what would change.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::extract::{Listing, known_query, non_blank};
use crate::http::guards::Operator;
use crate::http::pagination::{Page, PageQuery};
use crate::http::problem::{ApiError, Problem};
use crate::runs::preflight::{self, PreflightTenantFilter, PreflightTenantView};

/// The report's filter; an unknown query parameter is refused (422 naming it).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreflightTenantQuery {
    /// `true`: only the tenants with at least one would-be change.
    pub changes_only: Option<String>,
}

impl PreflightTenantQuery {
    /// The filter, parsed; 422 naming the field that does not parse.
    pub fn parse(
        &self,
        req: &HttpRequest,
        listing: Listing,
    ) -> Result<PreflightTenantFilter, ApiError> {
        known_query(req, &["changes_only"], listing)?;
        let changes_only = match non_blank(&self.changes_only) {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(ApiError::field("changes_only", "expected true or false")),
        };
        Ok(PreflightTenantFilter { changes_only })
    }
}

/// Checks the caller and that the preflight exists.
pub async fn found(ctx: &AppContext, operator: &Operator, id: &str) -> Result<(), ApiError> {
    operator.require(Capability::RunbooksView)?;
    preflight::load(&ctx.db, id)
        .await?
        .map(|_| ())
        .ok_or(ApiError::NotFound)
}

/// List a preflight's tenants.
///
/// Every tenant in a preflight's scope, by tenant id, with the findings it examined and would
/// change there, per rule — the full plan behind the preflight's totals and sample. Kept after
/// the preflight expires. `changes_only=true` keeps the tenants with a would-be change.
///
/// Who may call it: an operator with `ops.runbooks.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    params(("preflight_id" = String, Path, description = "Preflight id"), PreflightTenantQuery, PageQuery),
    responses(
        (status = 200, description = "The preflight's tenants", body = inline(Page<PreflightTenantView>)),
        (status = 403, description = "Missing ops.runbooks.view", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such preflight", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown filter, or invalid pagination", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/preflights/{preflight_id}/tenants")]
pub async fn tenants(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<String>,
    filter: web::Query<PreflightTenantQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    found(&ctx, &operator, &id).await?;
    let params = page.validate()?;
    let filter = filter.parse(&req, Listing::Paged)?;
    let (items, total) =
        preflight::tenants_page(&ctx.db, &id, filter, params.page, params.per_page).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, params, total)))
}
