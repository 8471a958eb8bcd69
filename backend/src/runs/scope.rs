//! Scopes (docs/spec.md §5, §21): a request's [`Scope`] resolved against the database into the
//! [`Target`] a preflight examines and a run covers, and the tenants of a target, page by page.
//!
//! A list or a workspace is fixed when it is resolved: the preflight keeps its tenants in
//! `preflight_tenants`, and a run started from it keeps them in `run_scope_tenants`, so a
//! tenant added to the workspace later never joins a run the operator confirmed without it.

use std::collections::BTreeSet;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::domain::run::{Scope, ScopeKind, Target, TenantList};
use crate::entities::{operation_runs, run_scope_tenants, tenants, workspaces};
use crate::runbooks::Runbook;
use crate::runs::RunError;

/// Ids per `IN (...)` list: well under SQLite's and PostgreSQL's bind limits.
const CHUNK: usize = 1_000;

/// A resolved scope, with the tenant of a single-tenant scope.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The tenants covered.
    pub target: Target,
    /// The tenant of a single-tenant scope.
    pub tenant: Option<tenants::Model>,
}

/// Checks that `scope` is allowed for `runbook` and resolves it: every listed tenant must exist
/// and none may be the platform tenant (a 422 names each bad one); a workspace must exist and
/// hold a targetable tenant.
pub async fn resolve(
    db: &impl ConnectionTrait,
    runbook: &dyn Runbook,
    scope: &Scope,
) -> Result<Resolved, RunError> {
    if !runbook.allowed_scopes().contains(&scope.kind()) {
        return Err(RunError::invalid(
            "scope.kind",
            format!(
                "{} cannot run with scope {}",
                runbook.key(),
                scope.kind().as_str()
            ),
        ));
    }
    let target = match scope {
        Scope::Tenant { tenant_id } => {
            let tenant = match tenants::Entity::find_by_id(*tenant_id).one(db).await? {
                None => {
                    return Err(RunError::invalid(
                        "scope.tenant_id",
                        format!("tenant {tenant_id} does not exist"),
                    ));
                }
                Some(t) if t.external_id == tenants::PLATFORM_EXTERNAL_ID => {
                    return Err(RunError::invalid(
                        "scope.tenant_id",
                        "the platform tenant is never a runbook target",
                    ));
                }
                Some(t) => t,
            };
            return Ok(Resolved {
                target: Target::Tenant(tenant.id),
                tenant: Some(tenant),
            });
        }
        Scope::AllTenants => Target::AllTenants,
        Scope::Tenants { .. } => match scope.tenant_list() {
            Some(list) => Target::Tenants(resolve_list(db, list).await?),
            None => return Err(RunError::invalid("scope", "a tenants scope needs a list")),
        },
        Scope::Workspace { workspace_id } => {
            if workspaces::Entity::find_by_id(*workspace_id)
                .one(db)
                .await?
                .is_none()
            {
                return Err(RunError::invalid(
                    "scope.workspace_id",
                    format!("workspace {workspace_id} does not exist"),
                ));
            }
            let tenant_ids: Vec<i64> = targetable()
                .select_only()
                .column(tenants::Column::Id)
                .filter(tenants::Column::WorkspaceId.eq(*workspace_id))
                .order_by_asc(tenants::Column::Id)
                .into_tuple()
                .all(db)
                .await?;
            if tenant_ids.is_empty() {
                return Err(RunError::invalid(
                    "scope.workspace_id",
                    format!("workspace {workspace_id} has no tenant a runbook can target"),
                ));
            }
            Target::Workspace {
                workspace_id: *workspace_id,
                tenant_ids,
            }
        }
    };
    Ok(Resolved {
        target,
        tenant: None,
    })
}

/// Every tenant but the platform tenant.
fn targetable() -> sea_orm::Select<tenants::Entity> {
    tenants::Entity::find().filter(tenants::Column::ExternalId.ne(tenants::PLATFORM_EXTERNAL_ID))
}

