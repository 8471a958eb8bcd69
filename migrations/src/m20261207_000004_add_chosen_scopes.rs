//! Scopes an operator chooses (docs/spec.md §21): a list of tenants or a workspace.
//!
//! - `preflight_tenants`: every tenant a preflight examined, with what it would change there
//!   (its per-tenant report, served as `GET /ops/preflights/{id}/tenants`). For a list or a
//!   workspace scope these rows are also the tenant set the preflight covered.
//! - `run_scope_tenants`: the tenants of a run started over a list or a workspace, fixed at the
//!   start (the fan-out enqueues them; the start's overlap check reads them).
//! - `preflights.scope_workspace_id`: the workspace of a workspace-scoped preflight.

use crate::cols::{counter, fk, fk_null, foreign, json, text};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Preflights {
    Table,
    ScopeWorkspaceId,
}

#[derive(DeriveIden, Clone, Copy)]
enum OperationRuns {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum PreflightTenants {
    Table,
    PreflightId,
    TenantId,
    Examined,
    Changed,
    ChangesByRule,
}

#[derive(DeriveIden, Clone, Copy)]
enum RunScopeTenants {
    Table,
    RunId,
    TenantId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Preflights::Table)
                    .add_column(fk_null(Preflights::ScopeWorkspaceId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PreflightTenants::Table)
                    .col(text(PreflightTenants::PreflightId))
                    .col(fk(PreflightTenants::TenantId))
                    .col(counter(PreflightTenants::Examined))
                    .col(counter(PreflightTenants::Changed))
                    .col(json(PreflightTenants::ChangesByRule))
                    .primary_key(
                        Index::create()
                            .col(PreflightTenants::PreflightId)
                            .col(PreflightTenants::TenantId),
                    )
                    .foreign_key(&mut foreign(
                        PreflightTenants::Table,
                        PreflightTenants::PreflightId,
                        Preflights::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RunScopeTenants::Table)
                    .col(fk(RunScopeTenants::RunId))
                    .col(fk(RunScopeTenants::TenantId))
                    .primary_key(
                        Index::create()
                            .col(RunScopeTenants::RunId)
                            .col(RunScopeTenants::TenantId),
                    )
                    .foreign_key(&mut foreign(
                        RunScopeTenants::Table,
                        RunScopeTenants::RunId,
                        OperationRuns::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::cols::drop_tables(
            manager,
            vec![
                RunScopeTenants::Table.into_iden(),
                PreflightTenants::Table.into_iden(),
            ],
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Preflights::Table)
                    .drop_column(Preflights::ScopeWorkspaceId)
                    .to_owned(),
            )
            .await
    }
}
