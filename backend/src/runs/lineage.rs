//! Retry lineage (docs/spec.md §18): which runs retried a run, and which of its failed tenants are
//! still failed — a tenant that a later run of the same lineage (a retry, a retry of that
//! retry, or another retry of the same source) rebuilt is done, and is neither offered nor
//! retried again.

use std::collections::HashMap;

use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::run::{ItemStatus, Outcome, REVERT_VERB, ScopeKind, confirmation_phrase};
use crate::entities::{operation_runs, run_items};
use crate::runbooks::Runbook;

/// A run derived from another: a retry of its failed tenants, or a revert of its changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RetryRef {
    /// The derived run's id.
    pub id: i64,
    /// Its outcome (null while it is active).
    pub outcome: Option<Outcome>,
}

/// The direct retries of each of `run_ids`, oldest first.
pub async fn retried_by(
    db: &impl ConnectionTrait,
    run_ids: &[i64],
) -> Result<HashMap<i64, Vec<RetryRef>>, DbErr> {
    derived_by(db, run_ids, operation_runs::Column::RetryOfRunId).await
}

/// The revert runs of each of `run_ids` (docs/spec.md §15), oldest first. A retry of a revert
/// reverts the same run and counts too.
pub async fn reverted_by(
    db: &impl ConnectionTrait,
    run_ids: &[i64],
) -> Result<HashMap<i64, Vec<RetryRef>>, DbErr> {
    derived_by(db, run_ids, operation_runs::Column::RevertsRunId).await
}

/// The runs whose `source` column names one of `run_ids`, by that run, oldest first.
async fn derived_by(
    db: &impl ConnectionTrait,
    run_ids: &[i64],
    source: operation_runs::Column,
) -> Result<HashMap<i64, Vec<RetryRef>>, DbErr> {
    let mut by_run: HashMap<i64, Vec<RetryRef>> = HashMap::new();
    if run_ids.is_empty() {
        return Ok(by_run);
    }
    let rows: Vec<(i64, Option<i64>, Option<Outcome>)> = operation_runs::Entity::find()
        .select_only()
        .column(operation_runs::Column::Id)
        .column(source)
        .column(operation_runs::Column::Outcome)
        .filter(source.is_in(run_ids.iter().copied()))
        .order_by_asc(operation_runs::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    for (id, of, outcome) in rows {
        if let Some(of) = of {
            by_run.entry(of).or_default().push(RetryRef { id, outcome });
        }
    }
    Ok(by_run)
}

/// The runs of `run_id`'s lineage (its source chain and every retry of any of them) created
/// after it: the retries whose successes settle its failed tenants. Ids only grow along a
/// lineage (a retry is created after its source), so the walk always ends.
async fn later_in_lineage(db: &impl ConnectionTrait, run_id: i64) -> Result<Vec<i64>, DbErr> {
    let mut root = run_id;
    while let Some(Some(of)) = operation_runs::Entity::find_by_id(root)
        .select_only()
        .column(operation_runs::Column::RetryOfRunId)
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
    {
        if of >= root {
            break;
        }
        root = of;
    }
    let mut later = Vec::new();
    let mut frontier = vec![root];
    while !frontier.is_empty() {
        let next: Vec<i64> = operation_runs::Entity::find()
            .select_only()
            .column(operation_runs::Column::Id)
            .filter(operation_runs::Column::RetryOfRunId.is_in(frontier))
            .into_tuple()
            .all(db)
            .await?;
        frontier = next.into_iter().filter(|id| !later.contains(id)).collect();
        later.extend(frontier.iter().copied());
    }
    later.retain(|&id| id > run_id);
    Ok(later)
}

/// The failed items of `run_id` whose tenant no later retry rebuilt.
async fn still_failed(
    db: &impl ConnectionTrait,
    run_id: i64,
) -> Result<Select<run_items::Entity>, DbErr> {
    let mut query = run_items::Entity::find()
        .filter(run_items::Column::RunId.eq(run_id))
        .filter(run_items::Column::Status.eq(ItemStatus::Failed.as_str()));
    let later = later_in_lineage(db, run_id).await?;
    if !later.is_empty() {
        let mut rebuilt = Query::select();
        rebuilt
            .column(run_items::Column::TenantId)
            .from(run_items::Entity)
            .and_where(run_items::Column::RunId.is_in(later))
            .and_where(run_items::Column::Status.eq(ItemStatus::Succeeded.as_str()));
        query = query.filter(run_items::Column::TenantId.not_in_subquery(rebuilt));
    }
    Ok(query)
}

/// What a retry-failed of a run needs confirmed (docs/spec.md §21), shown on the run view as
/// `retry_confirmation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RetryConfirmation {
    /// Whether the retry's `confirmation` must be `phrase`, typed exactly.
    pub required: bool,
    /// The runbook's verb and the tenants to retry, e.g. `CLOSE STALE IN 2 TENANTS`.
    pub phrase: String,
}

