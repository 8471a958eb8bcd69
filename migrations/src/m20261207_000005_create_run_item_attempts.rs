//! Per-attempt history of a run item (docs/spec.md §21): one row per attempt of a tenant job,
//! written when the attempt starts and finished when it ends (success, failure, a retry
//! scheduled), in the transactions that move the item. An item that failed once and then
//! succeeded keeps its first error here; `run_items` holds only the last one.
//!
//! Existing items get no rows: their history was never recorded, and the items list falls back
//! to the item's own `started_at`/`completed_at` for them.

use crate::cols::{fk, foreign, id, index, text_null, ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum RunItemAttempts {
    Table,
    Id,
    RunItemId,
    RunId,
    Attempt,
    StartedAt,
    FinishedAt,
    Error,
    ErrorSqlstate,
    Worker,
}

#[derive(DeriveIden, Clone, Copy)]
enum RunItems {
    Table,
}

const INDEX: &str = "run_item_attempts_run_item_id_attempt_idx";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RunItemAttempts::Table)
                    .col(id(RunItemAttempts::Id))
                    .col(fk(RunItemAttempts::RunItemId))
                    .col(fk(RunItemAttempts::RunId))
                    .col(
                        ColumnDef::new(RunItemAttempts::Attempt)
                            .integer()
                            .not_null(),
                    )
                    .col(ts(RunItemAttempts::StartedAt))
                    .col(ts_null(RunItemAttempts::FinishedAt))
                    .col(text_null(RunItemAttempts::Error))
                    .col(text_null(RunItemAttempts::ErrorSqlstate))
                    .col(text_null(RunItemAttempts::Worker))
                    // An item goes with its run (`run_items.run_id` cascades), its attempts
                    // with it.
                    .foreign_key(&mut foreign(
                        RunItemAttempts::Table,
                        RunItemAttempts::RunItemId,
                        RunItems::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // Not unique: a job the reconciler gives back to its item starts counting again
        // (docs/spec.md §19), so an attempt number may recur; rows are told apart by id.
        manager
            .create_index(index(
                INDEX,
                RunItemAttempts::Table,
                &[RunItemAttempts::RunItemId, RunItemAttempts::Attempt],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RunItemAttempts::Table).to_owned())
            .await
    }
}
