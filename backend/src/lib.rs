//! TenantAtlas Ops: the operator control plane for safe, audited data repairs across tenants.
//!
//! Layout: [`domain`] types parsed at the edge; [`entities`] are data; services ([`auth`],
//! [`audit`]...) are plain async Rust over a database connection; [`http`] is the only module
//! that knows actix. The CLI, the workers and the handlers call the same services.

pub mod alerts;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod context;
pub mod db;
pub mod demo;
pub mod domain;
pub mod entities;
pub mod export;
pub mod health;
pub mod http;
pub mod idempotency;
pub mod jobs;
pub mod metrics;
pub mod notifications;
pub mod runbooks;
pub mod runs;
pub mod telemetry;
pub mod workspace;
