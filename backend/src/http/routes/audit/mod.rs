//! The audit log (`/system/api/audit-events`) and its CSV export.

pub mod export;
pub mod list;
