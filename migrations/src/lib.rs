//! Schema migrations for TenantAtlas Ops, written with the sea-orm migration DSL so that the
//! same files run on SQLite (the embedded default) and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod cols;
mod m20261126_000001_create_host_tables;
mod m20261126_000002_create_identity_tables;
mod m20261126_000003_create_run_tables;
mod m20261126_000004_create_ledger_tables;
mod m20261126_000005_add_enqueued_at_to_operation_runs;
mod m20261130_000001_add_runbook_parameters;
mod m20261201_000001_add_run_truth_columns;
mod m20261201_000002_index_runs_by_preflight;
mod m20261207_000001_add_job_subjects_and_chores;
mod m20261207_000002_add_job_trace_context;
mod m20261207_000003_add_findings_tenant_status_index;
mod m20261207_000004_add_chosen_scopes;
mod m20261207_000005_create_run_item_attempts;
mod m20261207_000006_add_run_control;
mod m20261207_000007_add_health_gate;
mod m20261207_000008_add_health_episodes;
mod m20261207_000009_add_change_log;
mod m20261207_000010_add_drift_guard;
mod m20261207_000011_add_revert;

/// Every migration of the project, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_host_tables::Migration),
            Box::new(m20261126_000002_create_identity_tables::Migration),
            Box::new(m20261126_000003_create_run_tables::Migration),
            Box::new(m20261126_000004_create_ledger_tables::Migration),
            Box::new(m20261126_000005_add_enqueued_at_to_operation_runs::Migration),
            Box::new(m20261130_000001_add_runbook_parameters::Migration),
            Box::new(m20261201_000001_add_run_truth_columns::Migration),
            Box::new(m20261201_000002_index_runs_by_preflight::Migration),
            Box::new(m20261207_000001_add_job_subjects_and_chores::Migration),
            Box::new(m20261207_000002_add_job_trace_context::Migration),
            Box::new(m20261207_000003_add_findings_tenant_status_index::Migration),
            Box::new(m20261207_000004_add_chosen_scopes::Migration),
            Box::new(m20261207_000005_create_run_item_attempts::Migration),
            Box::new(m20261207_000006_add_run_control::Migration),
            Box::new(m20261207_000007_add_health_gate::Migration),
            Box::new(m20261207_000008_add_health_episodes::Migration),
            Box::new(m20261207_000009_add_change_log::Migration),
            Box::new(m20261207_000010_add_drift_guard::Migration),
            Box::new(m20261207_000011_add_revert::Migration),
        ]
    }
}
