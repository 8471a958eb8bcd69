//! `POST /ops/runs/{id}/pause`: hold a run.

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::RunActionBody;
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};
use crate::runs::control;
use crate::runs::query::RunView;

/// Pause a run.
///
/// Pauses a queued or running run with a reason: its status is `paused` at once and no further
/// item starts, on any worker; items already running finish and count (`counts.running` shows
/// them). The run keeps its lock. Resume it with `/resume`, or cancel it. A paused, completed or
/// cancelling run is 409 (`invalid_state`), as is a run whose last items are already running.
///
/// Who may call it: an operator with `ops.runs.control`. Changes: the run's status and pause;
/// audit `runbook.run.paused`.
#[utoipa::path(
    tag = "ops",
    params(("id" = i64, Path, description = "Run id")),
    request_body = RunActionBody,
    responses(
        (status = 200, description = "Run, paused", body = RunView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing ops.runs.control or CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not queued or running, or being cancelled (`code` invalid_state)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid reason", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[post("/ops/runs/{id}/pause")]
pub async fn pause(
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
        async |by, reason, meta| control::pause(&ctx, *id, Some(by), reason, meta).await,
    )
    .await
}
