//! Run control (docs/spec.md §13): pause and resume, a per-run concurrency cap, a failure
//! budget, waves and canary tenants.
//!
//! - `job_groups`: queue-owned state of a group of jobs (a run's tenant jobs), read by the
//!   claim: `held` (paused), `cancelling`, `max_running` (the cap), `released_ordinal` (the
//!   last position of the released wave) and `last_claimed_at` (round robin between groups).
//! - `jobs.group_id`, `jobs.ordinal`: a tenant job's group and its position in the run's order
//!   (canary tenants first, then ascending tenant id); `run_items.ordinal` the same position.
//!   Two partial indexes keep a claim from scanning grouped jobs when it looks for ungrouped
//!   ones, and the reverse.
//! - `operation_runs`: the options as started, the `running` counter, the pause (reason, by,
//!   text, since, episode), the failure budget's base, active time, and the wave gate.
//! - `notifications.episode`, `alert_deliveries.kind` and `.episode`: one notification or
//!   alert per run, kind and episode (a run that paused once still gets its completion alert).
//!   SQLite cannot drop v1's unique `alert_deliveries.run_id`, so the table is rebuilt there.
//! - `ops.runs.control` is granted to every operator and token holding `ops.runs.cancel`.

use crate::cols::{
    counter, fk, fk_null, flag, foreign, id, index, int_default, json, json_null, text, text_null,
    ts, ts_null,
};
use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum OperationRuns {
    Table,
    Options,
    MaxFailed,
    Running,
    BudgetBase,
    PauseReason,
    PausedBy,
    PauseText,
    PausedAt,
    PauseEpisode,
    ResumedAt,
    ActiveSeconds,
    ActiveSince,
    Wave,
    GateOrdinal,
}

#[derive(DeriveIden, Clone, Copy)]
enum RunItems {
    Table,
    Ordinal,
}

#[derive(DeriveIden, Clone, Copy)]
enum Jobs {
    Table,
    GroupId,
    Ordinal,
}

