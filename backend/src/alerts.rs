//! Alerts: when a run completes `failed` or `partially_succeeded`, a JSON alert is POSTed to
//! `ALERT_WEBHOOK_URL`. The alert is written to an outbox in the run's finalizing transaction
//! and delivered by the workers with retries and exponential backoff, so a slow or down
//! webhook never blocks a run or a request. No webhook configured → nothing is written.
//!
//! The payload carries what the person paged needs (SPEC §18): the outcome, counts and error
//! summary, the failed tenants named with their errors (up to [`FAILED_TENANTS`]), and a link
//! to the run (`console_url`, from `PUBLIC_URL`).

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::audit::{self, Actor, Event};
use crate::context::AppContext;
use crate::db::exec;
use crate::domain::run::{ItemStatus, Outcome};
use crate::entities::alert_deliveries;
use crate::runs::query::{self, ItemFilter, RunView};

/// Failed tenants listed in an alert.
pub const FAILED_TENANTS: u64 = 20;

/// Delivery attempts before an alert is given up.
pub const MAX_ATTEMPTS: i32 = 8;

/// Writes the outbox row for `run` (inside the finalizing transaction).
pub async fn enqueue(
    ctx: &AppContext,
    db: &impl ConnectionTrait,
    run: &RunView,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if ctx.settings.alert_webhook_url.is_none() {
        return Ok(());
    }
    let failed = ItemFilter {
        status: Some(ItemStatus::Failed),
        search: None,
    };
    let failed_tenants: Vec<serde_json::Value> =
        query::items_after(db, run.id, &failed, 0, FAILED_TENANTS)
            .await?
            .into_iter()
            .map(|item| {
                serde_json::json!({
                    "id": item.tenant_id,
                    "external_id": item.tenant_external_id,
                    "name": item.tenant_name,
                    "error": item.error,
                })
            })
            .collect();
    let console_url = ctx
        .settings
        .public_url
        .as_ref()
        .map(|base| format!("{base}/system/ops/runs/{}", run.id));
    let payload = serde_json::json!({
        "type": "operation_run.completed",
        "run_id": run.id,
        "runbook": run.runbook,
        "scope": run.scope,
        "outcome": outcome,
        "counts": run.counts,
        "error_summary": run.error_summary,
        "failed_tenants": failed_tenants,
        "console_url": console_url,
        "initiator": run.initiator,
        "completed_at": now,
    });
    alert_deliveries::Entity::insert(alert_deliveries::ActiveModel {
        run_id: Set(run.id),
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
    .on_conflict_do_nothing_on([alert_deliveries::Column::RunId])
    .exec(db)
    .await
    .map(|_| ())
}

/// Backoff before attempt `attempt + 1`: 2 s, 4 s, 8 s... capped at 10 minutes.
pub fn backoff(attempt: i32) -> Duration {
    Duration::seconds((2i64 << attempt.clamp(0, 12)).min(600))
}

/// Delivers the alerts that are due; returns how many were attempted.
pub async fn deliver_due(ctx: &AppContext, client: &reqwest::Client) -> Result<usize, DbErr> {
    let Some(url) = ctx.settings.alert_webhook_url.clone() else {
        return Ok(0);
    };
    let now = ctx.now();
    let due = alert_deliveries::Entity::find()
        .filter(alert_deliveries::Column::Status.eq("pending"))
        .filter(alert_deliveries::Column::NextAttemptAt.lte(now))
        .order_by_asc(alert_deliveries::Column::Id)
        .limit(10)
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
