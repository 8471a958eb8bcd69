//! The worker loop: claim a job, run it while heartbeating its lease, then complete, retry or
//! bury it. [`try_execute_one`] runs exactly one job, so tests can drain the queue
//! deterministically.

use std::time::Duration as StdDuration;

use chrono::Duration;
use sea_orm::DbErr;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::JobHandle;
use crate::context::AppContext;
use crate::telemetry;

/// What one poll of the queue did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// A job was claimed and handled.
    Executed,
    /// Nothing was due.
    Empty,
}

/// The name a worker is known by wherever a job records who ran it (a tenant job's attempts,
/// docs/spec.md §21): the host, this process and, for a worker of [`spawn`]'s pool, its index —
/// `web-1 pid 4242 worker 0`. A job run outside a pool (tests, a one-off call) names the process
/// alone.
pub fn identity(index: Option<usize>) -> String {
    let process = format!("{} pid {}", host(), std::process::id());
    match index {
        Some(index) => format!("{process} worker {index}"),
        None => process,
    }
}

/// This machine's host name (the kernel's, else `HOSTNAME`, else `localhost`), read once.
fn host() -> &'static str {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "localhost".to_owned())
    })
}

/// The lease a claim gets (`JOB_LEASE_SECONDS`).
pub fn lease(ctx: &AppContext) -> Duration {
    Duration::from_std(ctx.settings.job_lease).unwrap_or(Duration::seconds(30))
}

/// Claims and handles at most one job.
pub async fn try_execute_one(ctx: &AppContext) -> Result<Tick, DbErr> {
    execute_one(ctx, None, None).await
}

/// Claims and handles at most one job; once `shutdown` is cancelled, the job in hand gets
/// [`Settings::worker_shutdown_grace`] to finish, after which it is handed back unfinished
/// with its attempt not counted (SIGTERM is no failure of the job).
///
/// [`Settings::worker_shutdown_grace`]: crate::config::Settings::worker_shutdown_grace
pub async fn try_execute_one_until(
    ctx: &AppContext,
    shutdown: &CancellationToken,
) -> Result<Tick, DbErr> {
    execute_one(ctx, Some(shutdown), None).await
}

/// Claims and handles at most one job as worker `index` of the pool.
async fn execute_one(
    ctx: &AppContext,
    shutdown: Option<&CancellationToken>,
    index: Option<usize>,
) -> Result<Tick, DbErr> {
    let claiming = std::time::SystemTime::now();
    let Some(mut job) = super::claim(&ctx.db, ctx.now(), lease(ctx)).await? else {
        return Ok(Tick::Empty);
    };
    if index.is_some() {
        job.worker = identity(index);
    }
    // The claim and the job continue the trace of whatever enqueued the job, in this process
    // or another (docs/spec.md §20).
    let parent = job.trace_context.as_deref();
    telemetry::record_claim(parent, claiming, job.id, &job.kind, job.attempts);
    let span = tracing::info_span!(
        "job",
        job_id = job.id,
        kind = %job.kind,
        attempt = job.attempts,
        outcome = tracing::field::Empty,
    );
    telemetry::set_parent(&span, parent);
    handle(ctx, job, shutdown).instrument(span).await?;
    Ok(Tick::Executed)
}

/// Records how the job's attempt ended on its span.
fn outcome(outcome: &str) {
    tracing::Span::current().record("outcome", outcome);
}

async fn handle(
    ctx: &AppContext,
    job: JobHandle,
    shutdown: Option<&CancellationToken>,
) -> Result<(), DbErr> {
    if job.attempts > job.max_attempts {
        // Reclaimed after its last attempt's worker died: give up.
        outcome("given_up");
        let error = anyhow::anyhow!(
            "worker lost during attempt {} (lease expired)",
            job.max_attempts
        );
        return give_up(ctx, &job, &error).await;
    }
    let heartbeat = spawn_heartbeat(ctx.clone(), job.clone());
    let started = std::time::Instant::now();
    let run = ctx.jobs.run(ctx, &job);
    let result = match shutdown {
        None => Some(run.await),
        Some(token) => {
            let grace = ctx.settings.worker_shutdown_grace;
            tokio::select! {
                result = run => Some(result),
                () = async {
                    token.cancelled().await;
                    tokio::time::sleep(grace).await;
                } => None,
            }
        }
    };
    heartbeat.abort();
    // The job's future is dropped by now: an unfinished attempt's transaction rolled back.
    let Some(result) = result else {
        tracing::info!("shutting down: job handed back unfinished");
        outcome("handed_back");
        return hand_back(ctx, &job).await;
    };
    if let Err(error) = &result
        && error.is::<super::HandBack>()
    {
        outcome("handed_back");
        return hand_back(ctx, &job).await;
    }
    if let Some(metrics) = crate::metrics::global() {
        metrics.observe_job(&job.kind, result.is_ok(), started.elapsed());
    }
    match result {
        Ok(()) => {
            outcome("done");
            super::complete(&ctx.db, &job).await?;
        }
        Err(error) => {
            let text = super::describe(&error);
            tracing::warn!(error = %text, "job failed");
            if job.attempts >= job.max_attempts {
                outcome("given_up");
                give_up(ctx, &job, &error).await?;
            } else {
                outcome("retrying");
                retry_later(ctx, &job, &error, &text).await?;
            }
        }
    }
    Ok(())
}

