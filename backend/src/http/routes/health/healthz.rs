//! `GET /healthz`: liveness.

use actix_web::{HttpResponse, get};

use super::Health;

/// Liveness probe.
///
/// Answers 200 while the process is up and serving HTTP. It reads nothing else (not even the
/// database), so an orchestrator restarts the process only when the process itself is stuck.
///
/// Who may call it: anyone; no credentials (served at the root, outside both planes). Changes
/// nothing.
#[utoipa::path(tag = "health", responses((status = 200, description = "Alive", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}
