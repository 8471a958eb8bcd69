//! `findings` (host table, docs/spec.md §1).

use sea_orm::entity::prelude::*;

/// One finding of a tenant.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "findings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub recurrence_key: String,
    pub severity: String,
    pub status: String,
    pub first_seen_at: Option<DateTimeUtc>,
    pub last_seen_at: Option<DateTimeUtc>,
    pub times_seen: Option<i32>,
    pub due_at: Option<DateTimeUtc>,
    pub triaged_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub closed_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
