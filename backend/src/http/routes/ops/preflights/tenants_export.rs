//! `GET /ops/preflights/{preflight_id}/tenants.csv`: a preflight's tenants as CSV, streamed.

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::tenants::{PreflightTenantQuery, found};
use crate::context::AppContext;
use crate::export::{PAGE, PREFLIGHT_TENANT_COLUMNS};
use crate::http::csv::{self, json_rows};
use crate::http::extract::Listing;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};
use crate::runs::preflight;

/// Export a preflight's tenants as CSV.
///
/// Every tenant in a preflight's scope with what would change there, as CSV
/// (`preflight-<id>-tenants.csv`): one column per JSON name of the list's entries; a cell a
/// spreadsheet would read as a formula gets a leading `'`. Streamed page by page.
///
/// Who may call it: an operator with `ops.runbooks.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    params(("preflight_id" = String, Path, description = "Preflight id"), PreflightTenantQuery),
    responses(
        (status = 200, description = "The preflight's tenants as CSV", body = String, content_type = "text/csv"),
        (status = 403, description = "Missing ops.runbooks.view", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such preflight", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown filter", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/preflights/{preflight_id}/tenants.csv")]
pub async fn export(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<String>,
    filter: web::Query<PreflightTenantQuery>,
) -> Result<HttpResponse, ApiError> {
    found(&ctx, &operator, &id).await?;
    let filter = filter.parse(&req, Listing::Export)?;
    let id = id.into_inner();
    let ctx = ctx.into_inner();
    Ok(csv::stream(
        &format!("preflight-{id}-tenants.csv"),
        PREFLIGHT_TENANT_COLUMNS,
        0,
        move |after: i64| {
            let ctx = ctx.clone();
            let id = id.clone();
            async move {
                let rows = preflight::tenants_after(&ctx.db, &id, filter, after, PAGE).await?;
                let next = (rows.len() as u64 == PAGE)
                    .then(|| rows.last().map(|r| r.tenant_id))
                    .flatten();
                Ok((json_rows(&rows), next))
            }
        },
    ))
}
