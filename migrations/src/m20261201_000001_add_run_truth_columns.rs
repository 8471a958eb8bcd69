//! Operator truth at scale (docs/spec.md §18): the run's `cancelled` and `retrying` counters and the
//! time an item last finished (`progressed_at`, for stall detection); an item's
//! `next_attempt_at` (while it waits for a retry) and `error_sqlstate`.
//!
//! Cancelled items used to count as skipped and processed; existing runs are moved to the new
//! meaning, so that `processed = succeeded + failed + skipped` holds for them too.

use crate::cols::{counter, text_null, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum OperationRuns {
    Table,
    Cancelled,
    Retrying,
    ProgressedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RunItems {
    Table,
    NextAttemptAt,
    ErrorSqlstate,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for column in [
            counter(OperationRuns::Cancelled),
            counter(OperationRuns::Retrying),
            ts_null(OperationRuns::ProgressedAt),
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
        for column in [
            ts_null(RunItems::NextAttemptAt),
            text_null(RunItems::ErrorSqlstate),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(RunItems::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE operation_runs SET cancelled = (SELECT COUNT(*) FROM run_items \
             WHERE run_items.run_id = operation_runs.id AND run_items.status = 'cancelled') \
             WHERE cancel_reason IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE operation_runs SET skipped = skipped - cancelled, processed = processed - cancelled \
             WHERE cancelled > 0",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE operation_runs SET skipped = skipped + cancelled, processed = processed + cancelled \
                 WHERE cancelled > 0",
            )
            .await?;
        for column in [
            OperationRuns::Cancelled,
            OperationRuns::Retrying,
            OperationRuns::ProgressedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OperationRuns::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [RunItems::NextAttemptAt, RunItems::ErrorSqlstate] {
            manager
                .alter_table(
                    Table::alter()
                        .table(RunItems::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
