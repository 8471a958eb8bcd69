//! Operator-plane runbook and run endpoints (`/system/api/ops/...`).

use actix_web::web;

/// Registers the ops routes.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
