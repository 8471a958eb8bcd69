//! The change log (docs/spec.md §15): what each run changed, written in each tenant's
//! transaction, so that it can be listed and put back.
//!
//! - `run_changes`: one record per written batch (at most 2,000 rows) of a tenant's item:
//!   `changes` holds, per changed row, its id, the rules that changed it, and the before-value
//!   and the written value of each column it changed (JSON text: read whole, never queried
//!   inside); `row_count` is their number, which pages the list without decoding it.
//! - `operation_runs.changes_purged_at`: when retention (`CHANGE_LOG_RETENTION_DAYS`) removed
//!   the run's log; the run view's `changes_available` is false from then on.

use crate::cols::{fk, id, index, text, ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum RunChanges {
    Table,
    Id,
    RunId,
    TenantId,
    ItemId,
    RowCount,
    Changes,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OperationRuns {
    Table,
    ChangesPurgedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RunChanges::Table)
                    .col(id(RunChanges::Id))
                    .col(fk(RunChanges::RunId))
                    .col(fk(RunChanges::TenantId))
                    .col(fk(RunChanges::ItemId))
                    .col(ColumnDef::new(RunChanges::RowCount).integer().not_null())
                    .col(text(RunChanges::Changes))
                    .col(ts(RunChanges::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "run_changes_run_tenant_idx",
                RunChanges::Table,
                &[RunChanges::RunId, RunChanges::TenantId, RunChanges::Id],
                false,
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OperationRuns::Table)
                    .add_column(ts_null(OperationRuns::ChangesPurgedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OperationRuns::Table)
                    .drop_column(OperationRuns::ChangesPurgedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(RunChanges::Table).to_owned())
            .await
    }
}
