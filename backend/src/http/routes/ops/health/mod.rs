//! The database health gate (`/system/api/ops/health`).

pub mod samples;
pub mod state;
