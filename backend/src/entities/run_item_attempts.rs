//! `run_item_attempts`: one row per attempt of a run item's tenant job (docs/spec.md §21).

use sea_orm::entity::prelude::*;

/// One attempt of one item.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "run_item_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_item_id: i64,
    pub run_id: i64,
    pub attempt: i32,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub error: Option<String>,
    pub error_sqlstate: Option<String>,
    pub worker: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
