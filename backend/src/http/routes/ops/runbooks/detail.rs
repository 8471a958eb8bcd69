//! `GET /ops/runbooks/{key}`: one runbook.

use actix_web::{HttpResponse, get, web};

use super::{RunbookView, view};
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};
use crate::runs::query;

/// One runbook.
///
/// A runbook of the catalogue by key, with its rules (`rule_details`), the JSON Schema of its
/// parameters, its confirmation verb, its active runs and its latest run (`last_run`). An unknown
/// key is 404.
///
/// Who may call it: an operator with `ops.runbooks.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    params(("key" = String, Path, description = "Runbook key")),
    responses(
        (status = 200, description = "Runbook", body = RunbookView),
        (status = 403, description = "Missing ops.runbooks.view", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown runbook", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed key (e.g. a NUL character)", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/runbooks/{key}")]
pub async fn detail(
    ctx: web::Data<AppContext>,
    operator: Operator,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunbooksView)?;
    let runbook = ctx.runbooks.find(&key).ok_or(ApiError::NotFound)?;
    let last_run = query::last_runs(&ctx.db, &[runbook.key()])
        .await?
        .remove(runbook.key());
    Ok(HttpResponse::Ok().json(view(&ctx, runbook, last_run).await?))
}
