//! Job groups: the queue-owned state that decides when a grouped job may be claimed
//! (docs/spec.md §13). A group is a run's tenant jobs; the queue knows it only as an id with
//! these columns, written by the run lifecycle in the same transaction as each run transition:
//!
//! - `held`: none of the group's jobs may start (a paused run);
//! - `cancelling`: the group's jobs may be claimed whatever else holds them (a cancelled run's
//!   jobs only cancel their items);
//! - `max_running`: at most this many of the group's jobs are claimed at once, counted under
//!   the group row's lock (`FOR UPDATE SKIP LOCKED` on PostgreSQL: a claimer never waits on a
//!   group row, so pause, cancel and claims cannot deadlock; SQLite's write lock serializes
//!   claims). A job reclaimed after its lease expired skips the cap: a dead worker's slot
//!   never blocks a capped run;
//! - `released_ordinal`: only jobs up to this position may start (a wave);
//! - `last_claimed_at`: claims take the group served least recently (round robin between
//!   runs), then its lowest position, so a one-tenant run started during a 10,000-tenant run
//!   waits for one job, not for the whole run.
//!
//! While the health gate holds dispatch (`job_dispatch.held_until` in the future, docs/spec.md
//! §14) no grouped job is claimed but a cancelling group's.
//!
//! A job without a group (a fan-out, any chore's job) may always be claimed, and is taken
//! before grouped jobs. Claims never scan a held group's jobs: the group is filtered first and
//! grouped and ungrouped jobs have their own partial indexes.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, Value};

use super::{JobHandle, QUEUE, worker};
use crate::db::{self, exec, stmt};

/// A group's limits as a run starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// The cap on claimed jobs (`None`: no cap).
    pub max_running: Option<i64>,
    /// The last position that may start (`None`: all).
    pub released_ordinal: Option<i64>,
}

