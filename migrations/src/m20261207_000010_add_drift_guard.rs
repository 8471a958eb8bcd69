//! The drift guard (docs/spec.md §15): `run_items.predicted_changes` is the preflight's
//! prediction of the rows each tenant changes (a retry's: its source item's), copied by the
//! fan-out; a tenant that would change far more fails at once instead of writing.

use crate::cols::fk_null;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum RunItems {
    Table,
    PredictedChanges,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RunItems::Table)
                    .add_column(fk_null(RunItems::PredictedChanges))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RunItems::Table)
                    .drop_column(RunItems::PredictedChanges)
                    .to_owned(),
            )
            .await
    }
}
