//! What every service call needs: the database, the settings and the clock. Not tied to HTTP:
//! the CLI, the workers and the handlers build the same context.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::password::HashPool;
use crate::auth::refusals::RefusalLog;
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::jobs::JobRegistry;
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
}

impl AppContext {
    /// A context on the system clock.
    pub fn new(db: DatabaseConnection, settings: Settings) -> Self {
        Self::with_clock(db, settings, Arc::new(SystemClock))
    }

    /// A context on a given clock (tests).
    pub fn with_clock(db: DatabaseConnection, settings: Settings, clock: SharedClock) -> Self {
        let hashing = Arc::new(HashPool::new(settings.hash_concurrency, settings.hash_wait));
        Self {
            db,
            settings: Arc::new(settings),
            clock,
            hashing,
            refusals: Arc::new(RefusalLog::default()),
            runbooks: Registry::built_in(),
            jobs: Arc::new(crate::runs::execute::jobs()),
        }
    }

    /// The current time on this context's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}
