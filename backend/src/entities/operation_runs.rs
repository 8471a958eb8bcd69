//! `operation_runs`: the durable record of one runbook execution.

use sea_orm::entity::prelude::*;

use crate::domain::run::{Outcome, PauseReason, ReasonCode, RunStatus, ScopeKind, Source};

/// One run.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operation_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub runbook_key: String,
    pub runbook_version: i32,
    pub scope_kind: ScopeKind,
    pub scope_tenant_id: Option<i64>,
    pub workspace_id: Option<i64>,
    pub active_scope_key: Option<String>,
    pub initiator_id: Option<i64>,
    pub source: Source,
    pub reason_code: ReasonCode,
    pub reason_text: String,
    pub preflight_id: Option<String>,
    pub status: RunStatus,
    pub outcome: Option<Outcome>,
    pub total: i64,
    pub processed: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub skipped: i64,
    pub findings_changed: i64,
    pub cancelled: i64,
    pub retrying: i64,
    pub progressed_at: Option<DateTimeUtc>,
    pub error_summary: Option<String>,
    pub cancel_reason: Option<String>,
    pub cancelled_by: Option<i64>,
    pub retry_of_run_id: Option<i64>,
    pub enqueued_at: Option<DateTimeUtc>,
    pub parameters: Option<Json>,
    pub planned_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    pub options: Option<Json>,
    pub max_failed: Option<i64>,
    pub running: i64,
    pub budget_base: i64,
    pub pause_reason: Option<PauseReason>,
    pub paused_by: Option<i64>,
    pub pause_text: Option<String>,
    pub paused_at: Option<DateTimeUtc>,
    pub pause_episode: i32,
    pub resumed_at: Option<DateTimeUtc>,
    pub active_seconds: i64,
    pub active_since: Option<DateTimeUtc>,
    pub wave: Option<i32>,
    pub gate_ordinal: Option<i64>,
    pub throttle: Option<Json>,
    pub changes_purged_at: Option<DateTimeUtc>,
    pub reverts_run_id: Option<i64>,
    pub conflicts: i64,
    pub counts_as_all_tenants: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
