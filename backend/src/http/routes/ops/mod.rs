//! Operator-plane runbook and run endpoints (`/system/api/ops/...`).

pub mod health;
pub mod preflights;
pub mod runbooks;
pub mod runs;
pub mod tenants;
pub mod workspaces;

use crate::auth::principal::{AuthVia, OperatorPrincipal};
use crate::domain::run::Source;
use crate::http::problem::ApiError;
use crate::runs::RunError;

impl From<RunError> for ApiError {
    fn from(err: RunError) -> Self {
        let code = err.code();
        let error = match err {
            RunError::UnknownRunbook(_) | RunError::RunNotFound => ApiError::NotFound,
            RunError::Forbidden(cap) => {
                ApiError::Forbidden(format!("this action needs the capability {cap}"))
            }
            RunError::Invalid { detail, errors } => ApiError::Unprocessable { detail, errors },
            RunError::Refused {
                code,
                field,
                detail,
            } => ApiError::Refused {
                code,
                field,
                detail,
            },
            RunError::Conflict { active_run_id } => ApiError::Conflict {
                detail: format!(
                    "an active run (#{active_run_id}) overlaps this scope; wait for it or cancel it"
                ),
                active_run_id: Some(active_run_id),
            },
            RunError::State { detail, .. } => ApiError::Conflict {
                detail,
                active_run_id: None,
            },
            expired @ RunError::ChangeLogExpired { .. } => ApiError::Gone(expired.to_string()),
            RunError::Db(e) => e.into(),
        };
        match code {
            Some(code) => error.with_code(code),
            None => error,
        }
    }
}

/// The console (session) is `system_ui`; a bearer token is `api`.
pub fn source_of(principal: &OperatorPrincipal) -> Source {
    match principal.via {
        AuthVia::Session { .. } => Source::SystemUi,
        AuthVia::Token { .. } => Source::Api,
    }
}