#[derive(DeriveIden, Clone, Copy)]
enum JobGroups {
    Table,
    Id,
    Held,
    Cancelling,
    MaxRunning,
    ReleasedOrdinal,
    LastClaimedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Notifications {
    Table,
    OperatorId,
    Kind,
    RunId,
    Episode,
}

#[derive(DeriveIden, Clone, Copy)]
enum AlertDeliveries {
    Table,
    Id,
    RunId,
    Kind,
    Episode,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    DeliveredAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OperationRunsRef {
    #[sea_orm(iden = "operation_runs")]
    Table,
}

/// The kind every alert written before this migration has.
const COMPLETED_ALERT: &str = "operation_run.completed";

async fn add_columns<T: IntoIden + Copy>(
    manager: &SchemaManager<'_>,
    table: T,
    columns: Vec<ColumnDef>,
) -> Result<(), DbErr> {
    // One column per statement: SQLite's ALTER TABLE adds one at a time.
    for mut column in columns {
        manager
            .alter_table(
                Table::alter()
                    .table(table)
                    .add_column(&mut column)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

fn alert_deliveries(table: AlertDeliveries) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(id(AlertDeliveries::Id))
        .col(fk(AlertDeliveries::RunId))
        .col(
            ColumnDef::new(AlertDeliveries::Kind)
                .text()
                .not_null()
                .default(COMPLETED_ALERT)
                .to_owned(),
        )
        .col(int_default(AlertDeliveries::Episode, 0))
        .col(json(AlertDeliveries::Payload))
        .col(text(AlertDeliveries::Status))
        .col(int_default(AlertDeliveries::Attempts, 0))
        .col(ts(AlertDeliveries::NextAttemptAt))
        .col(text_null(AlertDeliveries::LastError))
        .col(ts_null(AlertDeliveries::DeliveredAt))
        .col(ts(AlertDeliveries::CreatedAt))
        .col(ts(AlertDeliveries::UpdatedAt))
        .foreign_key(&mut foreign(
            table,
            AlertDeliveries::RunId,
            OperationRunsRef::Table,
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}

/// One alert per run, kind and episode.
fn unique_alert() -> IndexCreateStatement {
    index(
        "alert_deliveries_run_kind_episode_key",
        AlertDeliveries::Table,
        &[
            AlertDeliveries::RunId,
            AlertDeliveries::Kind,
            AlertDeliveries::Episode,
        ],
        true,
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        add_columns(
            manager,
            OperationRuns::Table,
            vec![
                json_null(OperationRuns::Options),
                fk_null(OperationRuns::MaxFailed),
                counter(OperationRuns::Running),
                counter(OperationRuns::BudgetBase),
                text_null(OperationRuns::PauseReason),
                fk_null(OperationRuns::PausedBy),
                text_null(OperationRuns::PauseText),
                ts_null(OperationRuns::PausedAt),
                int_default(OperationRuns::PauseEpisode, 0),
                ts_null(OperationRuns::ResumedAt),
                counter(OperationRuns::ActiveSeconds),
                ts_null(OperationRuns::ActiveSince),
                ColumnDef::new(OperationRuns::Wave)
                    .integer()
                    .null()
                    .to_owned(),
                fk_null(OperationRuns::GateOrdinal),
            ],
        )
        .await?;
        // A run running at the upgrade has been active since it started, and counts the items
        // running then.
        db.execute_unprepared(
            "UPDATE operation_runs SET active_since = started_at WHERE status = 'running'",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE operation_runs SET running = (SELECT COUNT(*) FROM run_items i \
               WHERE i.run_id = operation_runs.id AND i.status = 'running') \
             WHERE status IN ('queued', 'running')",
        )
        .await?;
        add_columns(manager, RunItems::Table, vec![fk_null(RunItems::Ordinal)]).await?;
        add_columns(
            manager,
            Jobs::Table,
            vec![fk_null(Jobs::GroupId), fk_null(Jobs::Ordinal)],
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX jobs_ungrouped_due_idx ON jobs (queue, status, run_at) \
             WHERE group_id IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX jobs_group_claim_idx ON jobs (group_id, status, ordinal) \
             WHERE group_id IS NOT NULL",
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobGroups::Table)
                    .col(
                        ColumnDef::new(JobGroups::Id)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(flag(JobGroups::Held))
                    .col(flag(JobGroups::Cancelling))
                    .col(ColumnDef::new(JobGroups::MaxRunning).integer().null())
                    .col(fk_null(JobGroups::ReleasedOrdinal))
                    .col(ts_null(JobGroups::LastClaimedAt))
                    .col(ts(JobGroups::CreatedAt))
                    .to_owned(),
            )
            .await?;
        add_columns(
            manager,
            Notifications::Table,
            vec![int_default(Notifications::Episode, 0)],
        )
        .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("notifications_operator_kind_run_key")
                    .table(Notifications::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "notifications_operator_kind_run_episode_key",
                Notifications::Table,
                &[
                    Notifications::OperatorId,
                    Notifications::Kind,
                    Notifications::RunId,
                    Notifications::Episode,
                ],
                true,
            ))
            .await?;
        // v1's unique run_id goes: one alert per (run, kind, episode).
        let columns = "id, run_id, payload, status, attempts, next_attempt_at, last_error, \
                       delivered_at, created_at, updated_at";
        match backend {
            DatabaseBackend::Sqlite => {
                // One batch on one connection: the pool's other connections may still hold a
                // snapshot with the old table.
                let mut create = alert_deliveries(AlertDeliveries::Table);
                create.table(Alias::new("alert_deliveries_rebuilt"));
                let due = index(
                    "alert_deliveries_status_next_idx",
                    AlertDeliveries::Table,
                    &[AlertDeliveries::Status, AlertDeliveries::NextAttemptAt],
                    false,
                );
                let unique = unique_alert();
                db.execute_unprepared(&format!(
                    "{create}; \
                     INSERT INTO alert_deliveries_rebuilt ({columns}) SELECT {columns} FROM alert_deliveries; \
                     DROP TABLE alert_deliveries; \
                     ALTER TABLE alert_deliveries_rebuilt RENAME TO alert_deliveries; \
                     {due}; {unique};",
                    create = create.to_string(SqliteQueryBuilder),
                    due = due.to_string(SqliteQueryBuilder),
                    unique = unique.to_string(SqliteQueryBuilder),
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "ALTER TABLE alert_deliveries DROP CONSTRAINT IF EXISTS alert_deliveries_run_id_key",
                )
                .await?;
                add_columns(
                    manager,
                    AlertDeliveries::Table,
                    vec![
                        ColumnDef::new(AlertDeliveries::Kind)
                            .text()
                            .not_null()
                            .default(COMPLETED_ALERT)
                            .to_owned(),
                        int_default(AlertDeliveries::Episode, 0),
                    ],
                )
                .await?;
                manager.create_index(unique_alert()).await?;
            }
        }
        // Whoever may cancel a run may now pause, resume and slow it down.
        db.execute_unprepared(
            "INSERT INTO operator_capabilities (operator_id, capability, granted_at) \
             SELECT operator_id, 'ops.runs.control', granted_at FROM operator_capabilities c \
             WHERE c.capability = 'ops.runs.cancel' AND NOT EXISTS (SELECT 1 FROM operator_capabilities d \
               WHERE d.operator_id = c.operator_id AND d.capability = 'ops.runs.control')",
        )
        .await?;
        let tokens = match backend {
            DatabaseBackend::Postgres => {
                "UPDATE api_tokens SET capabilities = capabilities || '[\"ops.runs.control\"]'::jsonb \
                 WHERE capabilities ? 'ops.runs.cancel' AND NOT capabilities ? 'ops.runs.control'"
            }
            _ => {
                "UPDATE api_tokens SET capabilities = json_insert(capabilities, '$[#]', 'ops.runs.control') \
                 WHERE EXISTS (SELECT 1 FROM json_each(api_tokens.capabilities) WHERE value = 'ops.runs.cancel') \
                   AND NOT EXISTS (SELECT 1 FROM json_each(api_tokens.capabilities) WHERE value = 'ops.runs.control')"
            }
        };
        db.execute_unprepared(tokens).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        db.execute_unprepared(
            "DELETE FROM operator_capabilities WHERE capability = 'ops.runs.control'",
        )
        .await?;
        let tokens = match backend {
            DatabaseBackend::Postgres => {
                "UPDATE api_tokens SET capabilities = capabilities - 'ops.runs.control' \
                 WHERE capabilities ? 'ops.runs.control'"
            }
            _ => {
                "UPDATE api_tokens SET capabilities = (SELECT json_group_array(value) \
                   FROM json_each(api_tokens.capabilities) WHERE value <> 'ops.runs.control') \
                 WHERE EXISTS (SELECT 1 FROM json_each(api_tokens.capabilities) WHERE value = 'ops.runs.control')"
            }
        };
        db.execute_unprepared(tokens).await?;
        // Back to one alert and one notification per run: later episodes go.
        db.execute_unprepared(
            "DELETE FROM alert_deliveries WHERE episode <> 0 OR kind <> 'operation_run.completed'",
        )
        .await?;
        db.execute_unprepared("DELETE FROM notifications WHERE episode <> 0")
            .await?;
        for (name, table) in [
            ("alert_deliveries_run_kind_episode_key", "alert_deliveries"),
            (
                "notifications_operator_kind_run_episode_key",
                "notifications",
            ),
            ("jobs_ungrouped_due_idx", "jobs"),
            ("jobs_group_claim_idx", "jobs"),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        manager
            .create_index(index(
                "alert_deliveries_run_id_key",
                AlertDeliveries::Table,
                &[AlertDeliveries::RunId],
                true,
            ))
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
        let drops: [(&str, &[&str]); 5] = [
            ("alert_deliveries", &["kind", "episode"]),
            ("notifications", &["episode"]),
            ("jobs", &["group_id", "ordinal"]),
            ("run_items", &["ordinal"]),
            (
                "operation_runs",
                &[
                    "options",
                    "max_failed",
                    "running",
                    "budget_base",
                    "pause_reason",
                    "paused_by",
                    "pause_text",
                    "paused_at",
                    "pause_episode",
                    "resumed_at",
                    "active_seconds",
                    "active_since",
                    "wave",
                    "gate_ordinal",
                ],
            ),
        ];
        // A paused run becomes running again: an older worker knows no pause.
        db.execute_unprepared(
            "UPDATE operation_runs SET status = CASE WHEN started_at IS NULL THEN 'queued' ELSE 'running' END \
             WHERE status = 'paused'",
        )
        .await?;
        for (table, columns) in drops {
            for column in columns {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new(table))
                            .drop_column(Alias::new(*column))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        manager
            .drop_table(Table::drop().table(JobGroups::Table).to_owned())
            .await
    }
}
