//! `PATCH /ops/runs/{id}/options`: change the concurrency cap of an active run.

use actix_web::{HttpRequest, HttpResponse, patch, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::reason_text;
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::guards::{Operator, request_meta};
use crate::http::problem::{ApiError, Problem};
use crate::http::routes::ops::source_of;
use crate::runs::query::RunView;
use crate::runs::{Initiator, control};

/// The options an active run's operator may change, with a reason.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionsBody {
    /// At most this many of the run's items run at once (1–256); `null` removes the cap.
    #[schema(minimum = 1, maximum = 256)]
    pub max_concurrency: Option<i64>,
    /// Why (10–500 characters).
    pub reason: String,
}

/// Change a run's concurrency cap.
///
/// Slows an active run down (or speeds it up) without stopping it: the claim applies the new
/// `max_concurrency` from the next job; items already running finish. A completed run is 409
/// (`invalid_state`).
///
/// Who may call it: an operator with `ops.runs.control`. Changes: the run's options; audit
/// `runbook.run.options_changed` (from, to, reason).
#[utoipa::path(
    tag = "ops",
    params(("id" = i64, Path, description = "Run id")),
    request_body = OptionsBody,
    responses(
        (status = 200, description = "Run with its new options", body = RunView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing ops.runs.control or CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Completed (`code` invalid_state)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid reason, or max_concurrency outside 1–256", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[patch("/ops/runs/{id}/options")]
pub async fn options(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<i64>,
    body: web::Json<OptionsBody>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsControl)?;
    let reason = reason_text(&body.reason)?;
    let source = source_of(&operator);
    let view = control::set_max_concurrency(
        &ctx,
        *id,
        Some(&Initiator::from(&operator.0)),
        body.max_concurrency,
        reason,
        &request_meta(&req, source.as_str()),
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
