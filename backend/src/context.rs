//! What every service call needs: the database, the settings, the clock and the registries.
//! Not tied to HTTP: the CLI, the workers and the handlers get the same context, assembled in
//! one place, the composition root (`app.rs`).

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::password::HashPool;
use crate::auth::refusals::RefusalLog;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::jobs::{Chores, JobRegistry};
use crate::runbooks::Registry;

/// Shared, cheaply clonable service context.
#[derive(Clone, Debug)]
pub struct AppContext {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// The process settings.
    pub settings: Arc<Settings>,
    /// The clock all expiry decisions read.
    pub clock: SharedClock,
    /// The bounded pool every password hash and verification runs on.
    pub hashing: Arc<HashPool>,
    /// Refused logins of this process, written to the audit log once per IP, reason and minute.
    pub refusals: Arc<RefusalLog>,
    /// The runbooks this process serves.
    pub runbooks: Registry,
    /// Every job kind the workers run.
    pub jobs: Arc<JobRegistry>,
    /// Every chore the worker processes run on their own timer.
    pub chores: Arc<Chores>,
}

impl AppContext {
    /// A context with the given registries; the composition root (`app.rs`) is the one caller
    /// that names the real ones.
    pub fn assemble(
        db: DatabaseConnection,
        settings: Settings,
        clock: SharedClock,
        runbooks: Registry,
        jobs: JobRegistry,
        chores: Chores,
    ) -> Self {
        let hashing = Arc::new(HashPool::new(settings.hash_concurrency, settings.hash_wait));
        Self {
            db,
            settings: Arc::new(settings),
            clock,
            hashing,
            refusals: Arc::new(RefusalLog::default()),
            runbooks,
            jobs: Arc::new(jobs),
            chores: Arc::new(chores),
        }
    }

    /// The current time on this context's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}
