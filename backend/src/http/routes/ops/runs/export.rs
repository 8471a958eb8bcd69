//! `GET /ops/runs.csv`: the run list as CSV, streamed.

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::list::RunListQuery;
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::export::{PAGE, RUN_COLUMNS};
use crate::http::csv::{self, json_rows};
use crate::http::extract::Listing;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};
use crate::runs::query;

/// Export runs as CSV.
///
/// Every run matching the run list's filters, newest first, as CSV (`runs.csv`): one column per
/// JSON name of a run, flattened (`counts.total`); a cell a spreadsheet would read as a formula
/// gets a leading `'`. Streamed page by page, however many runs match.
///
/// Who may call it: an operator with `ops.runs.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    params(RunListQuery),
    responses(
        (status = 200, description = "Runs as CSV", body = String, content_type = "text/csv"),
        (status = 403, description = "Missing ops.runs.view", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown filter", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/runs.csv")]
pub async fn export(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    filter: web::Query<RunListQuery>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsView)?;
    let filter = filter.parse(&req, Listing::Export)?;
    let ctx = ctx.into_inner();
    Ok(csv::stream(
        "runs.csv",
        RUN_COLUMNS,
        None,
        move |before: Option<i64>| {
            let ctx = ctx.clone();
            let filter = filter.clone();
            async move {
                let runs =
                    query::list_before(&ctx.db, &ctx.runbooks, &filter, before, PAGE, ctx.now())
                        .await?;
                let next = (runs.len() as u64 == PAGE)
                    .then(|| runs.last().map(|r| r.id))
                    .flatten();
                Ok((json_rows(&runs), next.map(Some)))
            }
        },
    ))
}
