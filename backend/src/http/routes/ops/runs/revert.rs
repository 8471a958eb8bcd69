//! `POST /ops/runs/{id}/revert/preflight` and `POST /ops/runs/{id}/revert`: undo a completed run
//! from its change log (docs/spec.md §15).

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::domain::control::RunOptions;
use crate::http::guards::{Operator, request_meta};
use crate::http::problem::{ApiError, Problem};
use crate::http::routes::ops::runbooks::start::create_run;
use crate::http::routes::ops::runbooks::{ReasonBody, parse_reason};
use crate::http::routes::ops::source_of;
use crate::runs::Initiator;
use crate::runs::revert::{self as service, RevertPreflight};
use crate::runs::start::{StartRequest, StartedRun};

/// Preflight a revert.
///
/// Read-only: reads the run's change log and tells, row by row, what a revert would restore
/// (every column the run changed still holds the value it wrote), what is restored already, and
/// what the application changed since (a **conflict**, left alone), with a sample of each. The
/// answer's `preflight_id` is cited by `POST /ops/runs/{id}/revert` within 15 minutes; its
/// `confirmation` names the phrase (`REVERT <n> TENANTS`) when the run covered all tenants.
///
/// Who may call it: an operator with `ops.runbooks.view`. Changes: stores the preflight; audit
/// `runbook.preflighted` (`kind: revert`).
#[utoipa::path(
    tag = "ops",
    params(("id" = i64, Path, description = "Run id")),
    responses(
        (status = 200, description = "What a revert would do", body = RevertPreflight),
        (status = 403, description = "Missing ops.runbooks.view, or CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The run has not completed, or changed no row (`code` invalid_state)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The run's change log has been purged (`code` change_log_expired)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A run id that is not a number", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[post("/ops/runs/{id}/revert/preflight")]
pub async fn revert_preflight(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunbooksView)?;
    let source = source_of(&operator);
    let result = service::preflight(
        &ctx,
        *id,
        Some(&Initiator::from(&operator.0)),
        request_meta(&req, source.as_str()),
    )
    .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// Revert request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevertBody {
    /// The revert preflight confirmed against (`POST /ops/runs/{id}/revert/preflight`).
    pub preflight_id: Option<String>,
    /// Why.
    pub reason: Option<ReasonBody>,
    /// The typed phrase, when the run covered all tenants: `REVERT <n> TENANTS`.
    pub confirmation: Option<String>,
    /// Start even though the revert preflight found no row to restore (default false: such a
    /// revert is refused with `no_changes`).
    #[serde(default)]
    pub allow_no_changes: bool,
    /// Run control's options for the revert run (docs/spec.md §13; `drift_guard` of §15).
    #[serde(default)]
    pub options: RunOptions,
}

/// Revert a run.
///
/// Starts a **revert run** (`kind: revert`, `reverts_run_id`) from a fresh revert preflight: a
/// normal run of the same runbook — its lock, items, counts, options, pause, audit,
/// notification and alerts — over the tenants with change-log rows, whose tenant jobs put back
/// the values the run overwrote, each row only if every column the run changed still holds the
/// value it wrote (all of the row or none); the others are counted in `counts.conflicts`. It
/// writes its own change log, so it can be reverted in turn (a redo). Supports
/// `Idempotency-Key` as a start does.
///
/// Who may call it: an operator with the capabilities the run needed (`ops.runbooks.run`, and
/// `ops.runbooks.run_all_tenants` when it covered all tenants), with a reason. Changes: creates
/// the revert run and its jobs under the runbook's lock, marks the preflight used; audit
/// `runbook.run.started` (with `reverts_run_id`).
#[utoipa::path(
    tag = "ops",
    params(
        ("id" = i64, Path, description = "Run id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key (≤ 255 chars, kept 24 h)"),
    ),
    request_body = RevertBody,
    responses(
        (status = 201, description = "Revert run created", body = StartedRun, headers(("Location" = String, description = "The revert run"))),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing ops.runbooks.run (or run_all_tenants), or CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The run has not completed (`code` invalid_state), an overlapping run is active (`code` overlap), or the same Idempotency-Key is in progress", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The run's change log has been purged (`code` change_log_expired)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid reason, phrase or options; a stale preflight (not a revert preflight of this run, another operator's, expired) (`code` preflight_stale); a preflight another revert already used (`code` preflight_used); nothing to restore without `allow_no_changes` (`code` no_changes); Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[post("/ops/runs/{id}/revert")]
pub async fn revert(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<i64>,
    body: web::Json<RevertBody>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunbooksRun)?;
    let body = body.into_inner();
    let fingerprint = format!(
        "revert {}\n{}",
        *id,
        serde_json::to_string(&body).unwrap_or_default()
    );
    create_run(&req, &ctx, &operator, &fingerprint, async |claim| {
        let reason = parse_reason(body.reason)?;
        let preflight_id = body.preflight_id.ok_or_else(|| {
            ApiError::field("preflight_id", "cite the revert preflight you confirmed")
        })?;
        let source = source_of(&operator);
        Ok(service::start(
            &ctx,
            *id,
            StartRequest {
                runbook: String::new(),
                scope: crate::domain::run::Scope::AllTenants,
                parameters: serde_json::Value::Null,
                initiator: Some(Initiator::from(&operator.0)),
                reason,
                source,
                confirmation: body.confirmation,
                preflight_id,
                allow_no_changes: body.allow_no_changes,
                options: body.options,
                retry_of: None,
                reverts: Some(*id),
                meta: request_meta(&req, source.as_str()),
                idempotency: claim,
            },
        )
        .await?)
    })
    .await
}
