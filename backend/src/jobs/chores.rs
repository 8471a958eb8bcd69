//! Chores: periodic housekeeping (alert delivery, purges, the reconciler) on a timer of its own
//! in every worker process, busy or not (docs/spec.md §19).
//!
//! Each chore is a [`Chore`] with a name and an interval, registered once in [`Chores`] by the
//! composition root. Every process runs a loop per chore, but a pass happens only where the
//! chore's row in `chore_runs` was claimed: one guarded `UPDATE ... SET next_run_at = now +
//! every WHERE next_run_at <= now` lets exactly one process through per interval, across any
//! number of processes and machines. A pass is bounded by the chore itself (a batch size) and
//! by [`Chore::every`]'s timeout, so one stuck pass never stops the next.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DbErr};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::context::AppContext;
use crate::db::exec;

/// A periodic, bounded piece of housekeeping.
pub trait Chore: Send + Sync + 'static {
    /// Stable name (its row in `chore_runs`, its log and metric label).
    fn name(&self) -> &'static str;
    /// How often a pass is due, across all processes.
    fn every(&self) -> Duration;
    /// One bounded pass.
    fn tick<'a>(&'a self, ctx: &'a AppContext) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// Every chore the workers run.
#[derive(Clone, Default)]
pub struct Chores {
    chores: Vec<Arc<dyn Chore>>,
}

impl Chores {
    /// These chores and `chore`.
    #[must_use]
    pub fn with(mut self, chore: impl Chore) -> Self {
        self.chores.push(Arc::new(chore));
        self
    }

    /// Every registered chore.
    pub fn all(&self) -> impl Iterator<Item = &Arc<dyn Chore>> {
        self.chores.iter()
    }

    /// The chore named `name`.
    pub fn find(&self, name: &str) -> Option<&Arc<dyn Chore>> {
        self.chores.iter().find(|c| c.name() == name)
    }
}

impl std::fmt::Debug for Chores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.chores.iter().map(|c| c.name()))
            .finish()
    }
}

/// Claims the next pass of chore `name` for `holder` as of `now`: true when it was due and this
/// caller moved it forward by `every` (no other process can run the same pass).
pub async fn claim(
    db: &impl ConnectionTrait,
    name: &str,
    every: Duration,
    holder: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let next = now + chrono::Duration::from_std(every).unwrap_or(chrono::Duration::seconds(60));
    // A read first: a pass that is not due costs no write (on SQLite a write, even one that
    // matches nothing, queues behind a tenant's transaction for the database's write lock).
    let due_at: Option<DateTime<Utc>> = db
        .query_one_raw(crate::db::stmt(
            db.get_database_backend(),
            "SELECT next_run_at FROM chore_runs WHERE name = ?",
            vec![name.into()],
        ))
        .await?
        .map(|row| row.try_get("", "next_run_at"))
        .transpose()?;
    if due_at.is_some_and(|at| at > now) {
        return Ok(false);
    }
    let moved = exec(
        db,
        "UPDATE chore_runs SET next_run_at = ?, holder = ?, started_at = ? \
         WHERE name = ? AND next_run_at <= ?",
        vec![
            next.into(),
            holder.into(),
            now.into(),
            name.into(),
            now.into(),
        ],
    )
    .await?;
    if moved == 1 {
        return Ok(true);
    }
    // The chore's first pass ever: whoever inserts its row runs it.
    Ok(exec(
        db,
        "INSERT INTO chore_runs (name, next_run_at, holder, started_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT DO NOTHING",
        vec![name.into(), next.into(), holder.into(), now.into()],
    )
    .await?
        == 1)
}

/// Runs `chore`'s pass if it is due and this process claims it; true when it ran.
pub async fn run_if_due(ctx: &AppContext, chore: &dyn Chore, holder: &str) -> Result<bool, DbErr> {
    if !claim(&ctx.db, chore.name(), chore.every(), holder, ctx.now()).await? {
        return Ok(false);
    }
    let limit = chore.every().max(Duration::from_secs(30));
    let error = match tokio::time::timeout(limit, chore.tick(ctx)).await {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(crate::jobs::describe(&error)),
        Err(_) => Some(format!("pass timed out after {} s", limit.as_secs())),
    };
    if let Some(error) = &error {
        tracing::warn!(chore = chore.name(), %error, "chore pass failed");
    }
    exec(
        &ctx.db,
        "UPDATE chore_runs SET finished_at = ?, last_error = ? WHERE name = ? AND holder = ?",
        vec![
            ctx.now().into(),
            error.into(),
            chore.name().into(),
            holder.into(),
        ],
    )
    .await?;
    Ok(true)
}

/// Runs every registered chore that is due, once (tests drive chores with this).
pub async fn run_due(ctx: &AppContext) -> Result<Vec<&'static str>, DbErr> {
    let holder = holder();
    let mut ran = Vec::new();
    for chore in ctx.chores.all() {
        if run_if_due(ctx, chore.as_ref(), &holder).await? {
            ran.push(chore.name());
        }
    }
    Ok(ran)
}

/// This process's name in `chore_runs.holder`.
fn holder() -> String {
    format!("pid {} {}", std::process::id(), uuid::Uuid::new_v4())
}

/// Starts one loop per chore until `shutdown`. Each loop checks its chore every second (or its
/// interval, if shorter), so a pass starts within a second of being due.
pub fn spawn(ctx: &AppContext, shutdown: &CancellationToken) -> Vec<JoinHandle<()>> {
    let holder = holder();
    let poll = Duration::from_secs(1);
    ctx.chores
        .all()
        .map(|chore| {
            let (ctx, chore, holder, shutdown) =
                (ctx.clone(), chore.clone(), holder.clone(), shutdown.clone());
            tokio::spawn(async move {
                while !shutdown.is_cancelled() {
                    if let Err(error) = run_if_due(&ctx, chore.as_ref(), &holder).await {
                        tracing::warn!(chore = chore.name(), error.cause_chain = ?error, "chore claim failed");
                    }
                    tokio::select! {
                        () = shutdown.cancelled() => {}
                        () = tokio::time::sleep(poll.min(chore.every())) => {}
                    }
                }
            })
        })
        .collect()
}
