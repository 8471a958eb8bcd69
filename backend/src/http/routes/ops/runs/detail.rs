//! `GET /ops/runs/{id}`: one run, with ETag polling.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};
use crate::runs::query::{self, RunView};
use crate::runs::stall;

/// One run with counts, progress, ETA and stall. Send `If-None-Match` with the last `ETag` to
/// get a cheap 304 while nothing changed (a run becoming stalled is a change).
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
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish());
    }
    let view = query::view_with_stall(&ctx.db, run, stalled, now).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view))
}
