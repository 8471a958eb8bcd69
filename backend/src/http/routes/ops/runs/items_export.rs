//! `GET /ops/runs/{id}/items.csv`: a run's items as CSV, streamed.

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::items::ItemQuery;
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::export::{ITEM_COLUMNS, PAGE};
use crate::http::csv::{self, json_rows};
use crate::http::extract::Listing;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};
use crate::runs::query;

/// Export a run's items as CSV.
///
/// Every item of a run matching the item list's filters, by tenant, as CSV (`run-<id>-items.csv`):
/// one column per JSON name of an item; a cell a spreadsheet would read as a formula (tenant names
/// come from customers) gets a leading `'`. Streamed page by page.
///
/// Who may call it: an operator with `ops.runs.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    params(("id" = i64, Path, description = "Run id"), ItemQuery),
    responses(
        (status = 200, description = "Items as CSV", body = String, content_type = "text/csv"),
        (status = 403, description = "Missing ops.runs.view", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown filter", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/runs/{id}/items.csv")]
pub async fn export(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<i64>,
    filter: web::Query<ItemQuery>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsView)?;
    let run_id = *id;
    query::find(&ctx.db, run_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let filter = filter.parse(&req, Listing::Export)?;
    let ctx = ctx.into_inner();
    Ok(csv::stream(
        &format!("run-{run_id}-items.csv"),
        ITEM_COLUMNS,
        0,
        move |after: i64| {
            let ctx = ctx.clone();
            let filter = filter.clone();
            async move {
                let items =
                    query::items_after(&ctx.db, run_id, &filter, after, PAGE, ctx.now()).await?;
                let next = (items.len() as u64 == PAGE)
                    .then(|| items.last().map(|i| i.tenant_id))
                    .flatten();
                Ok((json_rows(&items), next))
            }
        },
    ))
}
