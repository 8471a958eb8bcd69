//! `tenants` (host table, docs/spec.md §1).

use sea_orm::entity::prelude::*;

/// The platform tenant's `external_id`: never in any runbook's scope.
pub const PLATFORM_EXTERNAL_ID: &str = "platform";

/// A tenant of a workspace.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    #[sea_orm(unique)]
    pub external_id: String,
    pub name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
