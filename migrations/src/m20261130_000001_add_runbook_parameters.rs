//! Runbook parameters (docs/spec.md §12): what a preflight was made with and a run executes with, and
//! the run's `planned_at` (the instant of its preflight, the one "now" a runbook may use, so
//! every tenant and every retry writes the same value). `NULL` parameters mean `{}` (v1 runs).

use crate::cols::{json_null, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum OperationRuns {
    Table,
    Parameters,
    PlannedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Preflights {
    Table,
    Parameters,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for column in [
            json_null(OperationRuns::Parameters),
            ts_null(OperationRuns::PlannedAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OperationRuns::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Preflights::Table)
                    .add_column(json_null(Preflights::Parameters))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [OperationRuns::Parameters, OperationRuns::PlannedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OperationRuns::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Preflights::Table)
                    .drop_column(Preflights::Parameters)
                    .to_owned(),
            )
            .await
    }
}
