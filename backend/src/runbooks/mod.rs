//! Runbooks: the [`Runbook`] trait, the registry, and one module per runbook.
//!
//! Adding a runbook is a new module implementing [`Runbook`] plus one line in [`REGISTRY`]; the
//! run service, the job pipeline, the API, the CLI and the deploy hook need no change. A
//! runbook names its own rules ([`Runbook::rules`]) and parameters
//! ([`Runbook::parameters_schema`], [`Runbook::parse_parameters`]); nothing outside its module
//! names either.

pub mod findings_lifecycle;
pub mod findings_stale;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
use serde::Serialize;

use crate::domain::run::ScopeKind;
pub use crate::runs::changes::{ChangeLog, ChangedRow};
pub use findings_lifecycle::store::restore as restore_findings;

/// One rule of a runbook, as the API, the console and the CLI show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    /// Stable key, counted in `changes_by_rule` (e.g. `R1`, `S1`).
    pub key: &'static str,
    /// Short name (e.g. `first_seen`).
    pub name: &'static str,
    /// What the rule does, in one line.
    pub description: &'static str,
}

/// What a tenant's preflight and execution may depend on besides the data: the run's parsed
/// parameters (canonical JSON, see [`Runbook::parse_parameters`]) and the instant its preflight
/// was made — the one "now" a runbook may use, so that every tenant and every retry of a run
/// writes the same values.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// Canonical parameters.
    pub parameters: &'a serde_json::Value,
    /// When the preflight was made.
    pub planned_at: DateTime<Utc>,
}

/// Field errors of a parameters object: `(field, message)`, the field as `parameters.<name>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParameterErrors(pub Vec<(String, String)>);

impl ParameterErrors {
    /// Adds an error for parameter `name`.
    pub fn add(&mut self, name: &str, message: impl Into<String>) {
        self.0.push((format!("parameters.{name}"), message.into()));
    }

    /// `Ok(value)` when no error was added.
    pub fn or_ok<T>(self, value: T) -> Result<T, ParameterErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

/// The parameters object of a request (`{}` when absent), with every unknown name refused.
pub fn parameters_object(
    raw: &serde_json::Value,
    known: &[&str],
    errors: &mut ParameterErrors,
) -> serde_json::Map<String, serde_json::Value> {
    let Some(object) = raw.as_object() else {
        if !raw.is_null() {
            errors
                .0
                .push(("parameters".into(), "must be an object".into()));
        }
        return serde_json::Map::new();
    };
    for name in object.keys() {
        if !known.contains(&name.as_str()) {
            errors.add(name, "unknown parameter");
        }
    }
    object.clone()
}

/// What a runbook found (preflight) or did (execution) for one tenant.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TenantReport {
    /// Rows examined.
    pub examined: u64,
    /// Rows changed (or that would change).
    pub changed: u64,
    /// Changes per rule name; a row may count under several rules.
    pub changes_by_rule: BTreeMap<String, u64>,
    /// A few would-be changes (preflight only).
    pub sample: Vec<serde_json::Value>,
    /// Rows a revert left alone: the application changed them since the reverted run wrote
    /// them (0 for any other run).
    pub conflicts: u64,
}

impl TenantReport {
    /// Adds `other` into `self`, keeping at most `sample_limit` samples.
    pub fn merge(&mut self, other: TenantReport, sample_limit: usize) {
        self.examined += other.examined;
        self.changed += other.changed;
        self.conflicts += other.conflicts;
        for (rule, n) in other.changes_by_rule {
            *self.changes_by_rule.entry(rule).or_default() += n;
        }
        let room = sample_limit.saturating_sub(self.sample.len());
        self.sample.extend(other.sample.into_iter().take(room));
    }
}

/// How the rows of a run's change log stand now, for a revert (docs/spec.md §15): each row is
/// to restore (every column the run changed still holds the value it wrote), already restored
/// (they all hold the values it overwrote again) or a conflict (the application changed it
/// since, or deleted it), which a revert leaves alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RestoreReport {
    /// Rows of the log examined.
    pub examined: u64,
    /// Rows to restore (a revert preflight) or restored (a revert run).
    pub restored: u64,
    /// Rows that hold the values the run overwrote again.
    pub already_restored: u64,
    /// Rows changed (or deleted) since the run wrote them: left alone.
    pub conflicts: u64,
    /// A few rows to restore, whole, before and after (preflight only).
    pub sample: Vec<serde_json::Value>,
    /// A few conflicts: what the run overwrote and wrote, and the row now (preflight only).
    pub conflict_sample: Vec<serde_json::Value>,
}

impl RestoreReport {
    /// The rule key a revert counts its restored rows under (`changes_by_rule`).
    pub const RULE: &'static str = "restore";

    /// Adds `other` into `self`, keeping at most `sample_limit` samples of each kind.
    pub fn merge(&mut self, other: RestoreReport, sample_limit: usize) {
        self.examined += other.examined;
        self.restored += other.restored;
        self.already_restored += other.already_restored;
        self.conflicts += other.conflicts;
        let room = sample_limit.saturating_sub(self.sample.len());
        self.sample.extend(other.sample.into_iter().take(room));
        let room = sample_limit.saturating_sub(self.conflict_sample.len());
        self.conflict_sample
            .extend(other.conflict_sample.into_iter().take(room));
    }

