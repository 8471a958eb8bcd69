//! Runs: list, CSV exports, detail, items and their attempts, throughput timeline, progress
//! events, cancel, pause, resume, options and retry (`/system/api/ops/runs...`).

pub mod attempts;
pub mod cancel;
pub mod detail;
pub mod events;
pub mod export;
pub mod items;
pub mod items_export;
pub mod list;
pub mod options;
pub mod pause;
pub mod resume;
pub mod retry_failed;
pub mod timeline;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::problem::ApiError;

/// A run action's reason: pause, resume (and cancel, whose body is the same).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunActionBody {
    /// Why (10–500 characters).
    pub reason: String,
}

/// The reason's text, trimmed; 422 naming `reason` unless it has 10–500 characters.
pub fn reason_text(reason: &str) -> Result<&str, ApiError> {
    let reason = reason.trim();
    if crate::domain::run::REASON_TEXT_CHARS.contains(&reason.chars().count()) {
        Ok(reason)
    } else {
        Err(ApiError::field("reason", "must be 10 to 500 characters"))
    }
}
