//! `POST /ops/runs/{id}/cancel`: cancel a run.

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::RunActionBody;
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};
use crate::runs::query::RunView;
use crate::runs::service;

/// Cancel a run.
///
/// Cancels an active run (queued, running or paused) with a reason: pending items and items
/// waiting for a retry become `cancelled`, running ones finish, and the run completes with
/// outcome `cancelled`. A completed run, or one already being cancelled, is 409.
///
/// Who may call it: an operator with `ops.runs.cancel`. Changes: the run's unstarted items and
/// their jobs; the run's outcome once its running items finish; audit `runbook.run.cancelled`.
#[utoipa::path(
    tag = "ops",
    params(("id" = i64, Path, description = "Run id")),
    request_body = RunActionBody,
    responses(
        (status = 200, description = "Run after cancellation", body = RunView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing ops.runs.cancel or CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already completed or being cancelled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid reason", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[post("/ops/runs/{id}/cancel")]
pub async fn cancel(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<i64>,
    body: web::Json<RunActionBody>,
) -> Result<HttpResponse, ApiError> {
    super::act(
        &req,
        &operator,
        Capability::RunsCancel,
        &body,
        async |by, reason, meta| service::cancel(&ctx, *id, Some(by), reason, meta).await,
    )
    .await
}
