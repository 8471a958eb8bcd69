//! The health sampler (docs/spec.md §14): a loop in every worker process (`serve`, `worker`,
//! the CLI's `--inline` workers), on its own database connection — so it keeps sampling while
//! the workers' pool is exhausted — and its own timer. One process samples at a time: each
//! tick first takes or renews the lease in `health_state` with a guarded UPDATE (not an
//! advisory lock: those stay with pooled connections).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::STALE_AFTER_SAMPLES;
use super::indicators::{self, Reading, Thresholds};
use crate::context::AppContext;
use crate::db::{self, exec};
use crate::jobs::groups;

use super::KEEP;

/// Starts this process's sampler until `shutdown`.
pub fn spawn(ctx: &AppContext, shutdown: &CancellationToken) -> JoinHandle<()> {
    let (ctx, shutdown) = (ctx.clone(), shutdown.clone());
    tokio::spawn(async move {
        let holder = format!("pid {} {}", std::process::id(), uuid::Uuid::new_v4());
        let every = ctx.settings.health.sample_every;
        let client = reqwest::Client::new();
        let mut own: Option<DatabaseConnection> = None;
        while !shutdown.is_cancelled() {
            if own.is_none() {
                own = db::connect(&ctx.settings.database_url, 1).await.ok();
            }
            if let Some(conn) = &own
                && let Err(error) = tick(&ctx, conn, &client, &holder).await
            {
                tracing::warn!(error.cause_chain = ?error, "health sample failed");
            }
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(every) => {}
            }
        }
        if let Some(conn) = own {
            let _ = conn.close().await;
        }
    })
}

/// What the runbooks of this build write, for the wraparound indicator.
fn thresholds(ctx: &AppContext) -> Thresholds {
    let h = &ctx.settings.health;
    let mut tables: Vec<String> = ctx
        .runbooks
        .all()
        .iter()
        .flat_map(|r| r.tables_written().iter().map(|t| (*t).to_owned()))
        .collect();
    tables.sort();
    tables.dedup();
    Thresholds {
        oldest_transaction_seconds: h.max_oldest_transaction_seconds,
        replication_lag_seconds: h.max_replication_lag_seconds,
        lock_waiters: h.max_lock_waiters,
        wraparound_autovacuum: h.wraparound_autovacuum,
        tables,
        check_url: h.check_url.clone(),
    }
}

/// Takes or renews the sampler's lease for `holder`; false when another process holds it.
async fn lease(
    db: &impl ConnectionTrait,
    holder: &str,
    now: DateTime<Utc>,
    every: Duration,
) -> Result<bool, DbErr> {
    let until = now
        + chrono::Duration::from_std(every * STALE_AFTER_SAMPLES as u32)
            .unwrap_or(chrono::Duration::seconds(15));
    Ok(exec(
        db,
        "UPDATE health_state SET holder = ?, lease_expires_at = ? WHERE id = 1 \
         AND (holder = ? OR holder IS NULL OR lease_expires_at < ?)",
        vec![holder.into(), until.into(), holder.into(), now.into()],
    )
    .await?
        == 1)
}

/// One sample, if this process holds the lease: read, keep, and move the gate.
pub async fn tick(
    ctx: &AppContext,
    db: &DatabaseConnection,
    client: &reqwest::Client,
    holder: &str,
) -> Result<(), DbErr> {
    let every = ctx.settings.health.sample_every;
    let now = ctx.now();
    if !lease(db, holder, now, every).await? {
        return Ok(());
    }
    let t = thresholds(ctx);
    let mut readings = match db.get_database_backend() {
        DbBackend::Postgres => indicators::postgres(db, &t).await?,
        _ => Vec::new(),
    };
    if let Some(url) = &t.check_url {
        readings.push(indicators::external(client, url).await);
    }
    record(ctx, db, &readings, now).await
}

/// Keeps the samples, prunes those past an hour, and moves the gate and the dispatch hold.
async fn record(
    ctx: &AppContext,
    db: &DatabaseConnection,
    readings: &[Reading],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let health = &ctx.settings.health;
    let txn = db::begin_write(db).await?;
    for r in readings {
        exec(
            &txn,
            "INSERT INTO health_samples (sampled_at, indicator, value, threshold, available, over) \
             VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                now.into(),
                r.name.clone().into(),
                r.value.into(),
                r.threshold.into(),
                r.available.into(),
                r.over.into(),
            ],
        )
        .await?;
    }
    exec(
        &txn,
        "DELETE FROM health_samples WHERE sampled_at < ?",
        vec![(now - KEEP).into()],
    )
    .await?;
    exec(
        &txn,
        "DELETE FROM health_episodes WHERE ended_at < ?",
        vec![(now - KEEP).into()],
    )
    .await?;
    let row = txn
        .query_one_raw(db::stmt(
            txn.get_database_backend(),
            "SELECT state, healthy_streak FROM health_state WHERE id = 1",
            vec![],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("health_state has no row".into()))?;
    let was_throttled = row.try_get::<String>("", "state")? == "throttled";
    let streak: i32 = row.try_get("", "healthy_streak")?;
    let hold_until = now
        + chrono::Duration::from_std(health.sample_every * STALE_AFTER_SAMPLES as u32)
            .unwrap_or(chrono::Duration::seconds(15));
    match readings.iter().find(|r| r.over) {
        Some(over) => {
            let reason = serde_json::to_value(over).map_err(|e| DbErr::Custom(e.to_string()))?;
            exec(
                &txn,
                "UPDATE health_state SET state = 'throttled', \
                 since = CASE WHEN state = 'throttled' THEN since ELSE ? END, \
                 healthy_streak = 0, sampled_at = ?, reason = ? WHERE id = 1",
                vec![now.into(), now.into(), reason.into()],
            )
            .await?;
            groups::hold_dispatch(&txn, Some(hold_until)).await?;
            if !was_throttled {
                exec(
                    &txn,
                    "INSERT INTO health_episodes (started_at, indicator) VALUES (?, ?)",
                    vec![now.into(), over.name.clone().into()],
                )
                .await?;
                tracing::warn!(indicator = %over.name, value = ?over.value, threshold = over.threshold, "database unhealthy: tenants stop starting");
            }
        }
        None if was_throttled && streak + 1 < health.recovery_samples as i32 => {
            // Recovering: still held until enough healthy samples in a row.
            exec(
                &txn,
                "UPDATE health_state SET healthy_streak = healthy_streak + 1, sampled_at = ? WHERE id = 1",
                vec![now.into()],
            )
            .await?;
            groups::hold_dispatch(&txn, Some(hold_until)).await?;
        }
        None => {
            exec(
                &txn,
                "UPDATE health_state SET state = 'healthy', \
                 since = CASE WHEN state = 'healthy' THEN since ELSE ? END, \
                 healthy_streak = healthy_streak + 1, sampled_at = ?, reason = NULL WHERE id = 1",
                vec![now.into(), now.into()],
            )
            .await?;
            if was_throttled {
                groups::hold_dispatch(&txn, None).await?;
                exec(
                    &txn,
                    "UPDATE health_episodes SET ended_at = ? WHERE ended_at IS NULL",
                    vec![now.into()],
                )
                .await?;
                tracing::info!("database healthy again: tenants start");
            }
        }
    }
    txn.commit().await
}
