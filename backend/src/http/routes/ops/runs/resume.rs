//! `POST /ops/runs/{id}/resume`: let a paused run go on.

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::RunActionBody;
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};
use crate::runs::control;
use crate::runs::query::RunView;

/// Resume a run.
///
/// Resumes a paused run with a reason: it returns to `running` (`queued` when no tenant has
/// started) and its items start again. Its failure budget counts afresh from here, and a wave
/// that finished while it was paused is passed (the next wave starts). A run that is not
/// paused, or is being cancelled, is 409 (`invalid_state`).
///
/// Who may call it: an operator with `ops.runs.control`. Changes: the run's status; audit
/// `runbook.run.resumed`.
#[utoipa::path(
    tag = "ops",
    params(("id" = i64, Path, description = "Run id")),
    request_body = RunActionBody,
    responses(
        (status = 200, description = "Run, resumed", body = RunView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing ops.runs.control or CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not paused, or being cancelled (`code` invalid_state)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid reason", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[post("/ops/runs/{id}/resume")]
pub async fn resume(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<i64>,
    body: web::Json<RunActionBody>,
) -> Result<HttpResponse, ApiError> {
    super::act(
        &req,
        &operator,
        Capability::RunsControl,
        &body,
        async |by, reason, meta| control::resume(&ctx, *id, Some(by), reason, meta).await,
    )
    .await
}
