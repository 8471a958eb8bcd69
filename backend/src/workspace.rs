//! Customer-plane reads, always scoped to the caller's workspace: its tenants (never the
//! platform tenant) and their findings. A tenant of another workspace is indistinguishable
//! from one that does not exist.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::entities::tenants::PLATFORM_EXTERNAL_ID;
use crate::entities::{findings, tenants};

/// One page of the workspace's tenants (by id) and the total count.
pub async fn list_tenants(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    offset: u64,
    limit: u64,
) -> Result<(Vec<tenants::Model>, u64), DbErr> {
    let query = tenants::Entity::find()
        .filter(tenants::Column::WorkspaceId.eq(workspace_id))
        .filter(tenants::Column::ExternalId.ne(PLATFORM_EXTERNAL_ID));
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(tenants::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// The tenant `tenant_id` if it belongs to `workspace_id` (and is not the platform tenant).
pub async fn find_tenant(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    tenant_id: i64,
) -> Result<Option<tenants::Model>, DbErr> {
    tenants::Entity::find_by_id(tenant_id)
        .filter(tenants::Column::WorkspaceId.eq(workspace_id))
        .filter(tenants::Column::ExternalId.ne(PLATFORM_EXTERNAL_ID))
        .one(db)
        .await
}

/// One page of a tenant's findings (by id) and the total; `None` when the tenant is not the
/// workspace's.
pub async fn list_findings(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    tenant_id: i64,
    offset: u64,
    limit: u64,
) -> Result<Option<(Vec<findings::Model>, u64)>, DbErr> {
    if find_tenant(db, workspace_id, tenant_id).await?.is_none() {
        return Ok(None);
    }
    let query = findings::Entity::find().filter(findings::Column::TenantId.eq(tenant_id));
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(findings::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok(Some((rows, total)))
}
