//! `GET /ops/runbooks/{key}`: one runbook.

use actix_web::{HttpResponse, get, web};

use super::{RunbookView, view};
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};

/// One runbook.
///
/// A runbook of the catalogue by key, with its rules (`rule_details`), the JSON Schema of its
/// parameters, its confirmation verb and its active runs. An unknown key is 404.
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
    Ok(HttpResponse::Ok().json(view(&ctx, runbook).await?))
}
