//! A preflight's full report (`/system/api/ops/preflights/{id}/...`, docs/spec.md §21).

pub mod tenants;
pub mod tenants_export;
