//! Executing a run: the bodies of its jobs on the generic queue — the fan-out, which creates
//! the items and enqueues one tenant job per item, and the tenant job, which applies the
//! runbook to one tenant in one transaction with the item's status and the run's counters.

pub mod fanout;
pub mod tenant;

use crate::jobs::JobRegistry;

/// Every job kind of the run lifecycle, registered once; the workers know no other.
pub fn jobs() -> JobRegistry {
    JobRegistry::default()
        .register::<fanout::FanOut>()
        .register::<tenant::TenantJob>()
}
