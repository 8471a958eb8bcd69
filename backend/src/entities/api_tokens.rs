//! `api_tokens`: operator API tokens (the JWT itself is never stored; `jti` identifies it).

use sea_orm::entity::prelude::*;

/// One API token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub operator_id: i64,
    pub name: String,
    #[sea_orm(unique)]
    pub jti: String,
    pub capabilities: Json,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The token's operator (read together with the token when authenticating).
    #[sea_orm(
        belongs_to = "super::operators::Entity",
        from = "Column::OperatorId",
        to = "super::operators::Column::Id"
    )]
    Operator,
}

impl Related<super::operators::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Operator.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
