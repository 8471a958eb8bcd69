//! HTTP handlers, one module per resource.

pub mod auth;
pub mod customer;
pub mod health;
pub mod ledger;
pub mod metrics;
pub mod ops;

use actix_web::web;

/// Routes of the operator plane, mounted under `/system/api`.
pub fn system_api(cfg: &mut web::ServiceConfig) {
    auth::configure(cfg);
    ops::configure(cfg);
    ledger::configure(cfg);
    cfg.service(crate::http::openapi::system_openapi);
}

/// Routes of the customer plane, mounted under `/admin/api`.
pub fn admin_api(cfg: &mut web::ServiceConfig) {
    customer::configure(cfg);
    cfg.service(crate::http::openapi::admin_openapi);
}
