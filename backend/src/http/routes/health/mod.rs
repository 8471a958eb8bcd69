//! Liveness and readiness probes (outside both planes), one file per probe.

pub mod healthz;
pub mod readyz;

use serde::Serialize;
use utoipa::ToSchema;

/// A probe's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when healthy.
    pub status: &'static str,
}