/// Reschedules the job after its backoff and tells it so, in one transaction; a worker that
/// lost its lease changes nothing (the job's new owner decides).
async fn retry_later(
    ctx: &AppContext,
    job: &JobHandle,
    error: &anyhow::Error,
    text: &str,
) -> Result<(), DbErr> {
    let now = ctx.now();
    let next_attempt_at = now + super::backoff(job.attempts);
    let txn = crate::db::begin_write(&ctx.db).await?;
    if !super::retry_later(&txn, job, text, next_attempt_at, now).await? {
        txn.rollback().await?;
        return Ok(());
    }
    surface_db_error(
        ctx.jobs
            .retrying(ctx, job, &txn, error, next_attempt_at)
            .await,
        "retrying",
    )?;
    txn.commit().await
}

/// Puts the job back in the queue and tells it so, in one transaction (its item returns to
/// `pending` with it, so a cancel can then cancel it); a worker that lost its lease changes
/// nothing.
async fn hand_back(ctx: &AppContext, job: &JobHandle) -> Result<(), DbErr> {
    let txn = crate::db::begin_write(&ctx.db).await?;
    if !super::release(&txn, job, ctx.now()).await? {
        txn.rollback().await?;
        return Ok(());
    }
    surface_db_error(ctx.jobs.handed_back(ctx, job, &txn).await, "handed_back")?;
    txn.commit().await
}

async fn give_up(ctx: &AppContext, job: &JobHandle, error: &anyhow::Error) -> Result<(), DbErr> {
    super::bury(&ctx.db, job, &super::describe(error), ctx.now()).await?;
    surface_db_error(ctx.jobs.exhausted(ctx, job, error).await, "exhausted")
}

/// A hook's database failure surfaces (the worker backs off, the lease brings the job back);
/// anything else (an unreadable payload) is logged, since there is nothing to retry.
fn surface_db_error(result: anyhow::Result<()>, hook: &str) -> Result<(), DbErr> {
    match result.map_err(|e| e.downcast::<DbErr>()) {
        Ok(()) => Ok(()),
        Err(Ok(db)) => Err(db),
        Err(Err(other)) => {
            tracing::error!(hook, error.cause_chain = ?other, "job hook failed");
            Ok(())
        }
    }
}

fn spawn_heartbeat(ctx: AppContext, job: JobHandle) -> JoinHandle<()> {
    tokio::spawn(async move {
        let every = (ctx.settings.job_lease / 3).max(StdDuration::from_millis(100));
        loop {
            tokio::time::sleep(every).await;
            match super::heartbeat(&ctx.db, &job, ctx.now(), lease(&ctx)).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(job_id = job.id, "lease lost");
                    return;
                }
                Err(error) => tracing::warn!(job_id = job.id, %error, "heartbeat failed"),
            }
        }
    })
}

/// One worker: polls until `shutdown`; a job in progress is given the shutdown grace to
/// finish, then handed back (see [`try_execute_one_until`]). Chores run on their own timer
/// beside the workers ([`super::chores::spawn`]), never in this loop.
pub async fn run(ctx: AppContext, index: usize, shutdown: CancellationToken) {
    tracing::info!(worker = index, "worker started");
    while !shutdown.is_cancelled() {
        let idle = match execute_one(&ctx, Some(&shutdown), Some(index)).await {
            Ok(Tick::Executed) => false,
            Ok(Tick::Empty) => true,
            Err(error) => {
                // The database is down or failing: back off and retry, never exit.
                tracing::error!(worker = index, error.cause_chain = ?error, "queue poll failed");
                true
            }
        };
        if idle {
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(ctx.settings.worker_poll) => {}
            }
        }
    }
    tracing::info!(worker = index, "worker stopped");
}

/// Starts `n` workers and, when there is at least one, this process's chores.
pub fn spawn(ctx: &AppContext, n: usize, shutdown: &CancellationToken) -> Vec<JoinHandle<()>> {
    let mut handles: Vec<JoinHandle<()>> = (0..n)
        .map(|i| tokio::spawn(run(ctx.clone(), i, shutdown.clone())))
        .collect();
    if n > 0 {
        handles.extend(super::chores::spawn(ctx, shutdown));
    }
    handles
}