/// The ids of a list, ascending, or a 422 naming every id that does not exist or is the
/// platform tenant.
async fn resolve_list(
    db: &impl ConnectionTrait,
    list: TenantList<'_>,
) -> Result<Vec<i64>, RunError> {
    let lookup = lookup(db, list.clone()).await?;
    let field = match list {
        TenantList::Ids(_) => "scope.tenant_ids",
        TenantList::ExternalIds(_) => "scope.external_ids",
    };
    let mut messages: Vec<String> = lookup
        .missing
        .iter()
        .map(|id| format!("tenant {id} does not exist"))
        .collect();
    if let Some(platform) = &lookup.platform {
        messages.push(format!(
            "tenant {platform} is the platform tenant, never a runbook target"
        ));
    }
    if !messages.is_empty() {
        let detail = format!(
            "{} of the {} listed tenants cannot be targeted: {}",
            messages.len(),
            list.len(),
            messages
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        );
        return Err(RunError::Invalid {
            detail,
            errors: [(field.to_owned(), messages)].into(),
        });
    }
    let mut ids: Vec<i64> = lookup.found.iter().map(|t| t.id).collect();
    ids.sort_unstable();
    Ok(ids)
}

/// What a list of tenants names: the tenants found, the ids not found (as sent), and the
/// platform tenant if listed.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// Targetable tenants found, ascending by id.
    pub found: Vec<tenants::Model>,
    /// Ids (or external ids) that name no tenant, as sent.
    pub missing: Vec<String>,
    /// The platform tenant's id or external id, as sent, if it was listed.
    pub platform: Option<String>,
}

/// Looks a list of tenants up (the console checks pasted ids with it before the preflight).
pub async fn lookup(db: &impl ConnectionTrait, list: TenantList<'_>) -> Result<Lookup, DbErr> {
    let mut out = Lookup::default();
    match list {
        TenantList::Ids(ids) => {
            let mut seen = BTreeSet::new();
            for chunk in ids.chunks(CHUNK) {
                let rows = tenants::Entity::find()
                    .filter(tenants::Column::Id.is_in(chunk.iter().copied()))
                    .all(db)
                    .await?;
                for row in rows {
                    seen.insert(row.id);
                    if row.external_id == tenants::PLATFORM_EXTERNAL_ID {
                        out.platform = Some(row.id.to_string());
                    } else {
                        out.found.push(row);
                    }
                }
            }
            out.missing = ids
                .iter()
                .filter(|id| !seen.contains(id))
                .map(ToString::to_string)
                .collect();
        }
        TenantList::ExternalIds(ids) => {
            let mut seen = BTreeSet::new();
            for chunk in ids.chunks(CHUNK) {
                let rows = tenants::Entity::find()
                    .filter(tenants::Column::ExternalId.is_in(chunk.iter().cloned()))
                    .all(db)
                    .await?;
                for row in rows {
                    seen.insert(row.external_id.clone());
                    if row.external_id == tenants::PLATFORM_EXTERNAL_ID {
                        out.platform = Some(row.external_id);
                    } else {
                        out.found.push(row);
                    }
                }
            }
            out.missing = ids
                .iter()
                .filter(|id| !seen.contains(*id))
                .cloned()
                .collect();
        }
    }
    out.found.sort_by_key(|t| t.id);
    Ok(out)
}

/// Tenants in `target` right now (the platform tenant never counts).
pub async fn count(db: &impl ConnectionTrait, target: &Target) -> Result<u64, DbErr> {
    match target {
        Target::AllTenants => targetable().count(db).await,
        Target::Tenant(_) => Ok(1),
        Target::Tenants(ids)
        | Target::Workspace {
            tenant_ids: ids, ..
        } => Ok(ids.len() as u64),
    }
}