/// What a retry-failed of a completed run over a scope of `kind` needs confirmed, with
/// `still_failed` tenants to retry (docs/spec.md §21): a retry of a run over all tenants, a
/// list or a workspace must type the run's verb ([`verb_of`]) and those tenants (`CLOSE STALE
/// IN 2 TENANTS`), also when the run is itself a retry (it keeps its source's kind); a
/// single-tenant run's retry needs no phrase. `retry_failed` checks the typed phrase against
/// this and the run view shows it, so the two cannot differ.
pub fn retry_confirmation(verb: &str, kind: ScopeKind, still_failed: u64) -> RetryConfirmation {
    RetryConfirmation {
        required: kind != ScopeKind::Tenant,
        phrase: confirmation_phrase(verb, still_failed),
    }
}

/// The verb of a run's typed phrases: its runbook's, or `REVERT` for a revert run (and a
/// retry of one).
pub fn verb_of(runbook: &dyn Runbook, reverts_run_id: Option<i64>) -> &'static str {
    match reverts_run_id {
        Some(_) => REVERT_VERB,
        None => runbook.confirmation_verb(),
    }
}

/// How many tenants of `run_id` are still failed.
pub async fn still_failed_count(db: &impl ConnectionTrait, run_id: i64) -> Result<u64, DbErr> {
    still_failed(db, run_id).await?.count(db).await
}

/// One page (keyset on the tenant id, at most `limit`) of the still-failed tenants of `run_id`.
pub async fn still_failed_page(
    db: &impl ConnectionTrait,
    run_id: i64,
    after_tenant_id: i64,
    limit: u64,
) -> Result<Vec<i64>, DbErr> {
    still_failed(db, run_id)
        .await?
        .select_only()
        .column(run_items::Column::TenantId)
        .filter(run_items::Column::TenantId.gt(after_tenant_id))
        .order_by_asc(run_items::Column::TenantId)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

/// The tenants a retry run covers: its items once its fan-out has created them, before that
/// the tenants of its source that are still failed (what the fan-out will create).
pub async fn retry_tenant_ids(
    db: &impl ConnectionTrait,
    run: &operation_runs::Model,
    retry_of: i64,
    limit: u64,
) -> Result<Vec<i64>, DbErr> {
    if run.enqueued_at.is_some() {
        return run_items::Entity::find()
            .select_only()
            .column(run_items::Column::TenantId)
            .filter(run_items::Column::RunId.eq(run.id))
            .order_by_asc(run_items::Column::TenantId)
            .limit(limit)
            .into_tuple()
            .all(db)
            .await;
    }
    still_failed(db, retry_of)
        .await?
        .select_only()
        .column(run_items::Column::TenantId)
        .order_by_asc(run_items::Column::TenantId)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_single_tenant_runs_retry_goes_without_a_phrase_with_the_runbooks_verb() {
        let runbooks = crate::app::runbooks();
        let stale = runbooks.find("findings.stale.close").expect("runbook 2");
        let rebuild = runbooks
            .find("findings.lifecycle.rebuild")
            .expect("runbook 1");
        let needs = |phrase: &str| RetryConfirmation {
            required: true,
            phrase: phrase.into(),
        };
        assert_eq!(
            retry_confirmation(stale.confirmation_verb(), ScopeKind::AllTenants, 2),
            needs("CLOSE STALE IN 2 TENANTS")
        );
        assert_eq!(
            retry_confirmation(rebuild.confirmation_verb(), ScopeKind::AllTenants, 1),
            needs("REBUILD 1 TENANTS")
        );
        assert_eq!(
            retry_confirmation(rebuild.confirmation_verb(), ScopeKind::Tenants, 3),
            needs("REBUILD 3 TENANTS")
        );
        assert!(retry_confirmation(stale.confirmation_verb(), ScopeKind::Workspace, 1).required);
        assert!(!retry_confirmation(stale.confirmation_verb(), ScopeKind::Tenant, 1).required);
        assert_eq!(verb_of(stale, Some(3)), "REVERT");
        assert_eq!(verb_of(stale, None), "CLOSE STALE IN");
    }
}