    /// What a revert run's item reports: rows restored (counted under [`RestoreReport::RULE`])
    /// of the rows examined, and the conflicts.
    pub fn tenant_report(&self) -> TenantReport {
        TenantReport {
            examined: self.examined,
            changed: self.restored,
            changes_by_rule: BTreeMap::from([(Self::RULE.to_owned(), self.restored)]),
            sample: Vec::new(),
            conflicts: self.conflicts,
        }
    }
}

/// A runbook: a named, versioned repair applied tenant by tenant.
#[async_trait::async_trait]
pub trait Runbook: Send + Sync + 'static {
    /// Stable key, e.g. `findings.lifecycle.rebuild`.
    fn key(&self) -> &'static str;
    /// Human title.
    fn title(&self) -> &'static str;
    /// What it does, for the catalogue.
    fn description(&self) -> &'static str;
    /// Bumped when the repair's logic changes (the deploy hook reruns a new version).
    fn version(&self) -> i32;
    /// Which scopes may be started.
    fn allowed_scopes(&self) -> &'static [ScopeKind];
    /// Whether `deploy-runbooks` runs it over all tenants.
    fn run_on_deploy(&self) -> bool;
    /// Its rules, in order; reports count under their keys.
    fn rules(&self) -> &'static [RuleInfo];
    /// The host tables it writes (the health gate watches their autovacuum).
    fn tables_written(&self) -> &'static [&'static str];
    /// The verb of its typed confirmation: the phrase is `<VERB> <n> TENANTS`.
    fn confirmation_verb(&self) -> &'static str;
    /// The JSON Schema of its parameters object (served in the runbook view and the contract).
    fn parameters_schema(&self) -> serde_json::Value;
    /// Parses a request's `parameters` (`null` or an object) at the edge, as of `now`: the
    /// canonical form (defaults filled in, instants in UTC, sets sorted), so that equal
    /// parameters compare equal, or every field error.
    fn parse_parameters(
        &self,
        raw: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<serde_json::Value, ParameterErrors>;
    /// Read-only: what executing would change for `tenant_id`.
    async fn preflight_tenant(
        &self,
        db: &DatabaseConnection,
        tenant_id: i64,
        plan: &Plan<'_>,
        sample_limit: usize,
    ) -> Result<TenantReport, DbErr>;
    /// Applies the repair for `tenant_id` inside `txn` (the caller commits it together with the
    /// item's terminal status and the run's counters), recording every row it changes in `log`
    /// batch by batch, in `txn` (docs/spec.md §15).
    async fn execute_tenant(
        &self,
        txn: &DatabaseTransaction,
        tenant_id: i64,
        plan: &Plan<'_>,
        log: &ChangeLog,
    ) -> Result<TenantReport, DbErr>;

    /// Read-only: how `rows` (one record of a run's change log, of `tenant_id`) stand now —
    /// to restore, already restored or in conflict — with up to `sample_limit` samples of each
    /// (docs/spec.md §15). The runbook owns its rows, so it owns their restore; values are
    /// compared decoded (an instant by value, never as text).
    async fn check_restore(
        &self,
        db: &DatabaseConnection,
        tenant_id: i64,
        rows: &[ChangedRow],
        sample_limit: usize,
    ) -> Result<RestoreReport, DbErr>;
    /// Restores inside `txn` every row of `rows` that is to restore (all of its changed columns
    /// or none), leaves the others alone, and records what it wrote in `log` (a revert has its
    /// own change log, so it can be reverted in turn).
    async fn restore(
        &self,
        txn: &DatabaseTransaction,
        tenant_id: i64,
        rows: &[ChangedRow],
        log: &ChangeLog,
    ) -> Result<RestoreReport, DbErr>;

    /// The keys of [`Runbook::rules`], in order.
    fn rule_keys(&self) -> Vec<&'static str> {
        self.rules().iter().map(|r| r.key).collect()
    }
}

/// Every runbook of this build: adding one is a module and a line here.
static BUILT_IN: &[&dyn Runbook] = &[
    &findings_lifecycle::FindingsLifecycleRebuild,
    &findings_stale::CloseStaleFindings,
];

/// The runbooks a process serves, in catalogue order. Held by the [`AppContext`] (like
/// crates.io's job registry in its context), so the API, the CLI, the deploy hook and the
/// workers all see one list, and a test can register a runbook of its own.
///
/// [`AppContext`]: crate::context::AppContext
#[derive(Clone)]
pub struct Registry {
    runbooks: Vec<&'static dyn Runbook>,
}

impl Registry {
    /// The runbooks of this build (the composition root, `app::runbooks`, is its one caller).
    pub fn built_in() -> Self {
        Self {
            runbooks: BUILT_IN.to_vec(),
        }
    }

    /// This registry and `runbook` (replacing one with the same key).
    #[must_use]
    pub fn with(mut self, runbook: &'static dyn Runbook) -> Self {
        self.runbooks.retain(|r| r.key() != runbook.key());
        self.runbooks.push(runbook);
        self
    }

    /// The runbook with `key`.
    pub fn find(&self, key: &str) -> Option<&'static dyn Runbook> {
        self.runbooks.iter().copied().find(|r| r.key() == key)
    }

    /// Every runbook, in catalogue order.
    pub fn all(&self) -> &[&'static dyn Runbook] {
        &self.runbooks
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.runbooks.iter().map(|r| r.key()))
            .finish()
    }
}
