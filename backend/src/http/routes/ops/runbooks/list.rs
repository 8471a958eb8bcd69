//! `GET /ops/runbooks`: the catalogue.

use actix_web::{HttpResponse, get, web};

use super::{RunbookList, view};
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};
use crate::runs::query;

/// List the runbooks.
///
/// Every runbook of the catalogue (key, version, title, description, rules, parameters' schema,
/// confirmation verb, whether it runs on deploy) with its active runs and its latest run
/// (`last_run`, null when it never ran).
///
/// Who may call it: an operator with `ops.runbooks.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    responses(
        (status = 200, description = "Catalogue", body = RunbookList),
        (status = 403, description = "Missing ops.runbooks.view", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/runbooks")]
pub async fn list(
    ctx: web::Data<AppContext>,
    operator: Operator,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunbooksView)?;
    let keys: Vec<&str> = ctx.runbooks.all().iter().map(|r| r.key()).collect();
    let mut last_runs = query::last_runs(&ctx.db, &keys).await?;
    let mut items = Vec::new();
    for runbook in ctx.runbooks.all() {
        let last_run = last_runs.remove(runbook.key());
        items.push(view(&ctx, *runbook, last_run).await?);
    }
    Ok(HttpResponse::Ok().json(RunbookList { items }))
}
