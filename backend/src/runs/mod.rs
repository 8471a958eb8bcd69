//! Operation runs: preflight, start (lock, dedupe, confirmation), the run record's
//! transitions and counters, cancellation, and read models.
//!
//! This module is the only place that changes a run's status or outcome; every transition is a
//! guarded SQL `UPDATE ... WHERE status = ...`, so two processes can never both apply it.

pub mod attempts;
pub mod changes;
pub mod control;
pub mod execute;
pub mod failure;
pub mod lineage;
pub mod preflight;
pub mod query;
pub mod reconcile;
pub mod revert;
pub mod scope;
pub mod service;
pub mod stall;
pub mod start;
pub mod throttle;
pub mod timeline;
pub mod transition;

use std::collections::BTreeMap;

use sea_orm::DbErr;

use crate::auth::principal::OperatorPrincipal;
use crate::domain::capability::Capability;

/// Who starts or cancels a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initiator {
    /// Operator id.
    pub operator_id: i64,
    /// Operator username.
    pub username: String,
    /// Capabilities held (for a token: the token's subset).
    pub capabilities: Vec<Capability>,
}

impl From<&OperatorPrincipal> for Initiator {
    fn from(p: &OperatorPrincipal) -> Self {
        Self {
            operator_id: p.id,
            username: p.username.clone(),
            capabilities: p.capabilities.clone(),
        }
    }
}

/// Why a run operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No runbook with this key.
    #[error("unknown runbook {0:?}")]
    UnknownRunbook(String),
    /// No such run.
    #[error("run not found")]
    RunNotFound,
    /// The initiator lacks a capability.
    #[error("missing capability {0}")]
    Forbidden(Capability),
    /// Invalid input, per field.
    #[error("{detail}")]
    Invalid {
        /// Summary.
        detail: String,
        /// Field → messages.
        errors: BTreeMap<String, Vec<String>>,
    },
    /// Refused for a reason scripts tell apart by `code` (`preflight_used`, `no_changes`),
    /// naming the request field to change.
    #[error("{detail}")]
    Refused {
        /// Stable name of the refusal.
        code: &'static str,
        /// The request field it concerns.
        field: &'static str,
        /// What to do.
        detail: String,
    },
    /// Another active run overlaps the requested scope.
    #[error("an active run (#{active_run_id}) overlaps this scope")]
    Conflict {
        /// The blocking run.
        active_run_id: i64,
    },
    /// The run is not in a state that allows the operation (`code`: `invalid_state`).
    #[error("{detail}")]
    State {
        /// Stable name of the refusal.
        code: &'static str,
        /// What is in the way.
        detail: String,
    },
    /// The run's change log is gone (retention): it can no longer be reverted
    /// (`change_log_expired`, 410).
    #[error(
        "run #{run_id}'s change log has been purged (it is kept CHANGE_LOG_RETENTION_DAYS after \
         the run completes): it can no longer be reverted"
    )]
    ChangeLogExpired {
        /// The run.
        run_id: i64,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<crate::runbooks::ParameterErrors> for RunError {
    fn from(errors: crate::runbooks::ParameterErrors) -> Self {
        let mut by_field: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (field, message) in errors.0 {
            by_field.entry(field).or_default().push(message);
        }
        let detail = by_field
            .iter()
            .map(|(f, m)| format!("{f}: {}", m.join("; ")))
            .collect::<Vec<_>>()
            .join("; ");
        RunError::Invalid {
            detail: format!("invalid parameters: {detail}"),
            errors: by_field,
        }
    }
}

impl RunError {
    /// The run's status does not allow the operation (409, `invalid_state`).
    pub fn state(detail: impl Into<String>) -> Self {
        RunError::State {
            code: "invalid_state",
            detail: detail.into(),
        }
    }

    /// The stable `code` of the problem document scripts tell refusals apart by
    /// (docs/spec.md §19): every 403, 409 and 422 a run action gives has one.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            RunError::UnknownRunbook(_) | RunError::RunNotFound | RunError::Db(_) => None,
            RunError::Forbidden(_) => Some("forbidden"),
            RunError::Invalid { .. } => Some("validation"),
            RunError::Refused { code, .. } | RunError::State { code, .. } => Some(code),
            RunError::Conflict { .. } => Some("overlap"),
            RunError::ChangeLogExpired { .. } => Some("change_log_expired"),
        }
    }

    /// A 422-style error on one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        RunError::Invalid {
            detail: message.clone(),
            errors: BTreeMap::from([(field.to_owned(), vec![message])]),
        }
    }
}
