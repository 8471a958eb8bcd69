//! Reading a tenant's findings in bounded batches and writing changes back in bulk.
//!
//! Safe beside the host application's own writes (docs/spec.md §19), with guarded writes on
//! PostgreSQL: a batch is read without locks together with each row's version (`xmin`, the
//! transaction that wrote it), and a changed row is written only if its version is still the
//! one read. When the host application updated a row in between (or holds it locked and then
//! commits), that row's write matches nothing; the batch is then read again `FOR UPDATE` and
//! rebuilt from the host's version, so a host write is never overwritten by a rebuild of the
//! row before it. Rows the rebuild leaves alone are never locked, which keeps a re-run (that
//! changes nothing) as cheap as a read. SQLite's `BEGIN IMMEDIATE` already excludes other
//! writers, so there the guard is moot. A column a row does not change keeps its current value
//! (see [`write_changes`]), and a column no row of the batch changes is never assigned.

use chrono::SecondsFormat;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select, sea_query::Expr,
};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

use super::rules::{Finding, FindingChange, Ts};
use crate::entities::findings;
use crate::runbooks::{ChangeLog, ChangedRow, RestoreReport};

/// Rows read per query; a batch may exceed it only by one recurrence-key group.
const BATCH_ROWS: u64 = 2_000;

/// Walks one tenant's findings in batches of whole recurrence-key groups, by keyset on the key.
pub struct GroupBatches {
    tenant_id: i64,
    after_key: Option<String>,
    done: bool,
    /// Whether [`GroupBatches::write`] will be called (then rows are read with their versions).
    writing: bool,
    /// The `after_key` the last batch was read from, to read it again after a conflict.
    batch_start: Option<String>,
    /// The batch is read (again) `FOR UPDATE`: its guarded write met a concurrent write.
    relock: bool,
    /// The last batch's row versions by id (PostgreSQL, when writing).
    versions: HashMap<i64, String>,
}

impl GroupBatches {
    /// Starts at the tenant's first recurrence key, for reading only (preflight).
    pub fn new(tenant_id: i64) -> Self {
        Self {
            tenant_id,
            after_key: None,
            done: false,
            writing: false,
            batch_start: None,
            relock: false,
            versions: HashMap::new(),
        }
    }

    /// Starts at the tenant's first recurrence key, for a transaction that writes each batch's
    /// changes back with [`GroupBatches::write`] (execution).
    pub fn for_writing(tenant_id: i64) -> Self {
        Self {
            writing: true,
            ..Self::new(tenant_id)
        }
    }

