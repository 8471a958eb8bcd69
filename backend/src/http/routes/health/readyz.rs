//! `GET /readyz`: readiness.

use actix_web::{HttpResponse, get, web};

use super::Health;
use crate::context::AppContext;
use crate::db;
use crate::http::problem::ApiError;

/// Readiness probe.
///
/// Answers 200 when the database answers a trivial query, and a 503 problem document while it is
/// unreachable, so a load balancer stops sending requests to a process that cannot serve them.
///
/// Who may call it: anyone; no credentials (served at the root, outside both planes). Changes
/// nothing.
#[utoipa::path(tag = "health", responses(
    (status = 200, description = "Ready", body = Health),
    (status = 503, description = "Database unreachable", body = crate::http::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/readyz")]
pub async fn readyz(ctx: web::Data<AppContext>) -> Result<HttpResponse, ApiError> {
    db::ping(&ctx.db)
        .await
        .map_err(|e| ApiError::Unavailable(e.into()))?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}
