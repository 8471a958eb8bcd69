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

pub mod fanout;
pub mod tenant;
pub mod worker;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use serde_json::Value;

use crate::db::{exec, stmt};

/// The queue every job of this service uses.
pub const QUEUE: &str = "default";
/// Attempts before a job is given up.
pub const MAX_ATTEMPTS: i32 = 3;

/// A job a worker holds a lease on.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    /// Job id.
    pub id: i64,
    /// `run.fanout` or `run.tenant`.
    pub kind: String,
    /// Kind-specific data.
    pub payload: Value,
    /// This claim's attempt number (1-based).
    pub attempts: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// The lease token every later write must present.
    pub lease_token: String,
}

/// Adds a job.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    kind: &str,
    payload: Value,
    run_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    exec(
        db,
        "INSERT INTO jobs (queue, kind, payload, status, run_id, run_at, attempts, max_attempts, created_at, updated_at) \
         VALUES (?, ?, ?, 'pending', ?, ?, 0, ?, ?, ?)",
        vec![
            QUEUE.into(),
            kind.into(),
            payload.into(),
            run_id.into(),
            now.into(),
            MAX_ATTEMPTS.into(),
            now.into(),
            now.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Claims the next due job, if any, with a lease of `lease`.
pub async fn claim(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Option<ClaimedJob>, DbErr> {
    let backend = db.get_database_backend();
    let lock = match backend {
        DbBackend::Postgres => "FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let token = uuid::Uuid::new_v4().to_string();
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_token = ?, \
         lease_expires_at = ?, heartbeat_at = ?, updated_at = ? \
         WHERE id = (SELECT id FROM jobs WHERE queue = ? AND \
                       ((status = 'pending' AND run_at <= ?) OR (status = 'running' AND lease_expires_at < ?)) \
                     ORDER BY run_at, id LIMIT 1 {lock}) \
           AND ((status = 'pending' AND run_at <= ?) OR (status = 'running' AND lease_expires_at < ?)) \
         RETURNING id, kind, payload, attempts, max_attempts"
    );
    let row = db
        .query_one_raw(stmt(
            backend,
            &sql,
            vec![
                token.clone().into(),
                (now + lease).into(),
                now.into(),
                now.into(),
                QUEUE.into(),
                now.into(),
                now.into(),
                now.into(),
                now.into(),
            ],
        ))
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(ClaimedJob {
        id: row.try_get("", "id")?,
        kind: row.try_get("", "kind")?,
        payload: row.try_get("", "payload")?,
        attempts: row.try_get("", "attempts")?,
        max_attempts: row.try_get("", "max_attempts")?,
        lease_token: token,
    }))
}

/// Extends the lease; false when the lease was lost (another worker reclaimed the job).
pub async fn heartbeat(
    db: &impl ConnectionTrait,
    job: &ClaimedJob,
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
pub async fn complete(db: &impl ConnectionTrait, job: &ClaimedJob) -> Result<bool, DbErr> {
    Ok(exec(
        db,
        "DELETE FROM jobs WHERE id = ? AND lease_token = ?",
        vec![job.id.into(), job.lease_token.clone().into()],
    )
    .await?
        == 1)
}

/// Puts a failed job back with a backoff delay.
pub async fn retry_later(
    db: &impl ConnectionTrait,
    job: &ClaimedJob,
    error: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(exec(
        db,
        "UPDATE jobs SET status = 'pending', run_at = ?, last_error = ?, lease_token = NULL, \
         lease_expires_at = NULL, updated_at = ? WHERE id = ? AND lease_token = ?",
        vec![
            (now + backoff(job.attempts)).into(),
            error.into(),
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
    job: &ClaimedJob,
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
}