    /// The next batch, or `None` when the tenant is exhausted.
    pub async fn next(&mut self, db: &impl ConnectionTrait) -> Result<Option<Vec<Finding>>, DbErr> {
        if self.done {
            return Ok(None);
        }
        self.batch_start.clone_from(&self.after_key);
        let mut query = select(self.tenant_id);
        if let Some(after) = &self.after_key {
            query = query.filter(findings::Column::RecurrenceKey.gt(after.clone()));
        }
        let mut rows = self
            .read(
                db,
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
            rows = self
                .read(
                    db,
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

    /// Writes the changes of the batch [`GroupBatches::next`] returned last (see
    /// [`write_changes`]), each row only if it is still the version that was read. `Ok(false)`
    /// when a row was written by someone else since: nothing of the batch counts as done, and
    /// the next call to `next` reads the same batch again, locked, to rebuild it from the
    /// current rows (what this transaction already wrote of it reads back unchanged).
    pub async fn write(
        &mut self,
        db: &impl ConnectionTrait,
        changes: &[FindingChange],
    ) -> Result<bool, DbErr> {
        let rows = changes
            .iter()
            .filter_map(|change| {
                let mask = changed_columns(&change.before, &change.after);
                let version = self.versions.get(&change.after.id).map(String::as_str);
                (mask != 0).then(|| Row::of(&change.after, version, mask))
            })
            .collect::<Vec<_>>();
        if write_changes(db, &rows).await? {
            self.relock = false;
            return Ok(true);
        }
        if self.relock {
            return Err(DbErr::Custom(format!(
                "tenant {}: a finding changed although its batch was locked",
                self.tenant_id
            )));
        }
        self.after_key = self.batch_start.take();
        self.done = false;
        self.relock = true;
        Ok(false)
    }

    /// Runs `query` (a batch), `FOR UPDATE` after a conflict, with row versions when writing on
    /// PostgreSQL, and decodes its rows straight into [`Finding`]s by column position (decoding
    /// an entity model looks every column up by name, which was most of the per-row cost).
    async fn read(
        &mut self,
        db: &impl ConnectionTrait,
        mut query: Select<findings::Entity>,
    ) -> Result<Vec<Finding>, DbErr> {
        let backend = db.get_database_backend();
        let versioned = self.writing && backend == DbBackend::Postgres;
        if versioned {
            query = query.expr(Expr::cust("findings.xmin::text"));
            if self.relock {
                query = query.lock_exclusive();
            }
        }
        let rows = db.query_all_raw(query.build(backend)).await?;
        self.versions.clear();
        rows.iter()
            .map(|r| {
                let finding = decode(r)?;
                if versioned {
                    self.versions.insert(finding.id, r.try_get_by_index(15)?);
                }
                Ok(finding)
            })
            .collect()
    }
}

/// One row of a query over [`COLUMNS`], by column position.
fn decode(r: &sea_orm::QueryResult) -> Result<Finding, DbErr> {
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
}

/// The columns [`GroupBatches::read`] decodes, in this order.
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

/// The writable columns of one changed finding, as one element of the JSON array that
/// [`write_changes`] binds. Timestamps are written the way sqlx binds them on SQLite (RFC 3339
/// with `+00:00`), so a SQLite column keeps one text format; PostgreSQL parses them.
#[derive(Serialize)]
struct Row<'a> {
    id: i64,
    /// The row's version when it was read (`xmin` on PostgreSQL), if the write is guarded.
    version: Option<&'a str>,
    /// Which of [`WRITABLE`] this row changes.
    mask: u16,
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

impl<'a> Row<'a> {
    fn of(f: &'a Finding, version: Option<&'a str>, mask: u16) -> Self {
        Row {
            id: f.id,
            version,
            mask,
            status: &f.status,
            first_seen_at: f.first_seen_at,
            last_seen_at: f.last_seen_at,
            times_seen: f.times_seen,
            due_at: f.due_at,
            triaged_at: f.triaged_at,
            resolved_at: f.resolved_at,
            closed_at: f.closed_at,
            closed_reason: f.closed_reason.as_deref(),
        }
    }
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

/// The change-log rows of `changes` (docs/spec.md §15): each changed column of each row, with
/// its value before and the value written, as the API shows them.
pub fn changed_rows(changes: &[FindingChange]) -> Vec<ChangedRow> {
    changes
        .iter()
        .map(|change| {
            let mask = changed_columns(&change.before, &change.after);
            ChangedRow {
                id: change.after.id,
                rules: change.rules.iter().map(ToString::to_string).collect(),
                before: values_of(&change.before, mask),
                after: values_of(&change.after, mask),
            }
        })
        .collect()
}

/// The value of the `i`th of [`WRITABLE`] in `f`, as JSON.
fn column_value(f: &Finding, i: usize) -> Value {
    let ts = |t: Option<Ts>| {
        t.map_or(Value::Null, |t| {
            Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        })
    };
    match i {
        0 => Value::String(f.status.clone()),
        1 => ts(f.first_seen_at),
        2 => ts(f.last_seen_at),
        3 => f.times_seen.map_or(Value::Null, Value::from),
        4 => ts(f.due_at),
        5 => ts(f.triaged_at),
        6 => ts(f.resolved_at),
        7 => ts(f.closed_at),
        _ => f.closed_reason.clone().map_or(Value::Null, Value::String),
    }
}

/// `f` with each column of `values` (a change-log side: column name → JSON value) set to its
/// decoded value; an unknown column or a value of the wrong type is an error, never guessed.
fn with_values(f: &Finding, values: &Map<String, Value>) -> Result<Finding, DbErr> {
    let bad = |column: &str, value: &Value| {
        DbErr::Custom(format!(
            "change log: finding {}: {value} is not a value of column {column}",
            f.id
        ))
    };
    let ts = |column: &str, value: &Value| match value {
        Value::Null => Ok(None),
        Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.with_timezone(&chrono::Utc)))
            .map_err(|_| bad(column, value)),
        _ => Err(bad(column, value)),
    };
    let text = |column: &str, value: &Value| match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(text.clone())),
        _ => Err(bad(column, value)),
    };
    let mut out = f.clone();
    for (column, value) in values {
        match column.as_str() {
            "status" => out.status = text(column, value)?.ok_or_else(|| bad(column, value))?,
            "first_seen_at" => out.first_seen_at = ts(column, value)?,
            "last_seen_at" => out.last_seen_at = ts(column, value)?,
            "times_seen" => {
                out.times_seen = match value {
                    Value::Null => None,
                    _ => Some(
                        value
                            .as_i64()
                            .and_then(|n| i32::try_from(n).ok())
                            .ok_or_else(|| bad(column, value))?,
                    ),
                }
            }
            "due_at" => out.due_at = ts(column, value)?,
            "triaged_at" => out.triaged_at = ts(column, value)?,
            "resolved_at" => out.resolved_at = ts(column, value)?,
            "closed_at" => out.closed_at = ts(column, value)?,
            "closed_reason" => out.closed_reason = text(column, value)?,
            _ => {
                return Err(DbErr::Custom(format!(
                    "change log: finding {}: unknown column {column}",
                    f.id
                )));
            }
        }
    }
    Ok(out)
}

