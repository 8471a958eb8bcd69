//! Operation runs, their per-tenant items, the durable job queue, the per-runbook start mutex,
//! preflights and Idempotency-Key records.

use crate::cols::{
    counter, fk, fk_null, foreign, id, index, int_default, json, json_null, text, text_null, ts,
    ts_null,
};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Tenants {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum Operators {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum OperationRuns {
    Table,
    Id,
    RunbookKey,
    RunbookVersion,
    ScopeKind,
    ScopeTenantId,
    WorkspaceId,
    ActiveScopeKey,
    InitiatorId,
    Source,
    ReasonCode,
    ReasonText,
    PreflightId,
    Status,
    Outcome,
    Total,
    Processed,
    Succeeded,
    Failed,
    Skipped,
    FindingsChanged,
    ErrorSummary,
    CancelReason,
    CancelledBy,
    RetryOfRunId,
    CreatedAt,
    StartedAt,
    CompletedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RunItems {
    Table,
    Id,
    RunId,
    TenantId,
    Status,
    Attempts,
    FindingsExamined,
    FindingsChanged,
    ChangesByRule,
    LastError,
    StartedAt,
    CompletedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Jobs {
    Table,
    Id,
    Queue,
    Kind,
    Payload,
    Status,
    RunId,
    RunAt,
    Attempts,
    MaxAttempts,
    LeaseToken,
    LeaseExpiresAt,
    HeartbeatAt,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RunbookLocks {
    Table,
    RunbookKey,
    LockedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Preflights {
    Table,
    Id,
    RunbookKey,
    ScopeKind,
    ScopeTenantId,
    TenantsInScope,
    Summary,
    OperatorId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum IdempotencyKeys {
    Table,
    Principal,
    Key,
    RequestHash,
    State,
    ResponseStatus,
    ResponseHeaders,
    ResponseBody,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // `active_scope_key` is set while a run is queued or running and cleared when it
        // completes: its unique index makes "one identical active run" a database fact.
        manager
            .create_table(
                Table::create()
                    .table(OperationRuns::Table)
                    .col(id(OperationRuns::Id))
                    .col(text(OperationRuns::RunbookKey))
                    .col(int_default(OperationRuns::RunbookVersion, 1))
                    .col(text(OperationRuns::ScopeKind))
                    .col(fk_null(OperationRuns::ScopeTenantId))
                    .col(fk_null(OperationRuns::WorkspaceId))
                    .col(text_null(OperationRuns::ActiveScopeKey).unique_key())
                    .col(fk_null(OperationRuns::InitiatorId))
                    .col(text(OperationRuns::Source))
                    .col(text(OperationRuns::ReasonCode))
                    .col(text(OperationRuns::ReasonText))
                    .col(text_null(OperationRuns::PreflightId))
                    .col(text(OperationRuns::Status))
                    .col(text_null(OperationRuns::Outcome))
                    .col(counter(OperationRuns::Total))
                    .col(counter(OperationRuns::Processed))
                    .col(counter(OperationRuns::Succeeded))
                    .col(counter(OperationRuns::Failed))
                    .col(counter(OperationRuns::Skipped))
                    .col(counter(OperationRuns::FindingsChanged))
                    .col(text_null(OperationRuns::ErrorSummary))
                    .col(text_null(OperationRuns::CancelReason))
                    .col(fk_null(OperationRuns::CancelledBy))
                    .col(fk_null(OperationRuns::RetryOfRunId))
                    .col(ts(OperationRuns::CreatedAt))
                    .col(ts_null(OperationRuns::StartedAt))
                    .col(ts_null(OperationRuns::CompletedAt))
                    .col(ts(OperationRuns::UpdatedAt))
                    .foreign_key(&mut foreign(
                        OperationRuns::Table,
                        OperationRuns::InitiatorId,
                        Operators::Table,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "operation_runs_runbook_status_idx",
                OperationRuns::Table,
                &[OperationRuns::RunbookKey, OperationRuns::Status],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RunItems::Table)
                    .col(id(RunItems::Id))
                    .col(fk(RunItems::RunId))
                    .col(fk(RunItems::TenantId))
                    .col(text(RunItems::Status))
                    .col(int_default(RunItems::Attempts, 0))
                    .col(counter(RunItems::FindingsExamined))
                    .col(counter(RunItems::FindingsChanged))
                    .col(json_null(RunItems::ChangesByRule))
                    .col(text_null(RunItems::LastError))
                    .col(ts_null(RunItems::StartedAt))
                    .col(ts_null(RunItems::CompletedAt))
                    .col(ts(RunItems::CreatedAt))
                    .col(ts(RunItems::UpdatedAt))
                    .foreign_key(&mut foreign(
                        RunItems::Table,
                        RunItems::RunId,
                        OperationRuns::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign(
                        RunItems::Table,
                        RunItems::TenantId,
                        Tenants::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "run_items_run_tenant_key",
                RunItems::Table,
                &[RunItems::RunId, RunItems::TenantId],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "run_items_run_status_idx",
                RunItems::Table,
                &[RunItems::RunId, RunItems::Status],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(id(Jobs::Id))
                    .col(text(Jobs::Queue))
                    .col(text(Jobs::Kind))
                    .col(json(Jobs::Payload))
                    .col(text(Jobs::Status))
                    .col(fk_null(Jobs::RunId))
                    .col(ts(Jobs::RunAt))
                    .col(int_default(Jobs::Attempts, 0))
                    .col(int_default(Jobs::MaxAttempts, 3))
                    .col(text_null(Jobs::LeaseToken))
                    .col(ts_null(Jobs::LeaseExpiresAt))
                    .col(ts_null(Jobs::HeartbeatAt))
                    .col(text_null(Jobs::LastError))
                    .col(ts(Jobs::CreatedAt))
                    .col(ts(Jobs::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "jobs_queue_status_run_at_idx",
                Jobs::Table,
                &[Jobs::Queue, Jobs::Status, Jobs::RunAt],
                false,
            ))
            .await?;
        manager
            .create_index(index("jobs_run_id_idx", Jobs::Table, &[Jobs::RunId], false))
            .await?;
        // One row per runbook; a start updates it first, which serializes concurrent starts of
        // the same runbook in every process (a row lock on PostgreSQL, the write lock on SQLite).
        manager
            .create_table(
                Table::create()
                    .table(RunbookLocks::Table)
                    .col(text(RunbookLocks::RunbookKey).primary_key())
                    .col(ts(RunbookLocks::LockedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Preflights::Table)
                    .col(text(Preflights::Id).primary_key())
                    .col(text(Preflights::RunbookKey))
                    .col(text(Preflights::ScopeKind))
                    .col(fk_null(Preflights::ScopeTenantId))
                    .col(counter(Preflights::TenantsInScope))
                    .col(json(Preflights::Summary))
                    .col(fk_null(Preflights::OperatorId))
                    .col(ts(Preflights::CreatedAt))
                    .col(ts(Preflights::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(text(IdempotencyKeys::Principal))
                    .col(text(IdempotencyKeys::Key))
                    .col(text(IdempotencyKeys::RequestHash))
                    .col(text(IdempotencyKeys::State))
                    .col(
                        ColumnDef::new(IdempotencyKeys::ResponseStatus)
                            .integer()
                            .null(),
                    )
                    .col(json_null(IdempotencyKeys::ResponseHeaders))
                    .col(text_null(IdempotencyKeys::ResponseBody))
                    .col(ts(IdempotencyKeys::CreatedAt))
                    .col(ts(IdempotencyKeys::ExpiresAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeys::Principal)
                            .col(IdempotencyKeys::Key),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::cols::drop_tables(
            manager,
            vec![
                IdempotencyKeys::Table.into_iden(),
                Preflights::Table.into_iden(),
                RunbookLocks::Table.into_iden(),
                Jobs::Table.into_iden(),
                RunItems::Table.into_iden(),
                OperationRuns::Table.into_iden(),
            ],
        )
        .await
    }
}
