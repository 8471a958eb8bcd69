//! The health gate's episodes (docs/spec.md §14): `health_episodes` keeps each throttled
//! episode of the last hour — when the gate closed, on which indicator, and when it opened
//! again (null while it lasts) — for the console's health chart, which shades them. The sampler
//! opens and closes them in the transaction that moves the gate, and prunes those that ended
//! more than an hour ago with the samples.

use crate::cols::{id, text, ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum HealthEpisodes {
    Table,
    Id,
    StartedAt,
    EndedAt,
    Indicator,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(HealthEpisodes::Table)
                    .col(id(HealthEpisodes::Id))
                    .col(ts(HealthEpisodes::StartedAt))
                    .col(ts_null(HealthEpisodes::EndedAt))
                    .col(text(HealthEpisodes::Indicator))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(HealthEpisodes::Table).to_owned())
            .await
    }
}
