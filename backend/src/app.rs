//! The composition root: the one place that names every runbook, job kind and chore of this
//! build and assembles them into an [`AppContext`]. `serve`, `worker`, the CLI, the deploy hook
//! and the tests all get their context here, so the job queue never imports the run lifecycle
//! (it only runs what is registered) and no other module builds a registry.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::context::AppContext;
use crate::jobs::{Chores, JobRegistry};
use crate::runbooks::Registry;

/// The runbooks of this build.
pub fn runbooks() -> Registry {
    Registry::built_in()
}

/// Every job kind the workers run: the run lifecycle's fan-out and tenant job.
pub fn jobs() -> JobRegistry {
    crate::runs::execute::jobs()
}

/// Every chore the worker processes run on their own timer (docs/spec.md §19).
pub fn chores() -> Chores {
    Chores::default()
        .with(crate::alerts::Delivery)
        .with(crate::auth::purges::ExpiredSessions)
        .with(crate::auth::purges::ExpiredThrottleWindows)
        .with(crate::runs::reconcile::Reconciler)
        .with(crate::runs::preflight::UncitedPreflights)
        .with(crate::runs::throttle::Stamper)
        .with(crate::runs::changes::Purge)
}

/// Starts `n` job workers and, when there is at least one, this process's chores and its
/// health sampler (docs/spec.md §14): what `serve`, `worker` and the CLI's `--inline` run.
pub fn spawn_workers(
    ctx: &AppContext,
    n: usize,
    shutdown: &tokio_util::sync::CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut handles = crate::jobs::worker::spawn(ctx, n, shutdown);
    if n > 0 {
        handles.push(crate::health::sampler::spawn(ctx, shutdown));
    }
    handles
}

/// The context of this process, on the system clock.
pub fn context(db: DatabaseConnection, settings: Settings) -> AppContext {
    context_with_clock(db, settings, Arc::new(SystemClock))
}

/// The context on a given clock (tests move it).
pub fn context_with_clock(
    db: DatabaseConnection,
    settings: Settings,
    clock: SharedClock,
) -> AppContext {
    AppContext::assemble(db, settings, clock, runbooks(), jobs(), chores())
}
