//! Reading a tenant's findings in bounded batches and writing changes back in bulk.
//!
//! Safe beside the host application's own writes (docs/spec.md §19): when executing, a batch is
//! read `FOR UPDATE` on PostgreSQL (SQLite's `BEGIN IMMEDIATE` already excludes other writers),
//! so a row the host is updating is read only once the host has committed, and rebuilt from
//! that version; and only the columns whose value changes are written, so a column the rebuild
//! leaves alone is never assigned at all.

use chrono::SecondsFormat;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select,
};
use serde::Serialize;

use super::rules::{Finding, FindingChange, Ts};
use crate::entities::findings;

/// Rows read per query; a batch may exceed it only by one recurrence-key group.
const BATCH_ROWS: u64 = 2_000;

/// Walks one tenant's findings in batches of whole recurrence-key groups, by keyset on the key.
pub struct GroupBatches {
    tenant_id: i64,
    after_key: Option<String>,
    done: bool,
    for_update: bool,
}

impl GroupBatches {
    /// Starts at the tenant's first recurrence key, reading without locks (preflight).
    pub fn new(tenant_id: i64) -> Self {
        Self {
            tenant_id,
            after_key: None,
            done: false,
            for_update: false,
        }
    }

    /// Starts at the tenant's first recurrence key, locking each batch's rows for the
    /// transaction that will write them (execution).
    pub fn for_update(tenant_id: i64) -> Self {
        Self {
            for_update: true,
            ..Self::new(tenant_id)
        }
    }

    /// The next batch, or `None` when the tenant is exhausted.
    pub async fn next(&mut self, db: &impl ConnectionTrait) -> Result<Option<Vec<Finding>>, DbErr> {
        if self.done {
            return Ok(None);
        }
        let mut query = select(self.tenant_id);
        if let Some(after) = &self.after_key {
            query = query.filter(findings::Column::RecurrenceKey.gt(after.clone()));
        }
        let mut rows = read(
            db,
            self.for_update,
            query
                .order_by_asc(findings::Column::RecurrenceKey)
                .order_by_asc(findings::Column::Id)
                .limit(BATCH_ROWS),
        )
        .await?;
        if (rows.len() as u64) < BATCH_ROWS {
            self.done = true;
            return Ok((!rows.is_empty()).then_some(rows));
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
            rows = read(
                db,
                self.for_update,
                select(self.tenant_id)
                    .filter(findings::Column::RecurrenceKey.eq(last_key.clone()))
                    .order_by_asc(findings::Column::Id),
            )
            .await?;
            self.after_key = Some(last_key);
        } else {
            rows.truncate(complete);
            self.after_key = rows.last().map(|r| r.recurrence_key.clone());
        }
        Ok(Some(rows))
    }
}

/// The columns [`read`] decodes, in this order.
const COLUMNS: [findings::Column; 15] = [
    findings::Column::Id,
    findings::Column::TenantId,
    findings::Column::RecurrenceKey,
    findings::Column::Severity,
    findings::Column::Status,
    findings::Column::FirstSeenAt,
    findings::Column::LastSeenAt,
    findings::Column::TimesSeen,
    findings::Column::DueAt,
    findings::Column::TriagedAt,
    findings::Column::ResolvedAt,
    findings::Column::ClosedAt,
    findings::Column::ClosedReason,
    findings::Column::CreatedAt,
    findings::Column::UpdatedAt,
];

fn select(tenant_id: i64) -> Select<findings::Entity> {
    findings::Entity::find()
        .select_only()
        .columns(COLUMNS)
        .filter(findings::Column::TenantId.eq(tenant_id))
}

/// Runs `query` and decodes its rows straight into [`Finding`]s by column position (decoding
/// an entity model looks every column up by name, which was most of the per-row cost).
async fn read(
    db: &impl ConnectionTrait,
    for_update: bool,
    mut query: Select<findings::Entity>,
) -> Result<Vec<Finding>, DbErr> {
    let backend = db.get_database_backend();
    if for_update && backend == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let rows = db.query_all_raw(query.build(backend)).await?;
    rows.iter()
        .map(|r| {
            Ok(Finding {
                id: r.try_get_by_index(0)?,
                tenant_id: r.try_get_by_index(1)?,
                recurrence_key: r.try_get_by_index(2)?,
                severity: r.try_get_by_index(3)?,
                status: r.try_get_by_index(4)?,
                first_seen_at: r.try_get_by_index(5)?,
                last_seen_at: r.try_get_by_index(6)?,
                times_seen: r.try_get_by_index(7)?,
                due_at: r.try_get_by_index(8)?,
                triaged_at: r.try_get_by_index(9)?,
                resolved_at: r.try_get_by_index(10)?,
                closed_at: r.try_get_by_index(11)?,
                closed_reason: r.try_get_by_index(12)?,
                created_at: r.try_get_by_index(13)?,
                updated_at: r.try_get_by_index(14)?,
            })
        })
        .collect()
}

