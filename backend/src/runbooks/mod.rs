//! Runbooks: the [`Runbook`] trait, the registry, and one module per runbook.
//!
//! Adding a runbook is a new module implementing [`Runbook`] plus one line in [`REGISTRY`]; the
//! run service, the job pipeline, the API, the CLI and the deploy hook need no change.

pub mod findings_lifecycle;

use std::collections::BTreeMap;

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
use serde::Serialize;

use crate::domain::run::ScopeKind;

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
}

impl TenantReport {
    /// Adds `other` into `self`, keeping at most `sample_limit` samples.
    pub fn merge(&mut self, other: TenantReport, sample_limit: usize) {
        self.examined += other.examined;
        self.changed += other.changed;
        for (rule, n) in other.changes_by_rule {
            *self.changes_by_rule.entry(rule).or_default() += n;
        }
        let room = sample_limit.saturating_sub(self.sample.len());
        self.sample.extend(other.sample.into_iter().take(room));
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
    /// The rule names its reports count under, in order.
    fn rule_names(&self) -> &'static [&'static str];
    /// Read-only: what executing would change for `tenant_id`.
    async fn preflight_tenant(
        &self,
        db: &DatabaseConnection,
        tenant_id: i64,
        sample_limit: usize,
    ) -> Result<TenantReport, DbErr>;
    /// Applies the repair for `tenant_id` inside `txn` (the caller commits it together with the
    /// item's terminal status and the run's counters).
    async fn execute_tenant(
        &self,
        txn: &DatabaseTransaction,
        tenant_id: i64,
    ) -> Result<TenantReport, DbErr>;
}

/// Every runbook of this build.
pub static REGISTRY: &[&dyn Runbook] = &[&findings_lifecycle::FindingsLifecycleRebuild];

/// The runbook with `key`.
pub fn find(key: &str) -> Option<&'static dyn Runbook> {
    REGISTRY.iter().copied().find(|r| r.key() == key)
}
