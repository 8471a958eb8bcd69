//! Runbook v1: Rebuild Findings Lifecycle (`findings.lifecycle.rebuild`, docs/spec.md §2).
//!
//! Preflight and execution share [`rules::rebuild`]; [`store`] streams a tenant's findings in
//! batches of whole recurrence-key groups (rules only interact within such a group), so memory
//! stays bounded however large a tenant is.

pub mod rules;
pub mod store;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};

use crate::domain::run::ScopeKind;
use crate::runbooks::{
    ChangeLog, ChangedRow, ParameterErrors, Plan, RestoreReport, RuleInfo, Runbook, TenantReport,
    parameters_object, restore_findings,
};
use rules::{Rebuild, Rule};

/// The runbook.
#[derive(Debug, Clone, Copy)]
pub struct FindingsLifecycleRebuild;

/// Its key.
pub const KEY: &str = "findings.lifecycle.rebuild";

const RULES: &[RuleInfo] = &[
    RuleInfo {
        key: "R1",
        name: "first_seen",
        description: "first_seen_at := coalesce(first_seen_at, created_at)",
    },
    RuleInfo {
        key: "R2",
        name: "last_seen",
        description: "last_seen_at is set and never before first_seen_at",
    },
    RuleInfo {
        key: "R3",
        name: "times_seen",
        description: "times_seen is at least 1",
    },
    RuleInfo {
        key: "R4",
        name: "legacy_status",
        description: "status acknowledged becomes triaged, with triaged_at from updated_at",
    },
    RuleInfo {
        key: "R5",
        name: "duplicates",
        description: "one open finding per recurrence key keeps the sums; the others are closed as duplicate",
    },
    RuleInfo {
        key: "R6",
        name: "due_date",
        description: "open findings without due_at get first_seen_at + SLA (critical 3, high 7, medium 14, low 30 days)",
    },
    RuleInfo {
        key: "R7",
        name: "terminal_timestamps",
        description: "resolved findings get resolved_at, closed and risk-accepted ones closed_at, from updated_at",
    },
];

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
        conflicts: 0,
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
        &[
            ScopeKind::Tenant,
            ScopeKind::AllTenants,
            ScopeKind::Tenants,
            ScopeKind::Workspace,
        ]
    }

    fn run_on_deploy(&self) -> bool {
        true
    }

    fn rules(&self) -> &'static [RuleInfo] {
        RULES
    }

    fn tables_written(&self) -> &'static [&'static str] {
        &["findings"]
    }

    fn confirmation_verb(&self) -> &'static str {
        "REBUILD"
    }

    fn parameters_schema(&self) -> serde_json::Value {
        serde_json::json!({"type": "object", "properties": {}, "additionalProperties": false})
    }

    fn parse_parameters(
        &self,
        raw: &serde_json::Value,
        _now: DateTime<Utc>,
    ) -> Result<serde_json::Value, ParameterErrors> {
        let mut errors = ParameterErrors::default();
        parameters_object(raw, &[], &mut errors);
        errors.or_ok(serde_json::json!({}))
    }

    async fn preflight_tenant(
        &self,
        db: &DatabaseConnection,
        tenant_id: i64,
        _plan: &Plan<'_>,
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
        _plan: &Plan<'_>,
        log: &ChangeLog,
    ) -> Result<TenantReport, DbErr> {
        let mut total = TenantReport::default();
        let mut batches = store::GroupBatches::for_writing(tenant_id);
        while let Some(batch) = batches.next(txn).await? {
            let rebuild = rules::rebuild(batch);
            if batches.write(txn, &rebuild.changes).await? {
                log.record(txn, &store::changed_rows(&rebuild.changes))
                    .await?;
                total.merge(report(&rebuild, 0), 0);
            }
        }
        Ok(total)
    }

    async fn check_restore(
        &self,
        db: &DatabaseConnection,
        tenant_id: i64,
        rows: &[ChangedRow],
        sample_limit: usize,
    ) -> Result<RestoreReport, DbErr> {
        restore_findings(db, tenant_id, rows, None, sample_limit).await
    }

    async fn restore(
        &self,
        txn: &DatabaseTransaction,
        tenant_id: i64,
        rows: &[ChangedRow],
        log: &ChangeLog,
    ) -> Result<RestoreReport, DbErr> {
        restore_findings(txn, tenant_id, rows, Some(log), 0).await
    }
}