/// The columns of [`WRITABLE`] in `mask`, with their values in `f` (a change-log side).
fn values_of(f: &Finding, mask: u16) -> Map<String, Value> {
    WRITABLE
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(i, (column, _))| ((*column).to_owned(), column_value(f, i)))
        .collect()
}

/// The revert of one change-log record of `tenant_id`'s findings (docs/spec.md §15), shared by
/// every runbook that writes the `findings` table: each logged row is read now — locked on
/// PostgreSQL when writing; SQLite's write transaction already excludes other writers — and
/// compared decoded with what the run wrote. A row whose changed columns all still hold the
/// written values is restored (all of them, to the values the run overwrote); one that holds
/// the overwritten values again is already restored; any other, or a deleted one, is a
/// conflict and left alone. With `log`, the restores are written and recorded in it (rule
/// `restore`); without, only counted and sampled (`sample_limit` of each kind, whole rows).
pub async fn restore(
    db: &impl ConnectionTrait,
    tenant_id: i64,
    rows: &[ChangedRow],
    log: Option<&ChangeLog>,
    sample_limit: usize,
) -> Result<RestoreReport, DbErr> {
    let backend = db.get_database_backend();
    let mut query = select(tenant_id)
        .filter(findings::Column::Id.is_in(rows.iter().map(|r| r.id)))
        .order_by_asc(findings::Column::Id);
    if log.is_some() && backend == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let now: HashMap<i64, Finding> = db
        .query_all_raw(query.build(backend))
        .await?
        .iter()
        .map(|r| decode(r).map(|f| (f.id, f)))
        .collect::<Result<_, _>>()?;
    let mut report = RestoreReport {
        examined: rows.len() as u64,
        ..RestoreReport::default()
    };
    let mut restores: Vec<(Finding, u16)> = Vec::new();
    let mut logged = Vec::new();
    for row in rows {
        let current = now.get(&row.id);
        let state = match current {
            None => None,
            Some(current) => {
                let written = with_values(current, &row.after)?;
                let overwritten = with_values(current, &row.before)?;
                if changed_columns(current, &written) == 0 {
                    Some(Ok((current, overwritten)))
                } else if changed_columns(current, &overwritten) == 0 {
                    Some(Err(()))
                } else {
                    None
                }
            }
        };
        match state {
            Some(Ok((current, restored))) => {
                report.restored += 1;
                let mask = changed_columns(current, &restored);
                if report.sample.len() < sample_limit {
                    report.sample.push(serde_json::json!({
                        "finding_id": row.id,
                        "tenant_id": current.tenant_id,
                        "rules": [RestoreReport::RULE],
                        "reverts_rules": row.rules,
                        "before": current,
                        "after": restored,
                    }));
                }
                if log.is_some() && mask != 0 {
                    logged.push(ChangedRow {
                        id: row.id,
                        rules: vec![RestoreReport::RULE.to_owned()],
                        before: values_of(current, mask),
                        after: values_of(&restored, mask),
                    });
                    restores.push((restored, mask));
                }
            }
            Some(Err(())) => report.already_restored += 1,
            None => {
                report.conflicts += 1;
                if report.conflict_sample.len() < sample_limit {
                    // What the run overwrote (a restore's values), what it wrote (what the
                    // revert expected to find) and what the row holds now (null: deleted).
                    let columns = WRITABLE
                        .iter()
                        .enumerate()
                        .filter(|(_, (column, _))| row.after.contains_key(*column))
                        .fold(0, |mask, (i, _)| mask | (1 << i));
                    report.conflict_sample.push(serde_json::json!({
                        "finding_id": row.id,
                        "tenant_id": tenant_id,
                        "rules": row.rules,
                        "before": row.before,
                        "written": row.after,
                        "after": current.map(|f| values_of(f, columns)),
                    }));
                }
            }
        }
    }
    if let Some(log) = log {
        let writes: Vec<Row<'_>> = restores
            .iter()
            .map(|(f, mask)| Row::of(f, None, *mask))
            .collect();
        if !write_changes(db, &writes).await? {
            return Err(DbErr::Custom(format!(
                "tenant {tenant_id}: a finding changed although it was locked for its restore"
            )));
        }
        log.record(db, &logged).await?;
    }
    Ok(report)
}

