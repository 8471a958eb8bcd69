//! `preflights`: what an operator saw before confirming a start (valid 15 minutes).

use sea_orm::entity::prelude::*;

use crate::domain::run::ScopeKind;

/// One preflight.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "preflights")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub runbook_key: String,
    pub scope_kind: ScopeKind,
    pub scope_tenant_id: Option<i64>,
    pub tenants_in_scope: i64,
    pub summary: Json,
    pub operator_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub parameters: Option<Json>,
    pub scope_workspace_id: Option<i64>,
    /// For a revert preflight: the run it would revert (docs/spec.md §15).
    pub reverts_run_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
