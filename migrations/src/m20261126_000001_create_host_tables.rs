//! The host application's tables (docs/spec.md §1). Their names, columns and meanings are fixed: other
//! tools read them.

use crate::cols::{fk, foreign, id, text, text_null, ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Workspaces {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden, Clone, Copy)]
enum Tenants {
    Table,
    Id,
    WorkspaceId,
    ExternalId,
    Name,
}

#[derive(DeriveIden, Clone, Copy)]
enum Findings {
    Table,
    Id,
    TenantId,
    RecurrenceKey,
    Severity,
    Status,
    FirstSeenAt,
    LastSeenAt,
    TimesSeen,
    DueAt,
    TriagedAt,
    ResolvedAt,
    ClosedAt,
    ClosedReason,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Workspaces::Table)
                    .col(id(Workspaces::Id))
                    .col(text(Workspaces::Name))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(id(Tenants::Id))
                    .col(fk(Tenants::WorkspaceId))
                    .col(text(Tenants::ExternalId).unique_key())
                    .col(text(Tenants::Name))
                    .foreign_key(&mut foreign(
                        Tenants::Table,
                        Tenants::WorkspaceId,
                        Workspaces::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Findings::Table)
                    .col(id(Findings::Id))
                    .col(fk(Findings::TenantId))
                    .col(text(Findings::RecurrenceKey))
                    .col(text(Findings::Severity))
                    .col(text(Findings::Status))
                    .col(ts_null(Findings::FirstSeenAt))
                    .col(ts_null(Findings::LastSeenAt))
                    .col(ColumnDef::new(Findings::TimesSeen).integer().null())
                    .col(ts_null(Findings::DueAt))
                    .col(ts_null(Findings::TriagedAt))
                    .col(ts_null(Findings::ResolvedAt))
                    .col(ts_null(Findings::ClosedAt))
                    .col(text_null(Findings::ClosedReason))
                    .col(ts(Findings::CreatedAt))
                    .col(ts(Findings::UpdatedAt))
                    .foreign_key(&mut foreign(
                        Findings::Table,
                        Findings::TenantId,
                        Tenants::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("findings_tenant_id_recurrence_key_idx")
                    .table(Findings::Table)
                    .col(Findings::TenantId)
                    .col(Findings::RecurrenceKey)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::cols::drop_tables(
            manager,
            vec![
                Findings::Table.into_iden(),
                Tenants::Table.into_iden(),
                Workspaces::Table.into_iden(),
            ],
        )
        .await
    }
}
