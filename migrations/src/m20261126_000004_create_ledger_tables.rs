//! Append-only audit events, in-app notifications and the alert-webhook outbox.

use crate::cols::{
    fk, fk_null, foreign, id, index, int_default, json, text, text_null, ts, ts_null,
};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Operators {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum OperationRuns {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    Id,
    Action,
    ActorKind,
    ActorId,
    ActorLabel,
    Source,
    Ip,
    TargetType,
    TargetId,
    Metadata,
    RequestId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Notifications {
    Table,
    Id,
    OperatorId,
    Kind,
    RunId,
    Title,
    Body,
    Data,
    ReadAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AlertDeliveries {
    Table,
    Id,
    RunId,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    DeliveredAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(id(AuditEvents::Id))
                    .col(text(AuditEvents::Action))
                    .col(text(AuditEvents::ActorKind))
                    .col(fk_null(AuditEvents::ActorId))
                    .col(text_null(AuditEvents::ActorLabel))
                    .col(text_null(AuditEvents::Source))
                    .col(text_null(AuditEvents::Ip))
                    .col(text_null(AuditEvents::TargetType))
                    .col(text_null(AuditEvents::TargetId))
                    .col(json(AuditEvents::Metadata))
                    .col(text_null(AuditEvents::RequestId))
                    .col(ts(AuditEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "audit_events_action_idx",
                AuditEvents::Table,
                &[AuditEvents::Action, AuditEvents::CreatedAt],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "audit_events_created_at_idx",
                AuditEvents::Table,
                &[AuditEvents::CreatedAt],
                false,
            ))
            .await?;
        // The unique index is what makes "exactly one completion notification per run and
        // recipient" hold even if two processes race to write it.
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(id(Notifications::Id))
                    .col(fk(Notifications::OperatorId))
                    .col(text(Notifications::Kind))
                    .col(fk_null(Notifications::RunId))
                    .col(text(Notifications::Title))
                    .col(text(Notifications::Body))
                    .col(json(Notifications::Data))
                    .col(ts_null(Notifications::ReadAt))
                    .col(ts(Notifications::CreatedAt))
                    .foreign_key(&mut foreign(
                        Notifications::Table,
                        Notifications::OperatorId,
                        Operators::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "notifications_operator_kind_run_key",
                Notifications::Table,
                &[
                    Notifications::OperatorId,
                    Notifications::Kind,
                    Notifications::RunId,
                ],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertDeliveries::Table)
                    .col(id(AlertDeliveries::Id))
                    .col(fk(AlertDeliveries::RunId).unique_key())
                    .col(json(AlertDeliveries::Payload))
                    .col(text(AlertDeliveries::Status))
                    .col(int_default(AlertDeliveries::Attempts, 0))
                    .col(ts(AlertDeliveries::NextAttemptAt))
                    .col(text_null(AlertDeliveries::LastError))
                    .col(ts_null(AlertDeliveries::DeliveredAt))
                    .col(ts(AlertDeliveries::CreatedAt))
                    .col(ts(AlertDeliveries::UpdatedAt))
                    .foreign_key(&mut foreign(
                        AlertDeliveries::Table,
                        AlertDeliveries::RunId,
                        OperationRuns::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "alert_deliveries_status_next_idx",
                AlertDeliveries::Table,
                &[AlertDeliveries::Status, AlertDeliveries::NextAttemptAt],
                false,
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::cols::drop_tables(
            manager,
            vec![
                AlertDeliveries::Table.into_iden(),
                Notifications::Table.into_iden(),
                AuditEvents::Table.into_iden(),
            ],
        )
        .await
    }
}