/// Writes changed rows back in one `UPDATE ... FROM` over a single JSON parameter (one round
/// trip per batch, and a SQL text per set of columns that the connection's statement cache
/// prepares once; a `VALUES` list of bound values per row would be a new, slow-to-plan
/// statement for every row count). Only the columns that some row of the batch changes are in
/// its `SET` list, and each row's own set of changed columns (`mask`) decides, per column,
/// whether it takes the rebuilt value or keeps the value it has when the UPDATE reaches it
/// (`CASE ... ELSE findings.col`): a column a row does not change keeps whatever was committed
/// last, even by a writer that came after the batch was read. (One statement per set of
/// changed columns would assign nothing else at all, but real batches mix dozens of such sets,
/// and a statement each made the rebuild 1.5–1.8× slower in `make bench`.) A row with a
/// version is written only if it still has it. `false` when fewer rows were written than
/// given. `updated_at`, `created_at`, `severity`, `recurrence_key` and `tenant_id` are never
/// written.
async fn write_changes(db: &impl ConnectionTrait, rows: &[Row<'_>]) -> Result<bool, DbErr> {
    let Some(columns) = rows.iter().map(|r| r.mask).reduce(|a, b| a | b) else {
        return Ok(true);
    };
    let json = serde_json::to_string(rows).map_err(|e| DbErr::Custom(e.to_string()))?;
    let sql = update_sql(db.get_database_backend(), columns);
    Ok(crate::db::exec(db, &sql, vec![json.into()]).await? == rows.len() as u64)
}

/// The `UPDATE ... FROM` of a batch whose rows change the columns in `columns` (a mask over
/// [`WRITABLE`]).
fn update_sql(backend: DbBackend, columns: u16) -> String {
    let set = WRITABLE
        .iter()
        .enumerate()
        .filter(|(i, _)| columns & (1 << i) != 0)
        .map(|(i, (col, _))| {
            format!(
                "{col} = CASE WHEN (v.mask & {}) <> 0 THEN v.{col} ELSE findings.{col} END",
                1 << i
            )
        })
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
                 AS v(id bigint, version text, mask integer, {types}) WHERE findings.id = v.id \
                 AND (v.version IS NULL OR findings.xmin::text = v.version)"
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
                 json_extract(value, '$.mask') AS mask, {fields} FROM json_each(?)) AS v \
                 WHERE findings.id = v.id"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_columns_some_row_changes_are_assigned_each_row_its_own() {
        let sql = update_sql(DbBackend::Postgres, 0b1_0000_0001);
        assert!(
            sql.starts_with(
                "UPDATE findings SET \
                 status = CASE WHEN (v.mask & 1) <> 0 THEN v.status ELSE findings.status END, \
                 closed_reason = CASE WHEN (v.mask & 256) <> 0 THEN v.closed_reason \
                 ELSE findings.closed_reason END FROM"
            ),
            "{sql}"
        );
        assert!(sql.ends_with("AND (v.version IS NULL OR findings.xmin::text = v.version)"));
        let sql = update_sql(DbBackend::Sqlite, 0b10_0000);
        assert!(
            sql.starts_with(
                "UPDATE findings SET triaged_at = CASE WHEN (v.mask & 32) <> 0 \
                 THEN v.triaged_at ELSE findings.triaged_at END FROM"
            ),
            "{sql}"
        );
    }
}
