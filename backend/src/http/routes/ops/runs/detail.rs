//! `GET /ops/runs/{id}`: one run, with ETag polling.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use sha2::{Digest, Sha256};

use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::domain::run::RunStatus;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};
use crate::runs::query::{self, RunView};
use crate::runs::stall;

/// One run.
///
/// A run with its counts, progress, ETA and stall. Send `If-None-Match` with the last `ETag` to get
/// a cheap 304 while nothing changed (a run becoming stalled is a change, and so is a retry of a
/// completed run or its outcome).
///
/// Who may call it: an operator with `ops.runs.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    params(("id" = i64, Path, description = "Run id")),
    responses(
        (status = 200, description = "Run", body = RunView, headers(("ETag" = String, description = "Version of the run"))),
        (status = 304, description = "Unchanged since If-None-Match"),
        (status = 403, description = "Missing ops.runs.view", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Id is not a 64-bit integer", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/runs/{id}")]
pub async fn detail(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsView)?;
    let run = query::find(&ctx.db, *id).await?.ok_or(ApiError::NotFound)?;
    let now = ctx.now();
    // A completed run changes only through its lineage (a retry of it, that retry's outcome,
    // a tenant a later retry rebuilt): its ETag is its whole view's digest. An active run's is
    // read from its row, so a poll of a run that has not moved costs one query.
    if run.status == RunStatus::Completed {
        let view = query::view(&ctx.db, &ctx.runbooks, run, now).await?;
        let json = serde_json::to_vec(&view).map_err(|e| ApiError::Internal(e.into()))?;
        let etag = format!(
            "\"{}-completed-{}\"",
            view.id,
            hex::encode(&Sha256::digest(&json)[..12])
        );
        return Ok(if if_none_match(&req, &etag) {
            not_modified(etag)
        } else {
            ok(etag, &view)
        });
    }
    let stalled = stall::detect(&ctx.db, &run, now).await?;
    let etag = format!(
        "\"{}-{}-{}-{}{}\"",
        run.id,
        run.updated_at.timestamp_micros(),
        run.processed,
        run.status,
        stalled
            .as_ref()
            .map(|s| format!("-stalled-{}-{}", s.since.timestamp_micros(), s.tenant_id))
            .unwrap_or_default()
    );
    if if_none_match(&req, &etag) {
        return Ok(not_modified(etag));
    }
    let view = query::view_with_stall(&ctx.db, &ctx.runbooks, run, stalled, now).await?;
    Ok(ok(etag, &view))
}

/// Whether the request's `If-None-Match` names `etag` (or `*`).
fn if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

fn not_modified(etag: String) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn ok(etag: String, view: &RunView) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view)
}