/// The writable columns of one changed finding, as one element of the JSON array that
/// [`write_changes`] binds. Timestamps are written the way sqlx binds them on SQLite (RFC 3339
/// with `+00:00`), so a SQLite column keeps one text format; PostgreSQL parses them.
#[derive(Serialize)]
struct Row<'a> {
    id: i64,
    status: &'a str,
    #[serde(serialize_with = "ts")]
    first_seen_at: Option<Ts>,
    #[serde(serialize_with = "ts")]
    last_seen_at: Option<Ts>,
    times_seen: Option<i32>,
    #[serde(serialize_with = "ts")]
    due_at: Option<Ts>,
    #[serde(serialize_with = "ts")]
    triaged_at: Option<Ts>,
    #[serde(serialize_with = "ts")]
    resolved_at: Option<Ts>,
    #[serde(serialize_with = "ts")]
    closed_at: Option<Ts>,
    closed_reason: Option<&'a str>,
}

fn ts<S: serde::Serializer>(value: &Option<Ts>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(t) => s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, false)),
        None => s.serialize_none(),
    }
}

/// The columns the rules may change, in the order of [`Row`] (PostgreSQL type of each).
const WRITABLE: [(&str, &str); 9] = [
    ("status", "text"),
    ("first_seen_at", "timestamptz"),
    ("last_seen_at", "timestamptz"),
    ("times_seen", "integer"),
    ("due_at", "timestamptz"),
    ("triaged_at", "timestamptz"),
    ("resolved_at", "timestamptz"),
    ("closed_at", "timestamptz"),
    ("closed_reason", "text"),
];

/// Which of [`WRITABLE`] differ between `before` and `after`, one bit each.
fn changed_columns(before: &Finding, after: &Finding) -> u16 {
    [
        before.status != after.status,
        before.first_seen_at != after.first_seen_at,
        before.last_seen_at != after.last_seen_at,
        before.times_seen != after.times_seen,
        before.due_at != after.due_at,
        before.triaged_at != after.triaged_at,
        before.resolved_at != after.resolved_at,
        before.closed_at != after.closed_at,
        before.closed_reason != after.closed_reason,
    ]
    .iter()
    .enumerate()
    .fold(0, |mask, (i, &changed)| mask | (u16::from(changed) << i))
}

/// Writes `changes` back, assigning only the columns whose value changes: the rows are grouped
/// by their set of changed columns (a handful per batch), and each group is one `UPDATE ...
/// FROM` over a single JSON parameter — one round trip per group, and a SQL text per column set
/// that the connection's statement cache prepares once (a `VALUES` list of bound values per row
/// would be a new, slow-to-plan statement for every row count). `updated_at`, `created_at`,
/// `severity`, `recurrence_key` and `tenant_id` are never written.
pub async fn write_changes(
    db: &impl ConnectionTrait,
    changes: &[FindingChange],
) -> Result<(), DbErr> {
    let mut groups: std::collections::BTreeMap<u16, Vec<Row<'_>>> = Default::default();
    for change in changes {
        let mask = changed_columns(&change.before, &change.after);
        if mask == 0 {
            continue;
        }
        let f = &change.after;
        groups.entry(mask).or_default().push(Row {
            id: f.id,
            status: &f.status,
            first_seen_at: f.first_seen_at,
            last_seen_at: f.last_seen_at,
            times_seen: f.times_seen,
            due_at: f.due_at,
            triaged_at: f.triaged_at,
            resolved_at: f.resolved_at,
            closed_at: f.closed_at,
            closed_reason: f.closed_reason.as_deref(),
        });
    }
    let backend = db.get_database_backend();
    for (mask, rows) in groups {
        let json = serde_json::to_string(&rows).map_err(|e| DbErr::Custom(e.to_string()))?;
        crate::db::exec(db, &update_sql(backend, mask), vec![json.into()]).await?;
    }
    Ok(())
}

/// The `UPDATE ... FROM` of one set of changed columns.
fn update_sql(backend: DbBackend, mask: u16) -> String {
    let set = WRITABLE
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, (col, _))| format!("{col} = v.{col}"))
        .collect::<Vec<_>>()
        .join(", ");
    match backend {
        DbBackend::Postgres => {
            let types = WRITABLE
                .iter()
                .map(|(col, ty)| format!("{col} {ty}"))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "UPDATE findings SET {set} FROM json_to_recordset(CAST(? AS json)) \
                 AS v(id bigint, {types}) WHERE findings.id = v.id"
            )
        }
        _ => {
            let fields = WRITABLE
                .iter()
                .map(|(col, _)| format!("json_extract(value, '$.{col}') AS {col}"))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "UPDATE findings SET {set} FROM (SELECT json_extract(value, '$.id') AS id, \
                 {fields} FROM json_each(?)) AS v WHERE findings.id = v.id"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_changed_columns_are_assigned() {
        let sql = update_sql(DbBackend::Postgres, 0b1_0000_0001);
        assert!(
            sql.starts_with(
                "UPDATE findings SET status = v.status, closed_reason = v.closed_reason FROM"
            ),
            "{sql}"
        );
        let sql = update_sql(DbBackend::Sqlite, 0b10_0000);
        assert!(
            sql.starts_with("UPDATE findings SET triaged_at = v.triaged_at FROM"),
            "{sql}"
        );
    }
}
