//! The attempts of a run item (docs/spec.md §21): each attempt of its tenant job is a row of
//! `run_item_attempts`, opened when the attempt starts and finished when it ends, in the same
//! transaction as the item's own transition ([`super::service`] calls the writers below):
//!
//! - an attempt starts with the item becoming `running` (`start_item`, `resume_item`), by the
//!   worker holding the job (`jobs::JobHandle::worker`);
//! - it ends with the item: `succeeded` (no error), `retrying` or `failed` (the attempt's error
//!   and SQLSTATE);
//! - an attempt still open when the next one starts belonged to a worker that was lost (its
//!   lease ran out and another worker claimed the job): it ends with that said as its error;
//! - an attempt handed back unfinished (a graceful shutdown, or the reconciler giving an item
//!   whose job vanished a new one) is not counted in the item's `attempts` (docs/spec.md §19),
//!   so its row is removed with it: the list and `attempts` never disagree about a hand-back.
//!
//! Cancelling never ends an attempt: a cancel takes only items between attempts (`pending`,
//! `retrying`), and a running item finishes its attempt first.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::{exec, stmt};
use crate::entities::{run_item_attempts, run_items};
use crate::runs::failure::ItemFailure;

/// The error of an attempt whose worker was lost: another worker took the job over.
pub const WORKER_LOST: &str =
    "worker lost during this attempt (its job lease expired and another worker took the job over)";

/// One attempt of an item, oldest first in [`AttemptList`] (docs/spec.md §21 wire format).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AttemptView {
    /// The attempt's number (1-based), as the item's `attempts` counts it.
    pub attempt: i32,
    /// When the attempt started.
    pub started_at: DateTime<Utc>,
    /// When it ended (null while it runs).
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it failed: the database's message once, with its SQLSTATE when there is one (null
    /// for an attempt that succeeded or still runs).
    pub error: Option<String>,
    /// The SQLSTATE of the error, when it came from the database.
    pub error_sqlstate: Option<String>,
    /// The worker that ran it: host, process id and the worker's index in its pool
    /// (`web-1 pid 4242 worker 0`); null when unknown.
    pub worker: Option<String>,
}

impl From<run_item_attempts::Model> for AttemptView {
    fn from(row: run_item_attempts::Model) -> Self {
        Self {
            attempt: row.attempt,
            started_at: row.started_at,
            finished_at: row.finished_at,
            error: row.error,
            error_sqlstate: row.error_sqlstate,
            worker: row.worker,
        }
    }
}

/// An item's attempts, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AttemptList {
    /// Every attempt, oldest first.
    pub items: Vec<AttemptView>,
}

/// The attempts of item `item_id` of run `run_id`, oldest first; `None` when the run has no
/// such item (an unknown run, or an item of another run).
pub async fn list(
    db: &impl ConnectionTrait,
    run_id: i64,
    item_id: i64,
) -> Result<Option<Vec<AttemptView>>, DbErr> {
    let item = run_items::Entity::find_by_id(item_id)
        .filter(run_items::Column::RunId.eq(run_id))
        .one(db)
        .await?;
    if item.is_none() {
        return Ok(None);
    }
    let rows = run_item_attempts::Entity::find()
        .filter(run_item_attempts::Column::RunItemId.eq(item_id))
        .order_by_asc(run_item_attempts::Column::Id)
        .all(db)
        .await?;
    Ok(Some(rows.into_iter().map(AttemptView::from).collect()))
}

/// The item of run `run_id` for the tenant with `external_id`, if the run has one.
pub async fn item_of_tenant(
    db: &impl ConnectionTrait,
    run_id: i64,
    external_id: &str,
) -> Result<Option<i64>, DbErr> {
    db.query_one_raw(stmt(
        db.get_database_backend(),
        "SELECT i.id FROM run_items i JOIN tenants t ON t.id = i.tenant_id \
         WHERE i.run_id = ? AND t.external_id = ?",
        vec![run_id.into(), external_id.into()],
    ))
    .await?
    .map(|row| row.try_get("", "id"))
    .transpose()
}

/// The last attempt of each of `item_ids` that has one: `(started_at, finished_at)` by item, for
/// the items' `duration_seconds`. One query for a page of items.
pub async fn last_of(
    db: &impl ConnectionTrait,
    item_ids: &[i64],
) -> Result<HashMap<i64, (DateTime<Utc>, Option<DateTime<Utc>>)>, DbErr> {
    if item_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let marks = vec!["?"; item_ids.len()].join(", ");
    let rows = db
        .query_all_raw(stmt(
            db.get_database_backend(),
            &format!(
                "SELECT run_item_id, started_at, finished_at FROM run_item_attempts \
                 WHERE id IN (SELECT MAX(id) FROM run_item_attempts \
                              WHERE run_item_id IN ({marks}) GROUP BY run_item_id)"
            ),
            item_ids.iter().map(|&id| id.into()).collect(),
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("", "run_item_id")?,
                (
                    row.try_get("", "started_at")?,
                    row.try_get("", "finished_at")?,
                ),
            ))
        })
        .collect()
}

/// Inside the transaction that made item `item_id` `running` for its job's `attempt`: opens
/// that attempt for `worker`. An attempt of another number still open was a lost worker's: it
/// ends with [`WORKER_LOST`]. The same attempt already open (its job started it, then ran on)
/// is left as it is.
pub(super) async fn begin(
    txn: &impl ConnectionTrait,
    item_id: i64,
    attempt: i32,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    exec(
        txn,
        "UPDATE run_item_attempts SET finished_at = ?, error = ?, error_sqlstate = NULL \
         WHERE run_item_id = ? AND finished_at IS NULL AND attempt <> ?",
        vec![
            now.into(),
            WORKER_LOST.into(),
            item_id.into(),
            attempt.into(),
        ],
    )
    .await?;
    exec(
        txn,
        "INSERT INTO run_item_attempts (run_item_id, run_id, attempt, started_at, worker) \
         SELECT i.id, i.run_id, ?, ?, ? FROM run_items i WHERE i.id = ? \
           AND NOT EXISTS (SELECT 1 FROM run_item_attempts a \
                           WHERE a.run_item_id = i.id AND a.attempt = ? AND a.finished_at IS NULL)",
        vec![
            attempt.into(),
            now.into(),
            worker.into(),
            item_id.into(),
            attempt.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Inside the transaction that ends item `item_id`'s attempt: the open attempt ends at `now`,
/// with `failure` as its error (none for a success).
pub(super) async fn end(
    txn: &impl ConnectionTrait,
    item_id: i64,
    failure: Option<&ItemFailure>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    exec(
        txn,
        "UPDATE run_item_attempts SET finished_at = ?, error = ?, error_sqlstate = ? \
         WHERE run_item_id = ? AND finished_at IS NULL",
        vec![
            now.into(),
            failure.map(ItemFailure::text).into(),
            failure.and_then(|f| f.sqlstate.clone()).into(),
            item_id.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Inside the transaction that hands item `item_id` back to `pending` with its attempt not
/// counted: the unfinished attempt is not counted in the list either.
pub(super) async fn forget_open(txn: &impl ConnectionTrait, item_id: i64) -> Result<(), DbErr> {
    exec(
        txn,
        "DELETE FROM run_item_attempts WHERE run_item_id = ? AND finished_at IS NULL",
        vec![item_id.into()],
    )
    .await
    .map(|_| ())
}
