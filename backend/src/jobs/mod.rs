//! The durable job queue, in the application's own database.
//!
//! Why not apalis: its SQLite and PostgreSQL back-ends keep their own schema and connection
//! pool (sqlx directly, outside sea-orm's transactions), so a tenant rebuild could not commit
//! in the same transaction as the job's bookkeeping, and the SQLite back-end has no lease
//! token to reject a late worker's write. The queue below is the classic lease design instead:
//!
//! - `claim`: one statement moves a due job (pending, or running with an expired lease) to
//!   `running` with a fresh lease token, incrementing `attempts`. On PostgreSQL the candidate is
//!   picked with `FOR UPDATE SKIP LOCKED`, so any number of workers on any number of machines
//!   share the queue without blocking each other; on SQLite the database write lock serializes
//!   claims and the `WHERE status` guard makes a double claim impossible.
//! - while a job runs its worker heartbeats (extends the lease); a worker that dies stops
//!   heartbeating, the lease expires and another worker reclaims the job;
//! - every write about a job checks its lease token, so a worker that lost its lease cannot
//!   complete or reschedule a job another worker now owns;
//! - failures are retried with exponential backoff up to `max_attempts`, then the job's
//!   `exhausted` handler runs (a tenant item becomes `failed`).
//!
//! - a job may name its *subject* (the record it works on, e.g. a run item): at most one job of
//!   a kind exists per subject (`jobs_kind_subject_id_key`), so re-enqueueing one is a no-op,
//!   and a reconciler can find the subjects that lost their job;
//! - a job handed back unfinished (at shutdown) tells its [`BackgroundJob::handed_back`] hook in
//!   the same transaction, so the record it works on goes back to waiting with it.
//!
//! This module knows no job but by its [`BackgroundJob`] implementation, registered once in a
//! [`JobRegistry`] (crates.io's design), and no chore but by its [`Chore`] implementation: it
//! never imports the run lifecycle, whose jobs (the fan-out and the tenant job) live in
//! `runs::execute`, nor the alerts; the composition root (`app.rs`) registers both.

pub mod chores;
pub mod groups;
mod registry;
pub mod worker;

pub use chores::{Chore, Chores};
pub use registry::{BackgroundJob, JobHandle, JobRegistry};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::Value;

use crate::db::exec;

/// The queue every job of this service uses.
pub const QUEUE: &str = "default";
/// Attempts before a job is given up.
pub const MAX_ATTEMPTS: i32 = 3;

/// Adds `job` (its payload is its serde form; `group` is the run it belongs to, by which its
/// pending jobs can be withdrawn). The job carries the current span's trace context, so its
/// worker continues this trace (docs/spec.md §20).
pub async fn enqueue<J: BackgroundJob>(
    db: &impl ConnectionTrait,
    job: &J,
    group: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let payload = serde_json::to_value(job).map_err(|e| DbErr::Custom(e.to_string()))?;
    insert(db, J::JOB_NAME, payload, group, job.subject(), now).await
}

/// Adds one job of kind `J` per row of a query, in one statement, for fan-outs too large for
/// one insert per job: `from` is the query's `FROM ... WHERE ...` (with `?` placeholders bound
/// to `values`), `group`, `ordinal`, `subject` and `payload` are SQL expressions over its rows
/// giving each job's group (run) id, its position in the [`groups`] row of that id (whose
/// gates it then obeys), its subject (see [`BackgroundJob::subject`]) and its JSON payload
/// (which must deserialize as `J`). A row whose subject already has a job of kind `J` gets
/// none. Every job carries the current span's trace context (docs/spec.md §20).
#[allow(clippy::too_many_arguments)]
pub async fn enqueue_selected<J: BackgroundJob>(
    db: &impl ConnectionTrait,
    group: &str,
    ordinal: &str,
    subject: &str,
    payload: &str,
    from: &str,
    values: Vec<sea_orm::Value>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut all = vec![
        QUEUE.into(),
        J::JOB_NAME.into(),
        now.into(),
        MAX_ATTEMPTS.into(),
        now.into(),
        now.into(),
        crate::telemetry::current_trace_context().into(),
    ];
    all.extend(values);
    exec(
        db,
        &format!(
            "INSERT INTO jobs (queue, kind, payload, status, run_id, group_id, ordinal, subject_id, run_at, attempts, max_attempts, created_at, updated_at, trace_context) \
             SELECT ?, ?, {payload}, 'pending', {group}, {group}, {ordinal}, {subject}, ?, 0, ?, ?, ?, ? {from} \
             ON CONFLICT DO NOTHING"
        ),
        all,
    )
    .await
}

/// What a job returns when it may not start after all (its group was held after the claim,
/// docs/spec.md §13): the worker hands it back, its attempt not counted, as at shutdown.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the job may not start now: handed back")]
pub struct HandBack;

/// Withdraws the pending (not running) jobs of kind `J` in `group`; returns how many.
pub async fn withdraw_pending<J: BackgroundJob>(
    db: &impl ConnectionTrait,
    group: i64,
) -> Result<u64, DbErr> {
    exec(
        db,
        "DELETE FROM jobs WHERE run_id = ? AND kind = ? AND status = 'pending'",
        vec![group.into(), J::JOB_NAME.into()],
    )
    .await
}

