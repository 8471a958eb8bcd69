//! Runbook 2: Close Stale Findings (`findings.stale.close`, docs/spec.md §12).
//!
//! Closes open findings of the chosen severities that nobody has seen since
//! `last_seen_before` ([`rules::close_stale`], rule `S1`), with `closed_at` = the run's
//! `planned_at`. Reads a tenant's open findings in id-ordered batches and closes the stale ones
//! with one `UPDATE ... WHERE id IN (...)` per batch, so memory stays bounded.

pub mod rules;

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::run::ScopeKind;
use crate::entities::findings;
use crate::runbooks::{
    ChangeLog, ChangedRow, ParameterErrors, Plan, RestoreReport, RuleInfo, Runbook, TenantReport,
    parameters_object, restore_findings,
};
use rules::{Criteria, Finding};

/// The runbook.
#[derive(Debug, Clone, Copy)]
pub struct CloseStaleFindings;

/// Its key.
pub const KEY: &str = "findings.stale.close";

/// Open findings read per query.
const BATCH_ROWS: u64 = 2_000;

const RULES: &[RuleInfo] = &[RuleInfo {
    key: "S1",
    name: "close_stale",
    description: "open findings of the chosen severities last seen before the cutoff are closed as stale, at the preflight's instant",
}];

/// A finding severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// `low`
    Low,
    /// `medium`
    Medium,
    /// `high`
    High,
    /// `critical`
    Critical,
}

impl Severity {
    /// All four, in order.
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The column value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The parameters of Close Stale Findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseStaleParameters {
    /// Findings whose `coalesce(last_seen_at, first_seen_at, created_at)` is before this
    /// instant are closed. RFC 3339; must be in the past when the preflight is made.
    pub last_seen_before: DateTime<Utc>,
    /// The severities to close: a non-empty subset of `low`, `medium`, `high`, `critical`
    /// (default: all four).
    #[schema(inline, min_items = 1)]
    #[serde(default = "all_severities")]
    pub severities: Vec<Severity>,
}

fn all_severities() -> Vec<Severity> {
    Severity::ALL.to_vec()
}

impl CloseStaleParameters {
    /// Parses a request's parameters as of `now`, naming each bad field.
    pub fn parse(raw: &serde_json::Value, now: DateTime<Utc>) -> Result<Self, ParameterErrors> {
        let mut errors = ParameterErrors::default();
        let object = parameters_object(raw, &["last_seen_before", "severities"], &mut errors);
        let last_seen_before = match object.get("last_seen_before") {
            None | Some(serde_json::Value::Null) => {
                errors.add(
                    "last_seen_before",
                    "required: an RFC 3339 instant in the past",
                );
                None
            }
            Some(value) => match value.as_str().map(DateTime::parse_from_rfc3339) {
                Some(Ok(at)) if at.with_timezone(&Utc) < now => Some(at.with_timezone(&Utc)),
                Some(Ok(_)) => {
                    errors.add("last_seen_before", "must be in the past");
                    None
                }
                _ => {
                    errors.add(
                        "last_seen_before",
                        "must be an RFC 3339 instant, e.g. 2026-01-31T00:00:00Z",
                    );
                    None
                }
            },
        };
        let severities = match object.get("severities") {
            None | Some(serde_json::Value::Null) => Severity::ALL.to_vec(),
            Some(serde_json::Value::Array(items)) if items.is_empty() => {
                errors.add("severities", "must name at least one severity");
                Vec::new()
            }
            Some(serde_json::Value::Array(items)) => {
                let mut parsed: Vec<Severity> = Vec::new();
                for item in items {
                    match item.as_str().and_then(Severity::parse) {
                        Some(s) => parsed.push(s),
                        None => errors.add(
                            "severities",
                            format!(
                                "unknown severity {item}; expected low, medium, high or critical"
                            ),
                        ),
                    }
                }
                parsed.sort();
                parsed.dedup();
                parsed
            }
            Some(_) => {
                errors.add("severities", "must be an array of severities");
                Vec::new()
            }
        };
        match last_seen_before {
            Some(last_seen_before) if errors.0.is_empty() => Ok(Self {
                last_seen_before,
                severities,
            }),
            _ => Err(errors),
        }
    }

    /// The canonical JSON form (instants in UTC with `Z`, severities sorted).
    pub fn canonical(&self) -> serde_json::Value {
        serde_json::json!({
            "last_seen_before": self.last_seen_before.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            "severities": self.severities,
        })
    }

