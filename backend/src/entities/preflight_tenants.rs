//! `preflight_tenants`: what a preflight found in each tenant of its scope (docs/spec.md §21).

use sea_orm::entity::prelude::*;

/// One tenant of a preflight.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "preflight_tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub preflight_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: i64,
    pub examined: i64,
    pub changed: i64,
    pub changes_by_rule: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
