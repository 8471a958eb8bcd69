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

/// Removes group `id` (what it grouped is finished).
pub async fn remove(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    exec(db, "DELETE FROM job_groups WHERE id = ?", vec![id.into()])
        .await
        .map(|_| ())
}

/// A due job: pending and due, or running with an expired lease (its worker is gone).
const DUE: &str = "((j.status = 'pending' AND j.run_at <= ?) OR (j.status = 'running' AND j.lease_expires_at < ?))";

/// Whether group `g` lets job `j` start, as far as its hold and released wave go.
const RELEASED: &str = "(g.cancelling OR (NOT g.held AND (g.released_ordinal IS NULL OR j.ordinal <= g.released_ordinal)))";

/// How many claimable jobs the round robin serves before group `id`'s next one: the due
/// ungrouped jobs, and one job of every other claimable group served less recently.
pub async fn ahead_of(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let sql = format!(
        "SELECT (SELECT COUNT(*) FROM jobs j WHERE j.group_id IS NULL AND j.queue = ? AND {DUE}) + \
         (SELECT COUNT(*) FROM job_groups g, job_groups mine WHERE mine.id = ? AND g.id <> mine.id \
            AND (g.cancelling OR NOT g.held) \
            AND (mine.last_claimed_at IS NULL OR g.last_claimed_at IS NULL OR g.last_claimed_at < mine.last_claimed_at) \
            AND EXISTS (SELECT 1 FROM jobs j WHERE j.group_id = g.id AND j.queue = ? AND {DUE} AND {RELEASED})) AS n"
    );
    let row = db
        .query_one_raw(stmt(
            db.get_database_backend(),
            &sql,
            vec![
                QUEUE.into(),
                now.into(),
                now.into(),
                id.into(),
                QUEUE.into(),
                now.into(),
                now.into(),
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
                "SELECT g.id, g.max_running FROM job_groups g WHERE (g.cancelling OR NOT g.held) \
                 AND EXISTS (SELECT 1 FROM jobs j WHERE j.group_id = g.id AND j.queue = ? AND {DUE} AND {RELEASED}) \
                 ORDER BY CASE WHEN g.last_claimed_at IS NULL THEN 0 ELSE 1 END, g.last_claimed_at, g.id \
                 LIMIT ?"
            ),
            vec![QUEUE.into(), now.into(), now.into(), CANDIDATES.into()],
        ))
        .await?;
    for group in groups {
        let id: i64 = group.try_get("", "id")?;
        let max_running: Option<i32> = group.try_get("", "max_running")?;
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
        let (cap, cap_values): (&str, Vec<Value>) = match max_running {
            Some(max) => (
                "AND (j.status = 'running' OR (SELECT COUNT(*) FROM jobs r WHERE r.group_id = ? \
                   AND r.status = 'running') < ?)",
                vec![id.into(), max.into()],
            ),
            None => ("", Vec::new()),
        };
        let grouped = format!(
            "UPDATE jobs SET {set} WHERE id = (SELECT j.id FROM jobs j JOIN job_groups g ON g.id = j.group_id \
               WHERE j.group_id = ? AND j.queue = ? AND {DUE} AND {RELEASED} {cap} \
               ORDER BY j.ordinal, j.id LIMIT 1 {skip_locked_jobs}) \
             AND ((status = 'pending' AND run_at <= ?) OR (status = 'running' AND lease_expires_at < ?)) \
             {returning}",
            skip_locked_jobs = if postgres {
                "FOR UPDATE OF j SKIP LOCKED"
            } else {
                ""
            },
        );
        let mut values = vec![id.into(), QUEUE.into(), now.into(), now.into()];
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
