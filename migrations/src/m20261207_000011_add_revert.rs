//! Revert runs (docs/spec.md §15): a run that puts back what another run changed, from its
//! change log.
//!
//! - `operation_runs.reverts_run_id`: the run a revert run reverts (its `kind` is `revert`);
//!   indexed, so a run view finds the reverts of a run at once.
//! - `operation_runs.conflicts`, `run_items.conflicts`: rows a revert left alone because the
//!   application changed them since the run wrote them (counters, updated in SQL).
//! - `preflights.reverts_run_id`: the run a revert preflight examined; a start citing a
//!   preflight of the other kind is refused.
//! - `operation_runs.counts_as_all_tenants`: whether a run counts as all tenants (its scope, or a
//!   derived run's source): a retry or a revert of it needs `ops.runbooks.run_all_tenants`, as
//!   the run itself did. Existing runs: all-tenants runs (and their retries, which keep the
//!   scope kind) and lists or workspaces of more than 100 tenants.

use crate::cols::{counter, fk_null, flag, index};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum OperationRuns {
    Table,
    RevertsRunId,
    Conflicts,
    CountsAsAllTenants,
}

#[derive(DeriveIden, Clone, Copy)]
enum RunItems {
    Table,
    Conflicts,
}

#[derive(DeriveIden, Clone, Copy)]
enum Preflights {
    Table,
    RevertsRunId,
}

/// One column added to `table` (SQLite takes one per `ALTER TABLE`).
async fn add(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(column.to_owned())
                .to_owned(),
        )
        .await
}

/// One column dropped from `table`.
async fn drop(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add(
            manager,
            OperationRuns::Table,
            fk_null(OperationRuns::RevertsRunId),
        )
        .await?;
        add(
            manager,
            OperationRuns::Table,
            counter(OperationRuns::Conflicts),
        )
        .await?;
        add(manager, RunItems::Table, counter(RunItems::Conflicts)).await?;
        add(
            manager,
            Preflights::Table,
            fk_null(Preflights::RevertsRunId),
        )
        .await?;
        add(
            manager,
            OperationRuns::Table,
            flag(OperationRuns::CountsAsAllTenants),
        )
        .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE operation_runs SET counts_as_all_tenants = TRUE \
                 WHERE scope_kind = 'all_tenants' OR id IN (SELECT run_id FROM run_scope_tenants \
                 GROUP BY run_id HAVING COUNT(*) > 100)",
            )
            .await?;
        manager
            .create_index(index(
                "operation_runs_reverts_idx",
                OperationRuns::Table,
                &[OperationRuns::RevertsRunId],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("operation_runs_reverts_idx")
                    .table(OperationRuns::Table)
                    .to_owned(),
            )
            .await?;
        drop(
            manager,
            OperationRuns::Table,
            OperationRuns::CountsAsAllTenants,
        )
        .await?;
        drop(manager, Preflights::Table, Preflights::RevertsRunId).await?;
        drop(manager, RunItems::Table, RunItems::Conflicts).await?;
        drop(manager, OperationRuns::Table, OperationRuns::Conflicts).await?;
        drop(manager, OperationRuns::Table, OperationRuns::RevertsRunId).await
    }
}
