//! `audit_events`: the append-only audit log.

use sea_orm::entity::prelude::*;

/// One audit event.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub action: String,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_label: Option<String>,
    pub source: Option<String>,
    pub ip: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub metadata: Json,
    pub request_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
