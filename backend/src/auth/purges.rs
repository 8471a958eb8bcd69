//! Chores that delete what has expired: server-side sessions past their idle or absolute
//! expiry, and login-throttle windows that can no longer refuse anything. They run on the
//! workers' chore timer (docs/spec.md §19), whether or not the workers are busy.

use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::context::AppContext;
use crate::jobs::Chore;

/// Deletes expired sessions.
#[derive(Debug, Clone, Copy)]
pub struct ExpiredSessions;

impl Chore for ExpiredSessions {
    fn name(&self) -> &'static str {
        "sessions.purge"
    }

    fn every(&self) -> Duration {
        Duration::from_secs(60)
    }

    fn tick<'a>(&'a self, ctx: &'a AppContext) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let purged = super::sessions::purge_expired(&ctx.db, ctx.now()).await?;
            if purged > 0 {
                tracing::info!(purged, "expired sessions purged");
            }
            Ok(())
        })
    }
}

/// Deletes login-throttle windows that have ended.
#[derive(Debug, Clone, Copy)]
pub struct ExpiredThrottleWindows;

impl Chore for ExpiredThrottleWindows {
    fn name(&self) -> &'static str {
        "login_throttle.purge"
    }

    fn every(&self) -> Duration {
        Duration::from_secs(60)
    }

    fn tick<'a>(&'a self, ctx: &'a AppContext) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            super::throttle::purge_expired(&ctx.db, ctx.now()).await?;
            Ok(())
        })
    }
}
