//! Targetable tenants (`/system/api/ops/tenants`).

pub mod list;
