//! `operation_runs.enqueued_at`: set when the fan-out has created every tenant item, so the
//! last tenant job knows the item count is final before it finalizes the run.

use crate::cols::ts_null;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum OperationRuns {
    Table,
    EnqueuedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OperationRuns::Table)
                    .add_column(ts_null(OperationRuns::EnqueuedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OperationRuns::Table)
                    .drop_column(OperationRuns::EnqueuedAt)
                    .to_owned(),
            )
            .await
    }
}
