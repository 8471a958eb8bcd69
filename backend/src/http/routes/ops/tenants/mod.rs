//! Targetable tenants (`/system/api/ops/tenants`).

pub mod list;
pub mod lookup;
