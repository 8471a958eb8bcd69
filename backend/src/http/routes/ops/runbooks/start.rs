//! `POST /ops/runbooks/{key}/runs`: start a run, retry-safe with `Idempotency-Key`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, post, web};

use super::{StartBody, parse_reason};
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::guards::{Operator, request_meta};
use crate::http::problem::{ApiError, Problem};
use crate::http::routes::ops::source_of;
use crate::idempotency::{self, IdempotencyError, IdempotencyKey, NextAction};
use crate::runs::start::{self as start_service, StartRequest, StartedRun};
use crate::runs::{Initiator, RunError};

/// Start a run.
///
/// Starts a run of the runbook over the scope of a fresh preflight: 201 + `Location` for a new run,
/// 200 with `deduplicated: true` for an identical active one, 409 when another active run overlaps.
/// A start consumes its preflight: citing it again is refused (`preflight_used`) unless the
/// identical run is still active. A preflight that found nothing to change starts only with
/// `allow_no_changes: true`. Supports `Idempotency-Key` (a retry with the same key and body replays
/// the first answer).
///
/// Who may call it: an operator with `ops.runbooks.run`; an all-tenants scope also needs
/// `ops.runbooks.run_all_tenants` and the typed phrase. Every start needs a reason (a code and
/// 10–500 characters of text). Changes: creates the run (`queued`) and its fan-out job under the
/// runbook's lock, marks the preflight used; audit `runbook.run.started` (or
/// `runbook.run.deduplicated`). The workers then change the host data, one tenant at a time.
#[utoipa::path(
    tag = "ops",
    params(
        ("key" = String, Path, description = "Runbook key"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key (≤ 255 chars, kept 24 h)"),
    ),
    request_body = StartBody,
    responses(
        (status = 201, description = "Run created", body = StartedRun, headers(("Location" = String, description = "The run"))),
        (status = 200, description = "Identical active run (deduplicated)", body = StartedRun),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing ops.runbooks.run (or run_all_tenants), or CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown runbook", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Overlapping active run, or the same Idempotency-Key is in progress", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than MAX_SCOPE_BODY_BYTES (with operator credentials; MAX_BODY_BYTES without)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid reason, phrase or parameters; a stale preflight (other scope or parameters, expired, tenants changed); a preflight another start already used (`code` preflight_used); a preflight that found nothing to change without `allow_no_changes` (`code` no_changes); Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[post("/ops/runbooks/{key}/runs")]
pub async fn start(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    key: web::Path<String>,
    body: web::Json<StartBody>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunbooksRun)?;
    let body = body.into_inner();
    let fingerprint = format!(
        "{}\n{}",
        key.as_str(),
        serde_json::to_string(&body).unwrap_or_default()
    );
    create_run(&req, &ctx, &operator, &fingerprint, async |claim| {
        run_start(&req, &ctx, &operator, &key, body, claim).await
    })
    .await
}

/// Runs `create`, an action that creates a run (a start, a retry, a revert), under the
/// request's `Idempotency-Key` if it carries one (docs/spec.md §4): a retry with the same key
/// and `fingerprint` (the route's target and body) replays the first answer, one with another
/// body is 422, one while the first is in progress 409; a refusal releases the key. Answers
/// 201 + `Location` for a new run, 200 for a deduplicated one.
pub async fn create_run(
    req: &HttpRequest,
    ctx: &AppContext,
    operator: &Operator,
    fingerprint: &str,
    create: impl AsyncFnOnce(Option<idempotency::Claim>) -> Result<StartedRun, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let claim = match idempotency_key(req)? {
        None => None,
        Some(idem) => {
            let hash = idempotency::fingerprint(fingerprint.as_bytes());
            let principal = format!("operator:{}", operator.id);
            match idempotency::try_processing(&ctx.db, &principal, &idem, &hash, ctx.now()).await {
                Ok(NextAction::StartProcessing(claim)) => Some(claim),
                Ok(NextAction::ReturnSaved(saved)) => {
                    return Ok(answer(saved.status, saved.body, true));
                }
                Err(IdempotencyError::Mismatch) => {
                    return Err(ApiError::field(
                        "Idempotency-Key",
                        IdempotencyError::Mismatch.to_string(),
                    ));
                }
                Err(IdempotencyError::InProgress) => {
                    return Err(ApiError::Conflict {
                        detail: IdempotencyError::InProgress.to_string(),
                        active_run_id: None,
                    });
                }
                Err(IdempotencyError::Db(e)) => return Err(e.into()),
            }
        }
    };
    let result = create(claim.clone()).await;
    if let (Err(_), Some(claim)) = (&result, &claim) {
        idempotency::release(&ctx.db, claim).await?;
    }
    let started = result?;
    let json = serde_json::to_string(&started).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(answer(started.status(), json, false))
}

/// The `Idempotency-Key` header, if sent; 422 naming it when it is not a valid key.
fn idempotency_key(req: &HttpRequest) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(raw) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    raw.to_str()
        .map_err(|_| "Idempotency-Key must be visible ASCII characters".to_owned())
        .and_then(IdempotencyKey::parse)
        .map(Some)
        .map_err(|m| ApiError::field("Idempotency-Key", m))
}

/// A start's answer (fresh or replayed): the status, the run, and `Location` for a new run.
fn answer(status: u16, json: String, replayed: bool) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    if status == StatusCode::CREATED
        && let Ok(started) = serde_json::from_str::<StartedRun>(&json)
    {
        response.insert_header((
            header::LOCATION,
            format!("/system/api/ops/runs/{}", started.run.id),
        ));
    }
    if replayed {
        response.insert_header(("Idempotency-Replayed", "true"));
    }
    response.content_type("application/json").body(json)
}

async fn run_start(
    req: &HttpRequest,
    ctx: &AppContext,
    operator: &Operator,
    key: &str,
    body: StartBody,
    claim: Option<idempotency::Claim>,
) -> Result<StartedRun, ApiError> {
    let reason = parse_reason(body.reason)?;
    let preflight_id = body
        .preflight_id
        .ok_or_else(|| ApiError::field("preflight_id", "cite the preflight you confirmed"))?;
    let source = source_of(operator);
    start_service::start(
        ctx,
        StartRequest {
            runbook: key.to_owned(),
            scope: body.scope,
            parameters: body.parameters,
            initiator: Some(Initiator::from(&operator.0)),
            reason,
            source,
            confirmation: body.confirmation,
            preflight_id,
            allow_no_changes: body.allow_no_changes,
            options: body.options,
            retry_of: None,
            reverts: None,
            meta: request_meta(req, source.as_str()),
            idempotency: claim,
        },
    )
    .await
    .map_err(|e| match e {
        RunError::UnknownRunbook(_) => ApiError::NotFound,
        other => other.into(),
    })
}
