//! Runs: list, CSV exports, detail, items and their attempts, changes, throughput timeline,
//! progress events, cancel, pause, resume, options, retry and revert
//! (`/system/api/ops/runs...`).

pub mod attempts;
pub mod cancel;
pub mod changes;
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
pub mod revert;
pub mod timeline;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use actix_web::{HttpRequest, HttpResponse};

use crate::auth::RequestMeta;
use crate::domain::capability::Capability;
use crate::http::guards::{Operator, request_meta};
use crate::http::problem::ApiError;
use crate::http::routes::ops::source_of;
use crate::runs::query::RunView;
use crate::runs::{Initiator, RunError};

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

/// A run action (cancel, pause, resume) by `operator` with `body`'s reason: the capability
/// checked, the reason checked, the action done as them, the run view answered.
pub async fn act(
    req: &HttpRequest,
    operator: &Operator,
    capability: Capability,
    body: &RunActionBody,
    action: impl AsyncFnOnce(&Initiator, &str, &RequestMeta) -> Result<RunView, RunError>,
) -> Result<HttpResponse, ApiError> {
    operator.require(capability)?;
    let reason = reason_text(&body.reason)?;
    let source = source_of(operator);
    let by = Initiator::from(&operator.0);
    let view = action(&by, reason, &request_meta(req, source.as_str())).await?;
    Ok(HttpResponse::Ok().json(view))
}
