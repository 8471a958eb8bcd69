//! Reading a tenant's findings in bounded batches and writing changes back in bulk.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Value,
};

use super::rules::{Finding, FindingChange};
use crate::entities::findings;

/// Rows read per query; a batch may exceed it only by one recurrence-key group.
const BATCH_ROWS: u64 = 2_000;
/// Rows per bulk `UPDATE` (10 bound values each, under SQLite's 32,766-variable limit).
const WRITE_ROWS: usize = 500;

/// Walks one tenant's findings in batches of whole recurrence-key groups, by keyset on the key.
pub struct GroupBatches {
    tenant_id: i64,
    after_key: Option<String>,
    done: bool,
}

impl GroupBatches {
    /// Starts at the tenant's first recurrence key.
    pub fn new(tenant_id: i64) -> Self {
        Self {
            tenant_id,
            after_key: None,
            done: false,
        }
    }

    /// The next batch, or `None` when the tenant is exhausted.
    pub async fn next(&mut self, db: &impl ConnectionTrait) -> Result<Option<Vec<Finding>>, DbErr> {
        if self.done {
            return Ok(None);
        }
        let mut query =
            findings::Entity::find().filter(findings::Column::TenantId.eq(self.tenant_id));
        if let Some(after) = &self.after_key {
            query = query.filter(findings::Column::RecurrenceKey.gt(after.clone()));
        }
        let mut rows = query
            .order_by_asc(findings::Column::RecurrenceKey)
            .order_by_asc(findings::Column::Id)
            .limit(BATCH_ROWS)
            .all(db)
            .await?;
        if (rows.len() as u64) < BATCH_ROWS {
            self.done = true;
            return Ok((!rows.is_empty()).then(|| rows.into_iter().map(to_rule).collect()));
        }
        // A full page may end inside a group: hand out only the complete groups, and read the
        // cut group again from its start next time.
        let last_key = rows
            .last()
            .map(|r| r.recurrence_key.clone())
            .unwrap_or_default();
        let complete = rows
            .iter()
            .take_while(|r| r.recurrence_key != last_key)
            .count();
        if complete == 0 {
            // One group fills the page: read the whole group.
            rows = findings::Entity::find()
                .filter(findings::Column::TenantId.eq(self.tenant_id))
                .filter(findings::Column::RecurrenceKey.eq(last_key.clone()))
                .order_by_asc(findings::Column::Id)
                .all(db)
                .await?;
            self.after_key = Some(last_key);
        } else {
            rows.truncate(complete);
            self.after_key = rows.last().map(|r| r.recurrence_key.clone());
        }
        Ok(Some(rows.into_iter().map(to_rule).collect()))
    }
}

fn to_rule(m: findings::Model) -> Finding {
    Finding {
        id: m.id,
        tenant_id: m.tenant_id,
        recurrence_key: m.recurrence_key,
        severity: m.severity,
        status: m.status,
        first_seen_at: m.first_seen_at,
        last_seen_at: m.last_seen_at,
        times_seen: m.times_seen,
        due_at: m.due_at,
        triaged_at: m.triaged_at,
        resolved_at: m.resolved_at,
        closed_at: m.closed_at,
        closed_reason: m.closed_reason,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

/// Writes the changed columns of `changes` with one `UPDATE ... FROM (VALUES ...)` per chunk.
/// Only the columns the rules may change are written; `updated_at`, `created_at`, `severity`,
/// `recurrence_key` and `tenant_id` never are.
pub async fn write_changes(
    db: &impl ConnectionTrait,
    changes: &[FindingChange],
) -> Result<(), DbErr> {
    const COLS: [&str; 10] = [
        "id",
        "status",
        "first_seen_at",
        "last_seen_at",
        "times_seen",
        "due_at",
        "triaged_at",
        "resolved_at",
        "closed_at",
        "closed_reason",
    ];
    let backend = db.get_database_backend();
    for chunk in changes.chunks(WRITE_ROWS) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * COLS.len());
        let mut tuples = Vec::with_capacity(chunk.len());
        for change in chunk {
            let f = &change.after;
            let start = values.len();
            values.extend([
                f.id.into(),
                f.status.clone().into(),
                f.first_seen_at.into(),
                f.last_seen_at.into(),
                f.times_seen.into(),
                f.due_at.into(),
                f.triaged_at.into(),
                f.resolved_at.into(),
                f.closed_at.into(),
                f.closed_reason.clone().into(),
            ]);
            tuples.push(format!("({})", vec!["?"; values.len() - start].join(", ")));
        }
        let set = COLS[1..]
            .iter()
            .map(|c| format!("{c} = v.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "WITH v ({cols}) AS (VALUES {tuples}) UPDATE findings SET {set} FROM v WHERE findings.id = v.id",
            cols = COLS.join(", "),
            tuples = tuples.join(", "),
        );
        db.execute_raw(crate::db::stmt(backend, &sql, values))
            .await?;
    }
    Ok(())
}
