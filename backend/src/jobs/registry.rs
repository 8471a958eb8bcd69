//! The typed job trait and the one registry of job kinds (crates.io's `BackgroundJob` and
//! `JobRegistry`): a job is a serde payload with a name and a `run`; the worker looks its kind
//! up here and knows nothing else about it.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::context::AppContext;
use crate::db::exec;

/// The claim a worker holds on one job while it runs: which attempt this is, and the lease
/// token every write about the job must present.
#[derive(Debug, Clone)]
pub struct JobHandle {
    /// Job id.
    pub id: i64,
    /// The job's kind (its [`BackgroundJob::JOB_NAME`]).
    pub kind: String,
    /// The stored payload.
    pub payload: serde_json::Value,
    /// This attempt (1-based).
    pub attempts: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// The lease token.
    pub lease_token: String,
    /// Who holds the claim: the worker's name (see [`super::worker::identity`]), which the job
    /// may record (a tenant job's attempts name it, docs/spec.md §21).
    pub worker: String,
    /// The W3C `traceparent` of the span that enqueued the job, if traces were on: the job's
    /// spans continue that trace (docs/spec.md §20).
    pub trace_context: Option<String>,
}

impl JobHandle {
    /// Stores `job` as this job's new payload (a resumable job's progress), in `db`'s
    /// transaction; `false` when the lease was lost (another worker owns the job now).
    pub async fn save<J: BackgroundJob>(
        &self,
        db: &impl ConnectionTrait,
        job: &J,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, DbErr> {
        let payload = serde_json::to_value(job).map_err(|e| DbErr::Custom(e.to_string()))?;
        Ok(exec(
            db,
            "UPDATE jobs SET payload = ?, updated_at = ? WHERE id = ? AND lease_token = ?",
            vec![
                payload.into(),
                now.into(),
                self.id.into(),
                self.lease_token.clone().into(),
            ],
        )
        .await?
            == 1)
    }

    /// Extends the lease now (a long job between heartbeats); `false` when it was lost.
    pub async fn heartbeat(&self, ctx: &AppContext) -> Result<bool, DbErr> {
        super::heartbeat(&ctx.db, self, ctx.now(), super::worker::lease(ctx)).await
    }
}

/// A kind of durable job.
pub trait BackgroundJob: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The stable kind stored in `jobs.kind`.
    const JOB_NAME: &'static str;

    /// Does the work. An error is retried with backoff until the attempts are used up.
    fn run<'a>(
        &'a self,
        ctx: &'a AppContext,
        job: &'a JobHandle,
    ) -> BoxFuture<'a, anyhow::Result<()>>;

    /// After a failed attempt that will be retried at `next_attempt_at`. It runs inside `txn`,
    /// the transaction that reschedules the job, so that both happen or neither.
    fn retrying<'a>(
        &'a self,
        _ctx: &'a AppContext,
        _txn: &'a DatabaseTransaction,
        _error: &'a anyhow::Error,
        _next_attempt_at: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), DbErr>> {
        Box::pin(async { Ok(()) })
    }

    /// The record this job works on, if any (stored as `jobs.subject_id`): at most one job of
    /// this kind exists per subject, so enqueueing a second one is a no-op.
    fn subject(&self) -> Option<i64> {
        None
    }

    /// After the job was handed back unfinished (its worker is shutting down), inside `txn`,
    /// the transaction that puts it back in the queue: whatever the attempt marked as in
    /// progress goes back to waiting with it.
    fn handed_back<'a>(
        &'a self,
        _ctx: &'a AppContext,
        _txn: &'a DatabaseTransaction,
    ) -> BoxFuture<'a, Result<(), DbErr>> {
        Box::pin(async { Ok(()) })
    }

    /// After the last attempt failed (or its worker was lost).
    fn exhausted<'a>(
        &'a self,
        _ctx: &'a AppContext,
        _error: &'a anyhow::Error,
    ) -> BoxFuture<'a, Result<(), DbErr>> {
        Box::pin(async { Ok(()) })
    }
}

/// What happened to a job, for the registry's type-erased entry points.
#[derive(Clone, Copy)]
enum Phase<'a> {
    Run,
    Retrying {
        txn: &'a DatabaseTransaction,
        error: &'a anyhow::Error,
        next_attempt_at: DateTime<Utc>,
    },
    Exhausted(&'a anyhow::Error),
    HandedBack(&'a DatabaseTransaction),
}

type Handler = Arc<
    dyn for<'a> Fn(&'a AppContext, &'a JobHandle, Phase<'a>) -> BoxFuture<'a, anyhow::Result<()>>
        + Send
        + Sync,
>;

fn handler<J: BackgroundJob>() -> Handler {
    Arc::new(|ctx, job, phase| {
        Box::pin(async move {
            let payload: J = serde_json::from_value(job.payload.clone()).map_err(|e| {
                anyhow::anyhow!("job {} has an invalid {} payload: {e}", job.id, J::JOB_NAME)
            })?;
            match phase {
                Phase::Run => payload.run(ctx, job).await,
                Phase::Retrying {
                    txn,
                    error,
                    next_attempt_at,
                } => Ok(payload.retrying(ctx, txn, error, next_attempt_at).await?),
                Phase::Exhausted(error) => Ok(payload.exhausted(ctx, error).await?),
                Phase::HandedBack(txn) => Ok(payload.handed_back(ctx, txn).await?),
            }
        })
    })
}

/// Every job kind a worker can run.
#[derive(Clone, Default)]
pub struct JobRegistry {
    handlers: HashMap<&'static str, Handler>,
}

impl JobRegistry {
    /// This registry and job kind `J`.
    #[must_use]
    pub fn register<J: BackgroundJob>(mut self) -> Self {
        self.handlers.insert(J::JOB_NAME, handler::<J>());
        self
    }

    fn get(&self, job: &JobHandle) -> anyhow::Result<&Handler> {
        self.handlers
            .get(job.kind.as_str())
            .ok_or_else(|| anyhow::anyhow!("unknown job kind {:?}", job.kind))
    }

    /// Runs `job`.
    pub async fn run(&self, ctx: &AppContext, job: &JobHandle) -> anyhow::Result<()> {
        (self.get(job)?)(ctx, job, Phase::Run).await
    }

    /// Tells `job`, inside `txn`, that its attempt failed and it runs again at
    /// `next_attempt_at`.
    pub async fn retrying(
        &self,
        ctx: &AppContext,
        job: &JobHandle,
        txn: &DatabaseTransaction,
        error: &anyhow::Error,
        next_attempt_at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let phase = Phase::Retrying {
            txn,
            error,
            next_attempt_at,
        };
        (self.get(job)?)(ctx, job, phase).await
    }

    /// Tells `job`, inside `txn`, that it was handed back unfinished.
    pub async fn handed_back(
        &self,
        ctx: &AppContext,
        job: &JobHandle,
        txn: &DatabaseTransaction,
    ) -> anyhow::Result<()> {
        (self.get(job)?)(ctx, job, Phase::HandedBack(txn)).await
    }

    /// Tells `job` it is given up.
    pub async fn exhausted(
        &self,
        ctx: &AppContext,
        job: &JobHandle,
        error: &anyhow::Error,
    ) -> anyhow::Result<()> {
        (self.get(job)?)(ctx, job, Phase::Exhausted(error)).await
    }
}

impl std::fmt::Debug for JobRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.handlers.keys()).finish()
    }
}
