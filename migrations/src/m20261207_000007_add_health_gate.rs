//! The database health gate (docs/spec.md §14).
//!
//! - `health_state`: one row, the gate as the sampler last left it: `state` (`healthy` or
//!   `throttled`), since when, the healthy streak, the last sample's time and the reason of a
//!   throttle (`indicator`, `value`, `threshold`), and the sampler's lease (`holder`,
//!   `lease_expires_at`): one process samples at a time, through a guarded UPDATE.
//! - `health_samples`: every indicator's samples of the last hour (pruned by the sampler).
//! - `job_dispatch`: queue-owned, one row: grouped (tenant) jobs are not claimed while
//!   `held_until` is in the future. The sampler moves it forward with every unhealthy sample, so
//!   a dead sampler's hold lapses by itself (a stale gate does not gate).
//! - `operation_runs.throttle`: the episode an active run is throttled by (null otherwise).

use crate::cols::{id, int_default, json_null, text, text_null, ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum HealthState {
    Table,
    Id,
    State,
    Since,
    HealthyStreak,
    SampledAt,
    Reason,
    Holder,
    LeaseExpiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum HealthSamples {
    Table,
    Id,
    SampledAt,
    Indicator,
    Value,
    Threshold,
    Available,
    Over,
}

#[derive(DeriveIden, Clone, Copy)]
enum JobDispatch {
    Table,
    Id,
    HeldUntil,
}

#[derive(DeriveIden, Clone, Copy)]
enum OperationRuns {
    Table,
    Throttle,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .create_table(
                Table::create()
                    .table(HealthState::Table)
                    .col(
                        ColumnDef::new(HealthState::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(text(HealthState::State))
                    .col(ts(HealthState::Since))
                    .col(int_default(HealthState::HealthyStreak, 0))
                    .col(ts_null(HealthState::SampledAt))
                    .col(json_null(HealthState::Reason))
                    .col(text_null(HealthState::Holder))
                    .col(ts_null(HealthState::LeaseExpiresAt))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "INSERT INTO health_state (id, state, since, healthy_streak) \
             VALUES (1, 'healthy', CURRENT_TIMESTAMP, 0)",
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(HealthSamples::Table)
                    .col(id(HealthSamples::Id))
                    .col(ts(HealthSamples::SampledAt))
                    .col(text(HealthSamples::Indicator))
                    .col(ColumnDef::new(HealthSamples::Value).double().null())
                    .col(ColumnDef::new(HealthSamples::Threshold).double().null())
                    .col(
                        ColumnDef::new(HealthSamples::Available)
                            .boolean()
                            .not_null(),
                    )
                    .col(ColumnDef::new(HealthSamples::Over).boolean().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("health_samples_sampled_at_idx")
                    .table(HealthSamples::Table)
                    .col(HealthSamples::SampledAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobDispatch::Table)
                    .col(
                        ColumnDef::new(JobDispatch::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ts_null(JobDispatch::HeldUntil))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared("INSERT INTO job_dispatch (id) VALUES (1)")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OperationRuns::Table)
                    .add_column(json_null(OperationRuns::Throttle))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OperationRuns::Table)
                    .drop_column(OperationRuns::Throttle)
                    .to_owned(),
            )
            .await?;
        for table in [
            JobDispatch::Table.into_iden(),
            HealthSamples::Table.into_iden(),
            HealthState::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