    fn criteria(&self) -> Criteria {
        Criteria {
            last_seen_before: self.last_seen_before,
            severities: self
                .severities
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
        }
    }
}

/// The criteria of a run's canonical parameters. They were parsed at the edge; a stored value
/// that no longer parses (edited by hand) fails the tenant rather than guessing.
fn criteria_of(plan: &Plan<'_>) -> Result<Criteria, DbErr> {
    serde_json::from_value::<CloseStaleParameters>(plan.parameters.clone())
        .map(|p| p.criteria())
        .map_err(|e| DbErr::Custom(format!("invalid stored parameters of {KEY}: {e}")))
}

fn to_finding(m: findings::Model) -> Finding {
    Finding {
        id: m.id,
        tenant_id: m.tenant_id,
        severity: m.severity,
        status: m.status,
        first_seen_at: m.first_seen_at,
        last_seen_at: m.last_seen_at,
        created_at: m.created_at,
        closed_at: m.closed_at,
        closed_reason: m.closed_reason,
    }
}

/// One batch of the tenant's closable findings after `after_id`, in id order; with
/// `for_update`, locked for the writing transaction on PostgreSQL (docs/spec.md §19: a row the
/// host application is updating is read once it has committed).
async fn batch(
    db: &impl ConnectionTrait,
    for_update: bool,
    tenant_id: i64,
    after_id: i64,
) -> Result<Vec<Finding>, DbErr> {
    let mut query = findings::Entity::find()
        .filter(findings::Column::TenantId.eq(tenant_id))
        .filter(findings::Column::Status.is_in(rules::CLOSABLE))
        .filter(findings::Column::Id.gt(after_id))
        .order_by_asc(findings::Column::Id)
        .limit(BATCH_ROWS);
    if for_update && db.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    Ok(query.all(db).await?.into_iter().map(to_finding).collect())
}

/// Walks the tenant's closable findings, applying S1; with `txn`, writes the closures.
async fn apply(
    db: &impl ConnectionTrait,
    log: Option<&ChangeLog>,
    tenant_id: i64,
    plan: &Plan<'_>,
    sample_limit: usize,
) -> Result<TenantReport, DbErr> {
    let write = log.is_some();
    let criteria = criteria_of(plan)?;
    let mut report = TenantReport::default();
    let mut after_id = 0;
    loop {
        let rows = batch(db, write, tenant_id, after_id).await?;
        let Some(last) = rows.last() else { break };
        after_id = last.id;
        report.examined += rows.len() as u64;
        // Closed rows by which of `closed_reason` and `closed_at` change (`status` always
        // does): only changed columns are written.
        let mut closed: BTreeMap<(bool, bool), Vec<i64>> = BTreeMap::new();
        let mut logged = Vec::new();
        for row in &rows {
            if let Some(after) = rules::close_stale(row, &criteria, plan.planned_at) {
                if write {
                    logged.push(ChangedRow::between(
                        row.id,
                        vec!["S1".to_owned()],
                        &serde_json::to_value(row).map_err(|e| DbErr::Custom(e.to_string()))?,
                        &serde_json::to_value(&after).map_err(|e| DbErr::Custom(e.to_string()))?,
                    ));
                }
                if report.sample.len() < sample_limit {
                    report.sample.push(serde_json::json!({
                        "finding_id": row.id,
                        "tenant_id": row.tenant_id,
                        "rules": ["S1"],
                        // Unchanged, but why S1 applies: shown beside the changed fields.
                        "context": ["severity", "last_seen_at", "first_seen_at", "created_at"],
                        "before": row,
                        "after": after,
                    }));
                }
                closed
                    .entry((
                        row.closed_reason != after.closed_reason,
                        row.closed_at != after.closed_at,
                    ))
                    .or_default()
                    .push(row.id);
            }
        }
        report.changed += closed.values().map(|ids| ids.len() as u64).sum::<u64>();
        for ((reason_changes, at_changes), ids) in closed.into_iter().filter(|_| write) {
            let mut update = findings::Entity::update_many()
                .col_expr(findings::Column::Status, Expr::value("closed"));
            if reason_changes {
                update =
                    update.col_expr(findings::Column::ClosedReason, Expr::value(rules::REASON));
            }
            if at_changes {
                update = update.col_expr(findings::Column::ClosedAt, Expr::value(plan.planned_at));
            }
            update
                .filter(findings::Column::Id.is_in(ids))
                .exec(db)
                .await?;
        }
        if let Some(log) = log {
            log.record(db, &logged).await?;
        }
        if (rows.len() as u64) < BATCH_ROWS {
            break;
        }
    }
    report.changes_by_rule = BTreeMap::from([("S1".to_owned(), report.changed)]);
    Ok(report)
}

#[async_trait::async_trait]
impl Runbook for CloseStaleFindings {
    fn key(&self) -> &'static str {
        KEY
    }

