//! An index on `operation_runs.preflight_id`: a start looks up whether its preflight was
//! already used (preflights are single-use, docs/spec.md §18), inside the runbook's lock.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum OperationRuns {
    Table,
    PreflightId,
}

const INDEX: &str = "operation_runs_preflight_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(OperationRuns::Table)
                    .col(OperationRuns::PreflightId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(OperationRuns::Table)
                    .to_owned(),
            )
            .await
    }
}
