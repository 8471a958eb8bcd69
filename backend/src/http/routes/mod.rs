//! HTTP handlers, one module per resource.

pub mod health;
pub mod ops;

use actix_web::web;

/// Routes of the operator plane, mounted under `/system/api`.
pub fn system_api(cfg: &mut web::ServiceConfig) {
    ops::configure(cfg);
}

/// Routes of the customer plane, mounted under `/admin/api`.
pub fn admin_api(_cfg: &mut web::ServiceConfig) {}
