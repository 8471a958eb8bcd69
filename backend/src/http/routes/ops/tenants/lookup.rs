//! `POST /ops/tenants/lookup`: which of a pasted list of tenants exist (docs/spec.md §21).

use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::list::TenantView;
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::domain::run::Scope;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};
use crate::runs::scope;

/// A list of tenants to look up: `tenant_ids` or `external_ids` (one of them), 1–10,000 after
/// deduplication — the same list a `tenants` scope takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupBody {
    /// Tenant ids.
    pub tenant_ids: Option<Vec<i64>>,
    /// External ids.
    pub external_ids: Option<Vec<String>>,
}

/// What a list names.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LookupResult {
    /// The targetable tenants it names, by id.
    pub found: Vec<TenantView>,
    /// What names no tenant, as sent (deduplicated, sorted).
    pub missing: Vec<String>,
    /// The platform tenant, as sent, when the list names it (never a runbook target).
    pub platform: Option<String>,
}

/// Look up a list of tenants.
///
/// Answers which tenants of a list (ids or external ids, as a `tenants` scope takes them)
/// exist and can be targeted, and which do not — so the console shows an operator the ids it
/// did not find before the preflight.
///
/// Who may call it: an operator with `ops.runbooks.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    request_body = LookupBody,
    responses(
        (status = 200, description = "What the list names", body = LookupResult),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing ops.runbooks.view or CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than MAX_SCOPE_BODY_BYTES (with operator credentials; MAX_BODY_BYTES without)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither or both lists, or not 1–10,000 entries", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[post("/ops/tenants/lookup")]
pub async fn lookup(
    ctx: web::Data<AppContext>,
    operator: Operator,
    body: web::Json<LookupBody>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunbooksView)?;
    let body = body.into_inner();
    // The very parsing of a `tenants` scope: deduplicated, sorted, 1–10,000.
    let list: Scope = serde_json::from_value(serde_json::json!({
        "kind": "tenants",
        "tenant_ids": body.tenant_ids,
        "external_ids": body.external_ids,
    }))
    .map_err(|e| {
        ApiError::field(
            "external_ids",
            e.to_string().replace("a tenants scope", "a lookup"),
        )
    })?;
    let Some(names) = list.tenant_list() else {
        return Err(ApiError::field("external_ids", "a lookup needs a list"));
    };
    let found = scope::lookup(&ctx.db, names.clone()).await?;
    Ok(HttpResponse::Ok().json(LookupResult {
        found: found.found.into_iter().map(TenantView::from).collect(),
        missing: found.missing,
        platform: found.platform,
    }))
}
