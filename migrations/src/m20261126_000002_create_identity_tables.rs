//! Identities of both planes: operators with capabilities, customer users, server-side
//! sessions, API tokens and the login-throttle counters.

use crate::cols::{counter, fk, fk_null, flag, foreign, id, index, json, text, ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Workspaces {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum Operators {
    Table,
    Id,
    Username,
    DisplayName,
    PasswordHash,
    Disabled,
    PasswordChangedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OperatorCapabilities {
    Table,
    OperatorId,
    Capability,
    GrantedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CustomerUsers {
    Table,
    Id,
    WorkspaceId,
    Username,
    DisplayName,
    PasswordHash,
    Disabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    Id,
    Plane,
    PrincipalId,
    State,
    CreatedAt,
    LastSeenAt,
    IdleExpiresAt,
    AbsoluteExpiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiTokens {
    Table,
    Id,
    OperatorId,
    Name,
    Jti,
    Capabilities,
    ExpiresAt,
    CreatedAt,
    RevokedAt,
    LastUsedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum LoginThrottle {
    Table,
    Bucket,
    WindowStart,
    Attempts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Operators::Table)
                    .col(id(Operators::Id))
                    .col(text(Operators::Username).unique_key())
                    .col(text(Operators::DisplayName))
                    .col(text(Operators::PasswordHash))
                    .col(flag(Operators::Disabled))
                    .col(ts(Operators::PasswordChangedAt))
                    .col(ts(Operators::CreatedAt))
                    .col(ts(Operators::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OperatorCapabilities::Table)
                    .col(fk(OperatorCapabilities::OperatorId))
                    .col(text(OperatorCapabilities::Capability))
                    .col(ts(OperatorCapabilities::GrantedAt))
                    .primary_key(
                        Index::create()
                            .col(OperatorCapabilities::OperatorId)
                            .col(OperatorCapabilities::Capability),
                    )
                    .foreign_key(&mut foreign(
                        OperatorCapabilities::Table,
                        OperatorCapabilities::OperatorId,
                        Operators::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CustomerUsers::Table)
                    .col(id(CustomerUsers::Id))
                    .col(fk(CustomerUsers::WorkspaceId))
                    .col(text(CustomerUsers::Username).unique_key())
                    .col(text(CustomerUsers::DisplayName))
                    .col(text(CustomerUsers::PasswordHash))
                    .col(flag(CustomerUsers::Disabled))
                    .col(ts(CustomerUsers::CreatedAt))
                    .col(ts(CustomerUsers::UpdatedAt))
                    .foreign_key(&mut foreign(
                        CustomerUsers::Table,
                        CustomerUsers::WorkspaceId,
                        Workspaces::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        // The session id column holds a SHA-256 of the cookie's value, never the value itself.
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(text(Sessions::Id).primary_key())
                    .col(text(Sessions::Plane))
                    .col(fk_null(Sessions::PrincipalId))
                    .col(json(Sessions::State))
                    .col(ts(Sessions::CreatedAt))
                    .col(ts(Sessions::LastSeenAt))
                    .col(ts(Sessions::IdleExpiresAt))
                    .col(ts(Sessions::AbsoluteExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "sessions_plane_principal_idx",
                Sessions::Table,
                &[Sessions::Plane, Sessions::PrincipalId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "sessions_idle_expires_at_idx",
                Sessions::Table,
                &[Sessions::IdleExpiresAt],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(id(ApiTokens::Id))
                    .col(fk(ApiTokens::OperatorId))
                    .col(text(ApiTokens::Name))
                    .col(text(ApiTokens::Jti).unique_key())
                    .col(json(ApiTokens::Capabilities))
                    .col(ts(ApiTokens::ExpiresAt))
                    .col(ts(ApiTokens::CreatedAt))
                    .col(ts_null(ApiTokens::RevokedAt))
                    .col(ts_null(ApiTokens::LastUsedAt))
                    .foreign_key(&mut foreign(
                        ApiTokens::Table,
                        ApiTokens::OperatorId,
                        Operators::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // Fixed one-minute windows, incremented with an atomic upsert so the count holds across
        // server processes.
        manager
            .create_table(
                Table::create()
                    .table(LoginThrottle::Table)
                    .col(text(LoginThrottle::Bucket))
                    .col(ts(LoginThrottle::WindowStart))
                    .col(counter(LoginThrottle::Attempts))
                    .primary_key(
                        Index::create()
                            .col(LoginThrottle::Bucket)
                            .col(LoginThrottle::WindowStart),
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
                LoginThrottle::Table.into_iden(),
                ApiTokens::Table.into_iden(),
                Sessions::Table.into_iden(),
                CustomerUsers::Table.into_iden(),
                OperatorCapabilities::Table.into_iden(),
                Operators::Table.into_iden(),
            ],
        )
        .await
    }
}
