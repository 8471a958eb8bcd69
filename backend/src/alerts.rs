//! Alerts: a typed outbox of webhook messages. When a run completes `failed` or
//! `partially_succeeded`, the run lifecycle builds a [`RunAlert`] and writes it here in the
//! run's finalizing transaction; the [`Delivery`] chore POSTs it as JSON to
//! `ALERT_WEBHOOK_URL` with retries and exponential backoff, so a slow or down webhook never
//! blocks a run or a request. No webhook configured → nothing is written.
//!
//! The payload carries what the person paged needs (docs/spec.md §18): the outcome, counts and
//! error summary, the failed tenants named with their errors, and a link to the run. This
//! module knows the payload's shape, not the runs it describes: it imports nothing of `runs/`.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use futures_util::future::BoxFuture;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::audit::{self, Actor, Event};
use crate::context::AppContext;
use crate::db::exec;
use crate::domain::run::Outcome;
use crate::entities::alert_deliveries;
use crate::jobs::Chore;

/// Failed tenants listed in an alert.
pub const FAILED_TENANTS: u64 = 20;

/// Delivery attempts before an alert is given up.
pub const MAX_ATTEMPTS: i32 = 8;

/// Alerts attempted per delivery pass.
const PASS: u64 = 10;

/// The webhook message about one run, as POSTed.
#[derive(Debug, Clone, Serialize)]
pub struct RunAlert {
    /// What happened: `operation_run.completed`, or `operation_run.paused` (a failure budget
    /// was spent).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Which occurrence of `kind` this is for the run (its pause episode; 0 for completion):
    /// one alert is written per run, kind and episode.
    #[serde(skip)]
    pub episode: i32,
    /// The run.
    pub run_id: i64,
    /// Its runbook key.
    pub runbook: String,
    /// Its scope, as the run view shows it.
    pub scope: serde_json::Value,
    /// How it ended (completion alerts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Why it paused, as the run view shows it (pause alerts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pause: Option<serde_json::Value>,
    /// Its counts, as the run view shows them.
    pub counts: serde_json::Value,
    /// Its error summary.
    pub error_summary: Option<String>,
    /// Up to [`FAILED_TENANTS`] failed tenants with their errors.
    pub failed_tenants: Vec<FailedTenant>,
    /// The run in the console (from `PUBLIC_URL`).
    pub console_url: Option<String>,
    /// Who started it, as the run view shows it.
    pub initiator: serde_json::Value,
    /// When it completed (completion alerts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
}

/// One failed tenant named in an alert.
#[derive(Debug, Clone, Serialize)]
pub struct FailedTenant {
    /// Tenant id.
    pub id: i64,
    /// Its external id.
    pub external_id: String,
    /// Its name.
    pub name: String,
    /// Its item's last error.
    pub error: Option<String>,
}

/// Whether alerts are sent at all (`ALERT_WEBHOOK_URL` is set).
pub fn configured(ctx: &AppContext) -> bool {
    ctx.settings.alert_webhook_url.is_some()
}

/// Writes the outbox row for `alert` (inside the run's transaction); at most one per run, kind
/// and episode.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    alert: &RunAlert,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let payload = serde_json::to_value(alert).map_err(|e| DbErr::Custom(e.to_string()))?;
    alert_deliveries::Entity::insert(alert_deliveries::ActiveModel {
        run_id: Set(alert.run_id),
        kind: Set(alert.kind.to_owned()),
        episode: Set(alert.episode),
        payload: Set(payload),
        status: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        delivered_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([
        alert_deliveries::Column::RunId,
        alert_deliveries::Column::Kind,
        alert_deliveries::Column::Episode,
    ])
    .exec(db)
    .await
    .map(|_| ())
}

/// The chore that delivers due alerts, every second.
#[derive(Debug, Clone, Copy)]
pub struct Delivery;

impl Chore for Delivery {
    fn name(&self) -> &'static str {
        "alerts.deliver"
    }

    fn every(&self) -> StdDuration {
        StdDuration::from_secs(1)
    }

    fn tick<'a>(&'a self, ctx: &'a AppContext) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            deliver_due(ctx).await?;
            Ok(())
        })
    }
}

/// Backoff before attempt `attempt + 1`: 2 s, 4 s, 8 s... capped at 10 minutes.
pub fn backoff(attempt: i32) -> Duration {
    Duration::seconds((2i64 << attempt.clamp(0, 12)).min(600))
}

/// The HTTP client alerts are sent with (one per process: it pools connections).
fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new)
}

/// Delivers up to one pass of the alerts that are due; returns how many were attempted. Each
/// alert is claimed first (its next attempt pushed into the future with a guarded UPDATE), so
/// two processes never send the same attempt.
pub async fn deliver_due(ctx: &AppContext) -> Result<usize, DbErr> {
    let client = client();
    let Some(url) = ctx.settings.alert_webhook_url.clone() else {
        return Ok(0);
    };
    let now = ctx.now();
    let due = alert_deliveries::Entity::find()
        .filter(alert_deliveries::Column::Status.eq("pending"))
        .filter(alert_deliveries::Column::NextAttemptAt.lte(now))
        .order_by_asc(alert_deliveries::Column::Id)
        .limit(PASS)
        .all(&ctx.db)
        .await?;
    let count = due.len();
    for alert in due {
        // Claim by pushing the next attempt into the future, so a second worker skips it.
        let attempt = alert.attempts + 1;
        let claimed = exec(
            &ctx.db,
            "UPDATE alert_deliveries SET attempts = ?, next_attempt_at = ?, updated_at = ? \
             WHERE id = ? AND status = 'pending' AND attempts = ?",
            vec![
                attempt.into(),
                (now + backoff(attempt)).into(),
                now.into(),
                alert.id.into(),
                alert.attempts.into(),
            ],
        )
        .await?;
        if claimed != 1 {
            continue;
        }
        let result = client
            .post(&url)
            .timeout(StdDuration::from_secs(10))
            .json(&alert.payload)
            .send()
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| {
                if r.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("webhook answered {}", r.status()))
                }
            });
        let done = ctx.now();
        let (status, action) = match &result {
            Ok(()) => ("delivered", "alert.delivered"),
            Err(_) if attempt >= MAX_ATTEMPTS => ("failed", "alert.failed"),
            Err(_) => ("pending", "alert.retrying"),
        };
        exec(
            &ctx.db,
            "UPDATE alert_deliveries SET status = ?, last_error = ?, delivered_at = ?, updated_at = ? WHERE id = ?",
            vec![
                status.into(),
                result.as_ref().err().cloned().into(),
                result.is_ok().then_some(done).into(),
                done.into(),
                alert.id.into(),
            ],
        )
        .await?;
        if let Err(error) = &result {
            tracing::warn!(alert_id = alert.id, run_id = alert.run_id, attempt, %error, "alert delivery failed");
        }
        let mut event = Event::new(action, Actor::System);
        event.source = Some("worker".into());
        event.target = Some(("operation_run", alert.run_id.to_string()));
        event.metadata = serde_json::json!({ "attempt": attempt, "error": result.err() });
        audit::record(&ctx.db, event).await;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::seconds(4));
        assert!(backoff(3) > backoff(2));
        assert_eq!(backoff(20), Duration::seconds(600));
    }
}
