//! The one guarded UPDATE every change of a run's status goes through (docs/spec.md §4, §13).
//!
//! The allowed moves come from [`RunStatus::can_become`]: the statement only matches a run whose
//! current status may become the new one, so two processes can never both apply a transition,
//! and no status is spelled as a SQL literal anywhere else.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::db::exec;
use crate::domain::run::RunStatus;

/// A status change of one run, with the columns it sets alongside and any extra guard.
pub struct Transition<'a> {
    /// The new status.
    pub to: RunStatus,
    /// Extra assignments, each followed by a comma (`"started_at = ?, "`), with `?` bound to
    /// `set_values` in order.
    pub set: &'a str,
    /// Values of `set`'s placeholders.
    pub set_values: Vec<Value>,
    /// Extra conditions, each starting with `AND`, with `?` bound to `guard_values`.
    pub guard: &'a str,
    /// Values of `guard`'s placeholders.
    pub guard_values: Vec<Value>,
    /// Only from these of the statuses that may become `to` (`None`: from any of them).
    pub from: Option<&'a [RunStatus]>,
}

impl<'a> Transition<'a> {
    /// A plain move to `to`.
    pub fn to(to: RunStatus) -> Self {
        Self {
            to,
            set: "",
            set_values: Vec::new(),
            guard: "",
            guard_values: Vec::new(),
            from: None,
        }
    }

    /// Only from `from` (those of them that may become [`Transition::to`]).
    #[must_use]
    pub fn from(mut self, from: &'a [RunStatus]) -> Self {
        self.from = Some(from);
        self
    }

    /// Also sets `set` (see [`Transition::set`]).
    #[must_use]
    pub fn setting(mut self, set: &'a str, values: Vec<Value>) -> Self {
        self.set = set;
        self.set_values = values;
        self
    }

    /// Only when `guard` holds too (see [`Transition::guard`]).
    #[must_use]
    pub fn when(mut self, guard: &'a str, values: Vec<Value>) -> Self {
        self.guard = guard;
        self.guard_values = values;
        self
    }

    /// Applies the change to run `run_id`; `false` when the run was not in a status that may
    /// become [`Transition::to`] (or the guard did not hold): someone else moved it first.
    pub async fn apply(
        self,
        db: &impl ConnectionTrait,
        run_id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let mut allowed = RunStatus::sources_of(self.to);
        if let Some(from) = self.from {
            allowed.retain(|status| from.contains(status));
        }
        let (sources, source_values) = status_in(&allowed);
        let mut values = vec![self.to.as_str().into()];
        values.extend(self.set_values);
        values.extend([now.into(), run_id.into()]);
        values.extend(source_values);
        values.extend(self.guard_values);
        let sql = format!(
            "UPDATE operation_runs SET status = ?, {}updated_at = ? WHERE id = ? AND {sources} {}",
            self.set, self.guard
        );
        Ok(exec(db, &sql, values).await? == 1)
    }
}

/// `status IN (?, ...)` over `statuses` (bound, never spelled), for a guard or a filter on
/// `operation_runs.status`.
pub fn status_in(statuses: &[RunStatus]) -> (String, Vec<Value>) {
    let marks = vec!["?"; statuses.len()].join(", ");
    (
        format!("status IN ({marks})"),
        statuses.iter().map(|s| s.as_str().into()).collect(),
    )
}

/// `status IN (...)` over [`RunStatus::ACTIVE`].
pub fn active() -> (String, Vec<Value>) {
    status_in(&RunStatus::ACTIVE)
}
