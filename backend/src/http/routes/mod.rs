//! HTTP handlers, one file per action under `<resource>/` (crates.io's
//! `controllers/<resource>/<action>.rs`).
//!
//! Every route is declared once, in the functions below: the server mounts them, and the
//! OpenAPI documents are collected from the same registrations by `utoipa-actix-web`
//! (`http::openapi`), so a served route cannot be missing from the contract.

pub mod audit;
pub mod auth;
pub mod customer;
pub mod health;
pub mod metrics;
pub mod notifications;
pub mod ops;

use actix_web::web;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::http::openapi;

/// The operator plane, relative to `/system/api`.
pub fn system_api(cfg: &mut ServiceConfig) {
    cfg.service(auth::login::login)
        .service(auth::logout::logout)
        .service(auth::me::me)
        .service(auth::session::session)
        .service(auth::password::change_password)
        .service(auth::tokens_list::list_tokens)
        .service(auth::tokens_create::create_token)
        .service(auth::tokens_revoke::revoke_token)
        .service(ops::runbooks::list::list)
        .service(ops::runbooks::detail::detail)
        .service(ops::runbooks::preflight::preflight)
        .service(ops::runbooks::start::start)
        .service(ops::preflights::tenants::tenants)
        .service(ops::preflights::tenants_export::export)
        .service(ops::tenants::list::list)
        .service(ops::tenants::lookup::lookup)
        .service(ops::workspaces::list::list)
        .service(ops::health::state::state)
        .service(ops::health::samples::samples)
        .service(ops::runs::list::list)
        .service(ops::runs::export::export)
        .service(ops::runs::detail::detail)
        .service(ops::runs::items::items)
        .service(ops::runs::attempts::item_attempts)
        .service(ops::runs::changes::changes)
        .service(ops::runs::timeline::timeline)
        .service(ops::runs::items_export::export)
        .service(ops::runs::cancel::cancel)
        .service(ops::runs::pause::pause)
        .service(ops::runs::resume::resume)
        .service(ops::runs::options::options)
        .service(ops::runs::retry_failed::retry_failed)
        .service(ops::runs::revert::revert_preflight)
        .service(ops::runs::revert::revert)
        .service(ops::runs::events::run_events)
        .service(notifications::list::list_notifications)
        .service(notifications::read::read_notification)
        .service(notifications::read_all::read_all)
        .service(audit::list::audit_events)
        .service(audit::export::export)
        .service(openapi::system_openapi);
}

/// The customer plane, relative to `/admin/api`.
pub fn admin_api(cfg: &mut ServiceConfig) {
    cfg.service(customer::login::login)
        .service(customer::logout::logout)
        .service(customer::me::me)
        .service(customer::session::session)
        .service(customer::tenants::list_tenants)
        .service(customer::findings::list_findings)
        .service(openapi::admin_openapi);
}

/// Probes and metrics, at the root outside both planes.
pub fn root(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz::healthz)
        .service(health::readyz::readyz)
        .service(metrics::metrics);
}

/// Mounts a route set on a plain actix configuration (the server's scopes).
pub fn mount(routes: fn(&mut ServiceConfig)) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| routes(&mut ServiceConfig::new(cfg))
}