/// Creates group `id` (inside the transaction that creates what it groups).
pub async fn create(
    db: &impl ConnectionTrait,
    id: i64,
    limits: Limits,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    exec(
        db,
        "INSERT INTO job_groups (id, held, cancelling, max_running, released_ordinal, created_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
        vec![
            id.into(),
            false.into(),
            false.into(),
            limits.max_running.into(),
            limits.released_ordinal.into(),
            now.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Holds group `id`: none of its jobs is claimed until [`release`].
pub async fn hold(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    exec(
        db,
        "UPDATE job_groups SET held = ? WHERE id = ?",
        vec![true.into(), id.into()],
    )
    .await
    .map(|_| ())
}

/// Releases group `id` up to position `released_ordinal` (`None`: all).
pub async fn release(
    db: &impl ConnectionTrait,
    id: i64,
    released_ordinal: Option<i64>,
) -> Result<(), DbErr> {
    exec(
        db,
        "UPDATE job_groups SET held = ?, released_ordinal = ? WHERE id = ?",
        vec![false.into(), released_ordinal.into(), id.into()],
    )
    .await
    .map(|_| ())
}

/// Changes the cap of group `id` (`None`: no cap).
pub async fn set_max_running(
    db: &impl ConnectionTrait,
    id: i64,
    max_running: Option<i64>,
) -> Result<(), DbErr> {
    exec(
        db,
        "UPDATE job_groups SET max_running = ? WHERE id = ?",
        vec![max_running.into(), id.into()],
    )
    .await
    .map(|_| ())
}

/// Marks group `id` cancelling: its jobs may be claimed whatever holds them.
pub async fn cancelling(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    exec(
        db,
        "UPDATE job_groups SET cancelling = ? WHERE id = ?",
        vec![true.into(), id.into()],
    )
    .await
    .map(|_| ())
}

/// Removes group `id` (what it grouped is finished). A job of it still queued (one handed
/// back as its run completed) leaves the group with it, so it is claimed as any ungrouped job
/// and finds its work done.
pub async fn remove(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    exec(
        db,
        "UPDATE jobs SET group_id = NULL WHERE group_id = ?",
        vec![id.into()],
    )
    .await?;
    exec(db, "DELETE FROM job_groups WHERE id = ?", vec![id.into()])
        .await
        .map(|_| ())
}

/// Holds every group's jobs (not a cancelling group's) until `until`, or releases them
/// (`None`): the health gate's hold on dispatch (docs/spec.md §14). A hold lapses by itself at
/// `until`, so a holder that dies never freezes the queue.
pub async fn hold_dispatch(
    db: &impl ConnectionTrait,
    until: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    exec(
        db,
        "UPDATE job_dispatch SET held_until = ? WHERE id = 1",
        vec![until.into()],
    )
    .await
    .map(|_| ())
}

/// Grouped jobs may start: no dispatch hold in force (`?`: now), or the group is cancelling.
const DISPATCHING: &str =
    "(g.cancelling OR NOT EXISTS (SELECT 1 FROM job_dispatch d WHERE d.held_until > ?))";

/// A due job: pending and due, or running with an expired lease (its worker is gone).
const DUE: &str = "((j.status = 'pending' AND j.run_at <= ?) OR (j.status = 'running' AND j.lease_expires_at < ?))";
/// A pending job that is due (`?`: now).
const PENDING: &str = "j.status = 'pending' AND j.run_at <= ?";
/// A job whose worker is gone: running with an expired lease (`?`: now).
const LOST: &str = "j.status = 'running' AND j.lease_expires_at < ?";

/// Whether group `g` lets job `j` start, as far as its hold and released wave go.
const RELEASED: &str = "(g.cancelling OR (NOT g.held AND (g.released_ordinal IS NULL OR j.ordinal <= g.released_ordinal)))";

/// The groups that have a due job they let start: `FROM` this, then `WHERE` the returned
/// condition, whose `?`s come first (the queue and `now` twice) wherever they sit. On
/// PostgreSQL a `LATERAL ... LIMIT 1` probes each group's jobs through its index: as an
/// `EXISTS`, the planner may hash every due job of every group, a paused run's included.
fn with_due_jobs(backend: DbBackend) -> (String, &'static str) {
    // Pending and lost jobs apart: each probe walks the (group, status, ordinal) index and
    // stops at its first row, where one probe for both would collect the group's every job.
    let probe = |state: &str| {
        format!(
            "SELECT 1 FROM jobs j WHERE j.group_id = g.id AND j.queue = ? AND {state} AND {RELEASED} LIMIT 1"
        )
    };
    let (pending, lost) = (probe(PENDING), probe(LOST));
    match backend {
        DbBackend::Postgres => (
            format!("job_groups g CROSS JOIN LATERAL (({pending}) UNION ALL ({lost}) LIMIT 1) due"),
            "(g.cancelling OR NOT g.held)",
        ),
        _ => (
            format!("job_groups g WHERE (EXISTS ({pending}) OR EXISTS ({lost})) AND"),
            "(g.cancelling OR NOT g.held)",
        ),
    }
}

/// `FROM {groups} WHERE {condition}` over [`with_due_jobs`].
fn due_groups(backend: DbBackend) -> String {
    let (from, condition) = with_due_jobs(backend);
    match backend {
        DbBackend::Postgres => format!("{from} WHERE {condition}"),
        _ => format!("{from} {condition}"),
    }
}

/// How many claimable jobs the round robin serves before group `id`'s next one: the due
/// ungrouped jobs, and one job of every other claimable group served less recently.
pub async fn ahead_of(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT (SELECT COUNT(*) FROM jobs j WHERE j.group_id IS NULL AND j.queue = ? AND {DUE}) + \
         (SELECT COUNT(*) FROM {} AND g.id <> ? AND (g.last_claimed_at IS NULL OR \
            COALESCE(g.last_claimed_at < (SELECT last_claimed_at FROM job_groups WHERE id = ?), TRUE))) AS n",
        due_groups(backend)
    );
    let row = db
        .query_one_raw(stmt(
            backend,
            &sql,
            vec![
                QUEUE.into(),
                now.into(),
                now.into(),
                QUEUE.into(),
                now.into(),
                QUEUE.into(),
                now.into(),
                id.into(),
                id.into(),
            ],
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    })
}

/// Groups served per claim before it gives up (each may turn out capped or taken meanwhile).
const CANDIDATES: i64 = 8;

/// Claims the next due job with a lease of `lease` (see the module doc for the order and the
/// gates), in one transaction.
pub async fn claim(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Option<JobHandle>, DbErr> {
    let backend = db.get_database_backend();
    let postgres = backend == DbBackend::Postgres;
    let skip_locked = if postgres {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let token = uuid::Uuid::new_v4().to_string();
    let set = "status = 'running', attempts = attempts + 1, lease_token = ?, lease_expires_at = ?, \
               heartbeat_at = ?, updated_at = ?";
    let set_values = |values: Vec<Value>| {
        let mut all: Vec<Value> = vec![
            token.clone().into(),
            (now + lease).into(),
            now.into(),
            now.into(),
        ];
        all.extend(values);
        all
    };
    let returning = "RETURNING id, kind, payload, attempts, max_attempts, trace_context";
    let txn = db::begin_write(db).await?;
    let ungrouped = format!(
        "UPDATE jobs SET {set} WHERE id = (SELECT j.id FROM jobs j WHERE j.group_id IS NULL \
           AND j.queue = ? AND {DUE} ORDER BY j.run_at, j.id LIMIT 1 {skip_locked}) \
         AND ((status = 'pending' AND run_at <= ?) OR (status = 'running' AND lease_expires_at < ?)) \
         {returning}"
    );
    let row = txn
        .query_one_raw(stmt(
            backend,
            &ungrouped,
            set_values(vec![
                QUEUE.into(),
                now.into(),
                now.into(),
                now.into(),
                now.into(),
            ]),
        ))
        .await?;
    if let Some(row) = row {
        txn.commit().await?;
        return handle(&row, token).map(Some);
    }
    let groups = txn
        .query_all_raw(stmt(
            backend,
            &format!(
                "SELECT g.id, g.max_running, g.cancelling, g.released_ordinal FROM {} \
                 AND {DISPATCHING} \
                 ORDER BY CASE WHEN g.last_claimed_at IS NULL THEN 0 ELSE 1 END, g.last_claimed_at, g.id \
                 LIMIT ?",
                due_groups(backend)
            ),
            vec![
                QUEUE.into(),
                now.into(),
                QUEUE.into(),
                now.into(),
                now.into(),
                CANDIDATES.into(),
            ],
        ))
        .await?;
    for group in groups {
        let id: i64 = group.try_get("", "id")?;
        let max_running: Option<i32> = group.try_get("", "max_running")?;
        // The wave's last position (none for a cancelling group). A pause or cancel that
        // commits after this read is caught where the job starts its item, which re-checks.
        let released: Option<i64> = match group.try_get::<bool>("", "cancelling")? {
            true => None,
            false => group.try_get("", "released_ordinal")?,
        };
        // Under a cap the group row is locked first, so the count below (a later statement,
        // hence a later snapshot) sees every claim committed before; another claimer holding
        // it means this claim tries the next group instead of waiting.
        if max_running.is_some() && postgres {
            let locked = txn
                .query_one_raw(stmt(
                    backend,
                    "SELECT id FROM job_groups WHERE id = ? FOR UPDATE SKIP LOCKED",
                    vec![id.into()],
                ))
                .await?;
            if locked.is_none() {
                continue;
            }
        }
        // A lost job first (it skips the cap: a dead worker's slot never blocks the group),
        // else the lowest pending position the cap allows.
        let (cap, cap_values): (&str, Vec<Value>) = match max_running {
            Some(max) => (
                "AND (SELECT COUNT(*) FROM jobs r WHERE r.group_id = ? AND r.status = 'running') < ?",
                vec![id.into(), max.into()],
            ),
            None => ("", Vec::new()),
        };
        let (wave, wave_values): (&str, Vec<Value>) = match released {
            Some(end) => ("AND j.ordinal <= ?", vec![end.into()]),
            None => ("", Vec::new()),
        };
        // Equality on the group and the status, then the position: the (group, status,
        // ordinal) index yields the first claimable job without sorting the group's jobs.
        let pick = |state: &str, cap: &str| {
            format!(
                "SELECT j.id FROM jobs j WHERE j.group_id = ? AND j.queue = ? AND {state} {wave} {cap} \
                 ORDER BY j.ordinal LIMIT 1 {skip_locked}"
            )
        };
        let grouped = format!(
            "UPDATE jobs SET {set} WHERE id = COALESCE(({}), ({})) \
             AND ((status = 'pending' AND run_at <= ?) OR (status = 'running' AND lease_expires_at < ?)) \
             {returning}",
            pick(LOST, ""),
            pick(PENDING, cap),
        );
        let mut values = vec![id.into(), QUEUE.into(), now.into()];
        values.extend(wave_values.clone());
        values.extend([id.into(), QUEUE.into(), now.into()]);
        values.extend(wave_values);
        values.extend(cap_values);
        values.extend([now.into(), now.into()]);
        let Some(row) = txn
            .query_one_raw(stmt(backend, &grouped, set_values(values)))
            .await?
        else {
            continue;
        };
        // The round robin's stamp; a group row another transaction holds is left as it is
        // rather than waited on.
        let stamp = if max_running.is_some() || !postgres {
            "UPDATE job_groups SET last_claimed_at = ? WHERE id = ?"
        } else {
            "UPDATE job_groups SET last_claimed_at = ? WHERE id = \
             (SELECT id FROM job_groups WHERE id = ? FOR UPDATE SKIP LOCKED)"
        };
        exec(&txn, stamp, vec![now.into(), id.into()]).await?;
        txn.commit().await?;
        return handle(&row, token).map(Some);
    }
    txn.commit().await?;
    Ok(None)
}

fn handle(row: &QueryResult, lease_token: String) -> Result<JobHandle, DbErr> {
    Ok(JobHandle {
        id: row.try_get("", "id")?,
        kind: row.try_get("", "kind")?,
        payload: row.try_get("", "payload")?,
        attempts: row.try_get("", "attempts")?,
        max_attempts: row.try_get("", "max_attempts")?,
        lease_token,
        trace_context: row.try_get("", "trace_context")?,
        worker: worker::identity(None),
    })
}
