//! Runbook v1: Rebuild Findings Lifecycle (`findings.lifecycle.rebuild`, SPEC §2).
//!
//! Preflight and execution share [`rules::rebuild`]; [`store`] streams a tenant's findings in
//! batches of whole recurrence-key groups (rules only interact within such a group), so memory
//! stays bounded however large a tenant is.

pub mod rules;
mod store;

use std::collections::BTreeMap;

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};

use crate::domain::run::ScopeKind;
use crate::runbooks::{Runbook, TenantReport};
use rules::{Rebuild, Rule};

/// The runbook.
#[derive(Debug, Clone, Copy)]
pub struct FindingsLifecycleRebuild;

/// Its key.
pub const KEY: &str = "findings.lifecycle.rebuild";

const RULE_NAMES: &[&str] = &["R1", "R2", "R3", "R4", "R5", "R6", "R7"];

fn report(rebuild: &Rebuild, sample_limit: usize) -> TenantReport {
    let changes_by_rule: BTreeMap<String, u64> = Rule::ALL
        .iter()
        .map(|r| (r.to_string(), rebuild.counts.get(*r)))
        .collect();
    TenantReport {
        examined: rebuild.examined,
        changed: rebuild.changes.len() as u64,
        changes_by_rule,
        sample: rebuild
            .changes
            .iter()
            .take(sample_limit)
            .map(|c| {
                serde_json::json!({
                    "finding_id": c.after.id,
                    "tenant_id": c.after.tenant_id,
                    "rules": c.rules,
                    "before": c.before,
                    "after": c.after,
                })
            })
            .collect(),
    }
}

#[async_trait::async_trait]
impl Runbook for FindingsLifecycleRebuild {
    fn key(&self) -> &'static str {
        KEY
    }

    fn title(&self) -> &'static str {
        "Rebuild Findings Lifecycle"
    }

    fn description(&self) -> &'static str {
        "Brings every finding of a tenant to a consistent lifecycle state: first/last seen, \
         times seen, legacy 'acknowledged' status, duplicate open findings, SLA due dates and \
         terminal timestamps (rules R1–R7). Deterministic and idempotent."
    }

    fn version(&self) -> i32 {
        1
    }

    fn allowed_scopes(&self) -> &'static [ScopeKind] {
        &[ScopeKind::Tenant, ScopeKind::AllTenants]
    }

    fn run_on_deploy(&self) -> bool {
        true
    }

    fn rule_names(&self) -> &'static [&'static str] {
        RULE_NAMES
    }

    async fn preflight_tenant(
        &self,
        db: &DatabaseConnection,
        tenant_id: i64,
        sample_limit: usize,
    ) -> Result<TenantReport, DbErr> {
        let mut total = TenantReport::default();
        let mut batches = store::GroupBatches::new(tenant_id);
        while let Some(batch) = batches.next(db).await? {
            let rebuild = rules::rebuild(batch);
            total.merge(report(&rebuild, sample_limit), sample_limit);
        }
        Ok(total)
    }

    async fn execute_tenant(
        &self,
        txn: &DatabaseTransaction,
        tenant_id: i64,
    ) -> Result<TenantReport, DbErr> {
        let mut total = TenantReport::default();
        let mut batches = store::GroupBatches::new(tenant_id);
        while let Some(batch) = batches.next(txn).await? {
            let rebuild = rules::rebuild(batch);
            store::write_changes(txn, &rebuild.changes).await?;
            total.merge(report(&rebuild, 0), 0);
        }
        Ok(total)
    }
}
