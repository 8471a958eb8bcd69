//! Data safety on a live database (docs/spec.md §19):
//!
//! - `jobs.subject_id`: the record a job works on (a run item for a tenant job), unique per job
//!   kind, so the reconciler finds an unfinished item that has no job in one indexed anti-join,
//!   and re-enqueueing it (or resuming a fan-out) can never create a second job for it.
//!   Existing tenant jobs get theirs from the payload, fan-outs their run.
//! - `chore_runs`: one row per chore (alert delivery, purges, the reconciler) holding when its
//!   next pass is due; a process runs a pass only after moving `next_run_at` forward with a
//!   guarded UPDATE, so two processes never run the same pass.

use crate::cols::{fk_null, index, text, text_null, ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Jobs {
    Table,
    Kind,
    SubjectId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ChoreRuns {
    Table,
    Name,
    NextRunAt,
    Holder,
    StartedAt,
    FinishedAt,
    LastError,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .add_column(fk_null(Jobs::SubjectId))
                    .to_owned(),
            )
            .await?;
        let extract = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => "(payload->>'item_id')::bigint",
            _ => "json_extract(payload, '$.item_id')",
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE jobs SET subject_id = {extract} WHERE kind = 'run.tenant'"
            ))
            .await?;
        manager
            .get_connection()
            .execute_unprepared("UPDATE jobs SET subject_id = run_id WHERE kind = 'run.fanout'")
            .await?;
        manager
            .create_index(index(
                "jobs_kind_subject_id_key",
                Jobs::Table,
                &[Jobs::Kind, Jobs::SubjectId],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChoreRuns::Table)
                    .col(text(ChoreRuns::Name).primary_key())
                    .col(ts(ChoreRuns::NextRunAt))
                    .col(text_null(ChoreRuns::Holder))
                    .col(ts_null(ChoreRuns::StartedAt))
                    .col(ts_null(ChoreRuns::FinishedAt))
                    .col(text_null(ChoreRuns::LastError))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChoreRuns::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("jobs_kind_subject_id_key")
                    .table(Jobs::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .drop_column(Jobs::SubjectId)
                    .to_owned(),
            )
            .await
    }
}
