//! `POST /ops/runbooks/{key}/preflight`: the read-only preflight.

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::PreflightBody;
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::guards::{Operator, request_meta};
use crate::http::problem::{ApiError, Problem};
use crate::http::routes::ops::source_of;
use crate::runs::Initiator;
use crate::runs::preflight::{self as preflight_service, PreflightResult};

/// Preflight a run.
///
/// Computes, read-only, what a run of this runbook over the scope and parameters would change:
/// tenants in scope and with changes, findings examined and to change, changes per rule, a sample
/// of before/after rows, an estimated duration, and the confirmation the start needs (the typed
/// phrase for all tenants). Cite its `preflight_id` in the start within 15 minutes; only the
/// operator who made it can cite it.
///
/// Who may call it: an operator with `ops.runbooks.view`. Changes: no host data; stores the
/// preflight (what the start is checked against) and writes audit `runbook.preflighted`.
#[utoipa::path(
    tag = "ops",
    params(("key" = String, Path, description = "Runbook key")),
    request_body = PreflightBody,
    responses(
        (status = 200, description = "Preflight", body = PreflightResult),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing ops.runbooks.view or CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown runbook", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than MAX_SCOPE_BODY_BYTES (with operator credentials; MAX_BODY_BYTES without)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid scope (e.g. the platform tenant) or parameters (`errors` names each, e.g. `parameters.last_seen_before`)", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[post("/ops/runbooks/{key}/preflight")]
pub async fn preflight(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    key: web::Path<String>,
    body: web::Json<PreflightBody>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunbooksView)?;
    let source = source_of(&operator);
    let initiator = Initiator::from(&operator.0);
    let result = preflight_service::preflight(
        &ctx,
        &key,
        body.scope.clone(),
        &body.parameters,
        Some(&initiator),
        request_meta(&req, source.as_str()),
    )
    .await?;
    Ok(HttpResponse::Ok().json(result))
}
