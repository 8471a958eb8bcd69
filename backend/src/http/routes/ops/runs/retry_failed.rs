//! `POST /ops/runs/{id}/retry-failed`: a new run over the failed tenants.

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
use crate::runs::start::{self, StartRequest, StartedRun};

/// Retry-failed request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryBody {
    /// Why.
    pub reason: Option<ReasonBody>,
    /// For an all-tenants run: `REBUILD <retryable_tenants> TENANTS`.
    pub confirmation: Option<String>,
    /// Run control's options for the retry (docs/spec.md §13; `drift_guard` of §15).
    #[serde(default)]
    pub options: RunOptions,
}

/// Retry a run's failed tenants.
///
/// Starts a new run over the tenants of a completed run that are still failed — a tenant a later
/// retry rebuilt is left out — under the same confirmation rules as a start (the phrase names the
/// run's `retryable_tenants`). The new run's `retry_of` names this one; it takes its own
/// `options` (docs/spec.md §13, and `drift_guard`); a retry of a revert run is a revert too.
/// Supports `Idempotency-Key` as a start does.
///
/// Who may call it: an operator with `ops.runbooks.run` (and `ops.runbooks.run_all_tenants` when
/// the run covered all tenants), with a reason. Changes: creates the new run and its jobs, as a
/// start does; audit `runbook.run.started`.
#[utoipa::path(
    tag = "ops",
    params(
        ("id" = i64, Path, description = "Run id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key (≤ 255 chars, kept 24 h)"),
    ),
    request_body = RetryBody,
    responses(
        (status = 201, description = "Retry run created", body = StartedRun, headers(("Location" = String, description = "The new run"))),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing ops.runbooks.run (or run_all_tenants), or CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not completed, no tenant left to retry (none failed, or later retries rebuilt them all), an overlapping run is active, or the same Idempotency-Key is in progress", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid reason, phrase or options; Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[post("/ops/runs/{id}/retry-failed")]
pub async fn retry_failed(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<i64>,
    body: web::Json<RetryBody>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunbooksRun)?;
    let body = body.into_inner();
    let fingerprint = format!(
        "retry-failed {}\n{}",
        *id,
        serde_json::to_string(&body).unwrap_or_default()
    );
    create_run(&req, &ctx, &operator, &fingerprint, async |claim| {
        let reason = parse_reason(body.reason)?;
        let source = source_of(&operator);
        Ok(start::retry_failed(
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
                preflight_id: String::new(),
                allow_no_changes: false,
                options: body.options,
                retry_of: Some(*id),
                reverts: None,
                meta: request_meta(&req, source.as_str()),
                idempotency: claim,
            },
        )
        .await?)
    })
    .await
}
