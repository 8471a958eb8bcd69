//! `POST /ops/runs/{id}/cancel`: cancel a run.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::guards::{Operator, request_meta};
use crate::http::problem::{ApiError, Problem};
use crate::http::routes::ops::source_of;
use crate::runs::query::RunView;
use crate::runs::{Initiator, service};

/// Cancel request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Why (10–500 characters).
    pub reason: String,
}

/// Cancel a run.
///
/// Cancels an active run with a reason: pending items and items waiting for a retry become
/// `cancelled`, running ones finish, and the run completes with outcome `cancelled`. A completed
/// run, or one already being cancelled, is 409.
///
/// Who may call it: an operator with `ops.runs.cancel`. Changes: the run's unstarted items and
/// their jobs; the run's outcome once its running items finish; audit `runbook.run.cancelled`.
#[utoipa::path(
    tag = "ops",
    params(("id" = i64, Path, description = "Run id")),
    request_body = CancelBody,
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
    body: web::Json<CancelBody>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsCancel)?;
    let reason = body.reason.trim();
    if !crate::domain::run::REASON_TEXT_CHARS.contains(&reason.chars().count()) {
        return Err(ApiError::field("reason", "must be 10 to 500 characters"));
    }
    let source = source_of(&operator);
    let view = service::cancel(
        &ctx,
        *id,
        &Initiator::from(&operator.0),
        reason,
        &request_meta(&req, source.as_str()),
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
