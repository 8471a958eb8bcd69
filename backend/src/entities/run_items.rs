//! `run_items`: one row per tenant in a run's scope.

use sea_orm::entity::prelude::*;

use crate::domain::run::ItemStatus;

/// One tenant's item.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "run_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    pub tenant_id: i64,
    pub status: ItemStatus,
    pub attempts: i32,
    pub findings_examined: i64,
    pub findings_changed: i64,
    pub changes_by_rule: Option<Json>,
    pub last_error: Option<String>,
    pub error_sqlstate: Option<String>,
    pub next_attempt_at: Option<DateTimeUtc>,
    pub started_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub ordinal: Option<i64>,
    pub predicted_changes: Option<i64>,
    pub conflicts: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
