//! Runs: list, CSV exports, detail, items and their attempts, throughput timeline, progress
//! events, cancel and retry (`/system/api/ops/runs...`).

pub mod attempts;
pub mod cancel;
pub mod detail;
pub mod events;
pub mod export;
pub mod items;
pub mod items_export;
pub mod list;
pub mod retry_failed;
pub mod timeline;