    fn title(&self) -> &'static str {
        "Close Stale Findings"
    }

    fn description(&self) -> &'static str {
        "Closes open findings of the chosen severities that have not been seen since a cutoff \
         (closed_reason 'stale', closed_at = the preflight's instant). Writes only status, \
         closed_reason and closed_at; idempotent."
    }

    fn version(&self) -> i32 {
        1
    }

    fn allowed_scopes(&self) -> &'static [ScopeKind] {
        &[
            ScopeKind::Tenant,
            ScopeKind::AllTenants,
            ScopeKind::Tenants,
            ScopeKind::Workspace,
        ]
    }

    fn run_on_deploy(&self) -> bool {
        false
    }

    fn rules(&self) -> &'static [RuleInfo] {
        RULES
    }

    fn tables_written(&self) -> &'static [&'static str] {
        &["findings"]
    }

    fn confirmation_verb(&self) -> &'static str {
        "CLOSE STALE IN"
    }

    fn parameters_schema(&self) -> serde_json::Value {
        use utoipa::PartialSchema;
        serde_json::to_value(CloseStaleParameters::schema()).unwrap_or_default()
    }

    fn parse_parameters(
        &self,
        raw: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<serde_json::Value, ParameterErrors> {
        CloseStaleParameters::parse(raw, now).map(|p| p.canonical())
    }

    async fn preflight_tenant(
        &self,
        db: &DatabaseConnection,
        tenant_id: i64,
        plan: &Plan<'_>,
        sample_limit: usize,
    ) -> Result<TenantReport, DbErr> {
        apply(db, None, tenant_id, plan, sample_limit).await
    }

    async fn execute_tenant(
        &self,
        txn: &DatabaseTransaction,
        tenant_id: i64,
        plan: &Plan<'_>,
        log: &ChangeLog,
    ) -> Result<TenantReport, DbErr> {
        apply(txn, Some(log), tenant_id, plan, 0).await
    }

    async fn check_restore(
        &self,
        db: &DatabaseConnection,
        tenant_id: i64,
        rows: &[ChangedRow],
        sample_limit: usize,
    ) -> Result<RestoreReport, DbErr> {
        restore_findings(db, tenant_id, rows, None, sample_limit).await
    }

    async fn restore(
        &self,
        txn: &DatabaseTransaction,
        tenant_id: i64,
        rows: &[ChangedRow],
        log: &ChangeLog,
    ) -> Result<RestoreReport, DbErr> {
        restore_findings(txn, tenant_id, rows, Some(log), 0).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0)
            .single()
            .expect("time")
    }

    fn fields(err: ParameterErrors) -> Vec<String> {
        err.0.into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn parameters_are_parsed_to_one_canonical_form() {
        let p = CloseStaleFindings
            .parse_parameters(
                &json!({"last_seen_before": "2026-10-01T02:00:00+02:00", "severities": ["high", "low", "high"]}),
                now(),
            )
            .expect("valid");
        assert_eq!(
            p,
            json!({"last_seen_before": "2026-10-01T00:00:00Z", "severities": ["low", "high"]})
        );
        let defaults = CloseStaleFindings
            .parse_parameters(&json!({"last_seen_before": "2026-10-01T00:00:00Z"}), now())
            .expect("valid");
        assert_eq!(
            defaults["severities"],
            json!(["low", "medium", "high", "critical"])
        );
    }

    #[test]
    fn bad_parameters_name_their_field() {
        let bad = |raw: serde_json::Value| {
            fields(
                CloseStaleFindings
                    .parse_parameters(&raw, now())
                    .expect_err("invalid"),
            )
        };
        assert_eq!(bad(json!({})), ["parameters.last_seen_before"]);
        assert_eq!(
            bad(json!({"last_seen_before": "2027-01-01T00:00:00Z"})),
            ["parameters.last_seen_before"]
        );
        assert_eq!(
            bad(json!({"last_seen_before": 12})),
            ["parameters.last_seen_before"]
        );
        assert_eq!(
            bad(json!({"last_seen_before": "2026-01-01T00:00:00Z", "severities": []})),
            ["parameters.severities"]
        );
        assert_eq!(
            bad(json!({"last_seen_before": "2026-01-01T00:00:00Z", "severities": ["urgent"]})),
            ["parameters.severities"]
        );
        assert_eq!(
            bad(json!({"last_seen_before": "2026-01-01T00:00:00Z", "color": "red"})),
            ["parameters.color"]
        );
        assert_eq!(
            bad(json!([1])),
            ["parameters", "parameters.last_seen_before"]
        );
    }

    #[test]
    fn the_schema_describes_both_parameters() {
        let schema = CloseStaleFindings.parameters_schema();
        assert_eq!(schema["required"], json!(["last_seen_before"]));
        assert_eq!(
            schema["properties"]["last_seen_before"]["format"],
            "date-time"
        );
        assert!(schema["properties"]["severities"].is_object(), "{schema}");
    }
}