/// Inserts one job; a second job of the same kind for the same subject is a no-op. The
/// `ON CONFLICT` has no target on purpose: SQLite matches a target against the connection's
/// cached schema when it prepares the statement, so a pooled connection opened before the
/// migration that created `jobs_kind_subject_id_key` would refuse the statement; the only
/// unique keys of `jobs` are its id and that index.
async fn insert(
    db: &impl ConnectionTrait,
    kind: &str,
    payload: Value,
    run_id: Option<i64>,
    subject: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    exec(
        db,
        "INSERT INTO jobs (queue, kind, payload, status, run_id, subject_id, run_at, attempts, max_attempts, created_at, updated_at, trace_context) \
         VALUES (?, ?, ?, 'pending', ?, ?, ?, 0, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        vec![
            QUEUE.into(),
            kind.into(),
            payload.into(),
            run_id.into(),
            subject.into(),
            now.into(),
            MAX_ATTEMPTS.into(),
            now.into(),
            now.into(),
            crate::telemetry::current_trace_context().into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Claims the next due job, if any, with a lease of `lease` (see [`groups`] for the order and
/// the gates of grouped jobs).
pub async fn claim(
    db: &sea_orm::DatabaseConnection,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Option<JobHandle>, DbErr> {
    groups::claim(db, now, lease).await
}

/// Extends the lease; false when the lease was lost (another worker reclaimed the job).
pub async fn heartbeat(
    db: &impl ConnectionTrait,
    job: &JobHandle,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<bool, DbErr> {
    Ok(exec(
        db,
        "UPDATE jobs SET lease_expires_at = ?, heartbeat_at = ?, updated_at = ? \
         WHERE id = ? AND lease_token = ? AND status = 'running'",
        vec![
            (now + lease).into(),
            now.into(),
            now.into(),
            job.id.into(),
            job.lease_token.clone().into(),
        ],
    )
    .await?
        == 1)
}

/// Removes a finished job (its history lives in the run and item records).
pub async fn complete(db: &impl ConnectionTrait, job: &JobHandle) -> Result<bool, DbErr> {
    Ok(exec(
        db,
        "DELETE FROM jobs WHERE id = ? AND lease_token = ?",
        vec![job.id.into(), job.lease_token.clone().into()],
    )
    .await?
        == 1)
}

/// Puts a failed job back, to run again at `run_at` (now plus its [`backoff`]); false when the
/// lease was lost.
pub async fn retry_later(
    db: &impl ConnectionTrait,
    job: &JobHandle,
    error: &str,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(exec(
        db,
        "UPDATE jobs SET status = 'pending', run_at = ?, last_error = ?, lease_token = NULL, \
         lease_expires_at = NULL, updated_at = ? WHERE id = ? AND lease_token = ?",
        vec![
            run_at.into(),
            error.into(),
            now.into(),
            job.id.into(),
            job.lease_token.clone().into(),
        ],
    )
    .await?
        == 1)
}

/// Hands a job back unfinished and due at once, its attempt not counted (the worker is
/// shutting down; the attempt did not fail); false when the lease was lost. The worker calls
/// the job's [`BackgroundJob::handed_back`] in the same transaction.
pub async fn release(
    db: &impl ConnectionTrait,
    job: &JobHandle,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(exec(
        db,
        "UPDATE jobs SET status = 'pending', attempts = attempts - 1, run_at = ?, lease_token = NULL, \
         lease_expires_at = NULL, heartbeat_at = NULL, updated_at = ? WHERE id = ? AND lease_token = ?",
        vec![
            now.into(),
            now.into(),
            job.id.into(),
            job.lease_token.clone().into(),
        ],
    )
    .await?
        == 1)
}

/// Keeps a job that exhausted its attempts, for inspection.
pub async fn bury(
    db: &impl ConnectionTrait,
    job: &JobHandle,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    exec(
        db,
        "UPDATE jobs SET status = 'dead', last_error = ?, lease_token = NULL, lease_expires_at = NULL, \
         updated_at = ? WHERE id = ? AND lease_token = ?",
        vec![error.into(), now.into(), job.id.into(), job.lease_token.clone().into()],
    )
    .await
    .map(|_| ())
}

/// An error's text with its causes, each cause left out when the text before already says it
/// (database drivers wrap one message in several layers that each repeat it).
pub fn describe(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
    }
    text
}

/// Delay before retrying after attempt `attempt` failed: 2 s, 4 s, 8 s... capped at 5 minutes.
pub fn backoff(attempt: i32) -> Duration {
    Duration::seconds((1i64 << attempt.clamp(1, 9)).min(300))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_exponential_and_capped() {
        assert_eq!(backoff(1), Duration::seconds(2));
        assert_eq!(backoff(2), Duration::seconds(4));
        assert_eq!(backoff(3), Duration::seconds(8));
        assert_eq!(backoff(30), Duration::seconds(300));
        assert_eq!(backoff(0), Duration::seconds(2));
    }

    #[test]
    fn a_cause_that_repeats_the_text_before_is_said_once() {
        let repeated = anyhow::anyhow!("check failed at line 2090")
            .context("error returned from database: check failed at line 2090")
            .context("Execution Error: error returned from database: check failed at line 2090");
        assert_eq!(
            describe(&repeated),
            "Execution Error: error returned from database: check failed at line 2090"
        );
        let distinct = anyhow::anyhow!("connection refused").context("tenant 7");
        assert_eq!(describe(&distinct), "tenant 7: connection refused");
    }
}