/// Those of `ids` that are not in `target` (canary tenants must be in scope, docs/spec.md §13).
pub async fn outside(
    db: &impl ConnectionTrait,
    target: &Target,
    ids: &[i64],
) -> Result<Vec<i64>, DbErr> {
    match target {
        Target::AllTenants => {
            let inside: std::collections::HashSet<i64> = targetable()
                .select_only()
                .column(tenants::Column::Id)
                .filter(tenants::Column::Id.is_in(ids.to_vec()))
                .into_tuple::<i64>()
                .all(db)
                .await?
                .into_iter()
                .collect();
            Ok(ids
                .iter()
                .copied()
                .filter(|id| !inside.contains(id))
                .collect())
        }
        Target::Tenant(only) => Ok(ids.iter().copied().filter(|id| id != only).collect()),
        Target::Tenants(listed)
        | Target::Workspace {
            tenant_ids: listed, ..
        } => Ok(ids
            .iter()
            .copied()
            .filter(|id| listed.binary_search(id).is_err())
            .collect()),
    }
}

/// One page of tenant ids in `target` after `after` (keyset), at most `limit`.
pub async fn page(
    db: &impl ConnectionTrait,
    target: &Target,
    after: i64,
    limit: u64,
) -> Result<Vec<i64>, DbErr> {
    match target {
        Target::AllTenants => {
            targetable()
                .select_only()
                .column(tenants::Column::Id)
                .filter(tenants::Column::Id.gt(after))
                .order_by_asc(tenants::Column::Id)
                .limit(limit)
                .into_tuple::<i64>()
                .all(db)
                .await
        }
        Target::Tenant(id) => Ok(if *id > after { vec![*id] } else { vec![] }),
        Target::Tenants(ids)
        | Target::Workspace {
            tenant_ids: ids, ..
        } => {
            let from = ids.partition_point(|&id| id <= after);
            Ok(ids[from..].iter().take(limit as usize).copied().collect())
        }
    }
}

/// Records the tenants of a list or workspace run (in the start's transaction).
pub async fn store_run_tenants(
    db: &impl ConnectionTrait,
    run_id: i64,
    tenant_ids: &[i64],
) -> Result<(), DbErr> {
    for chunk in tenant_ids.chunks(CHUNK) {
        run_scope_tenants::Entity::insert_many(chunk.iter().map(|&tenant_id| {
            run_scope_tenants::ActiveModel {
                run_id: Set(run_id),
                tenant_id: Set(tenant_id),
            }
        }))
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// The tenants recorded for a run, ascending.
pub async fn run_tenants(db: &impl ConnectionTrait, run_id: i64) -> Result<Vec<i64>, DbErr> {
    run_scope_tenants::Entity::find()
        .select_only()
        .column(run_scope_tenants::Column::TenantId)
        .filter(run_scope_tenants::Column::RunId.eq(run_id))
        .order_by_asc(run_scope_tenants::Column::TenantId)
        .into_tuple()
        .all(db)
        .await
}

/// The target of a stored run, for the start's overlap check and the fan-out. A derived run
/// (a retry) covers the tenants recorded at its start; one recorded before those were kept
/// counts, conservatively, as all tenants.
pub async fn of_run(
    db: &impl ConnectionTrait,
    run: &operation_runs::Model,
) -> Result<Target, DbErr> {
    let corrupt = || {
        DbErr::Custom(format!(
            "run {} has an invalid scope ({})",
            run.id,
            run.scope_kind.as_str()
        ))
    };
    // A derived run (a retry, a revert) covers the tenants stored with it.
    if run.retry_of_run_id.is_some() || run.reverts_run_id.is_some() {
        let ids = run_tenants(db, run.id).await?;
        return Ok(if ids.is_empty() {
            Target::AllTenants
        } else {
            Target::Tenants(ids)
        });
    }
    Ok(match (run.scope_kind, run.scope_tenant_id) {
        (ScopeKind::Tenant, Some(id)) => Target::Tenant(id),
        (ScopeKind::AllTenants, None) => Target::AllTenants,
        (ScopeKind::Tenants, None) => Target::Tenants(run_tenants(db, run.id).await?),
        (ScopeKind::Workspace, None) => Target::Workspace {
            workspace_id: run.workspace_id.ok_or_else(corrupt)?,
            tenant_ids: run_tenants(db, run.id).await?,
        },
        _ => return Err(corrupt()),
    })
}
