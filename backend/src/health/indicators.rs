//! The indicators of the health gate (docs/spec.md §14), each read on the sampler's own
//! connection: PostgreSQL's (the oldest open transaction of other clients, replication lag,
//! lock waiters, an anti-wraparound autovacuum on a table the runbooks write) and an external
//! check (`HEALTH_CHECK_URL`), the only one on SQLite.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One indicator's reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Reading {
    /// `oldest_transaction_seconds`, `replication_lag_seconds`, `lock_waiters`,
    /// `wraparound_autovacuum` or `external_check`.
    pub name: String,
    /// The value read (`null` when unavailable).
    pub value: Option<f64>,
    /// The threshold it is held against.
    pub threshold: f64,
    /// Whether the service's role can read it (an unavailable indicator never gates).
    pub available: bool,
    /// Whether it is over its threshold (gating).
    pub over: bool,
}

impl Reading {
    fn of(name: &str, value: Option<f64>, threshold: f64) -> Self {
        Self {
            name: name.to_owned(),
            over: value.is_some_and(|v| v > threshold),
            available: value.is_some(),
            value,
            threshold,
        }
    }
}

/// What the sampler holds each indicator against (a threshold of 0 turns it off).
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Oldest open transaction of another client, seconds.
    pub oldest_transaction_seconds: f64,
    /// Largest replay lag of a replica, seconds.
    pub replication_lag_seconds: f64,
    /// Sessions waiting on a lock for over a second.
    pub lock_waiters: f64,
    /// Whether an anti-wraparound autovacuum on a table the runbooks write gates.
    pub wraparound_autovacuum: bool,
    /// The tables the runbooks write.
    pub tables: Vec<String>,
    /// The external check.
    pub check_url: Option<String>,
}

/// One number from a query (`None` when the query answers NULL).
async fn number(db: &impl ConnectionTrait, sql: &str) -> Result<Option<f64>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?;
    Ok(row.and_then(|r| r.try_get_by_index::<Option<f64>>(0).ok().flatten()))
}

/// Whether this role sees other sessions' activity and the replicas (`pg_monitor` or
/// superuser): without it PostgreSQL shows NULL where the indicators look.
async fn can_monitor(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(number(
        db,
        "SELECT (CASE WHEN pg_has_role(current_user, 'pg_monitor', 'MEMBER') \
           OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN 1 ELSE 0 END)::float8",
    )
    .await?
        == Some(1.0))
}

/// The PostgreSQL indicators that are on, read on `db` (docs/spec.md §14).
pub async fn postgres(db: &impl ConnectionTrait, t: &Thresholds) -> Result<Vec<Reading>, DbErr> {
    let monitor = can_monitor(db).await?;
    let mut readings = Vec::new();
    if t.oldest_transaction_seconds > 0.0 {
        // Other clients of this database only: the service's own connections are named
        // `atlas-ops`, and a long tenant transaction of its own never trips the gate.
        let value = match monitor {
            true => Some(
                number(
                    db,
                    "SELECT COALESCE(EXTRACT(EPOCH FROM now() - MIN(xact_start)), 0)::float8 \
                     FROM pg_stat_activity WHERE datname = current_database() \
                     AND xact_start IS NOT NULL AND pid <> pg_backend_pid() \
                     AND application_name IS DISTINCT FROM 'atlas-ops'",
                )
                .await?
                .unwrap_or(0.0),
            ),
            false => None,
        };
        readings.push(Reading::of(
            "oldest_transaction_seconds",
            value,
            t.oldest_transaction_seconds,
        ));
    }
    if t.replication_lag_seconds > 0.0 {
        // Unqualified, so a test can stand a view in for it ahead of pg_catalog.
        let value = match monitor {
            true => Some(
                number(
                    db,
                    "SELECT COALESCE(EXTRACT(EPOCH FROM MAX(replay_lag)), 0)::float8 FROM pg_stat_replication",
                )
                .await?
                .unwrap_or(0.0),
            ),
            false => None,
        };
        readings.push(Reading::of(
            "replication_lag_seconds",
            value,
            t.replication_lag_seconds,
        ));
    }
    if t.lock_waiters > 0.0 {
        // Row-lock entries carry no database: the waiter's session says which it is.
        let value = match monitor {
            true => number(
                db,
                "SELECT COUNT(DISTINCT a.pid)::float8 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE NOT l.granted AND a.datname = current_database() \
                 AND l.waitstart < now() - interval '1 second'",
            )
            .await?,
            false => None,
        };
        readings.push(Reading::of("lock_waiters", value, t.lock_waiters));
    }
    if t.wraparound_autovacuum && !t.tables.is_empty() {
        let tables: Vec<String> = t
            .tables
            .iter()
            .map(|name| format!("'{}'", name.replace('\'', "''")))
            .collect();
        let value = match monitor {
            true => {
                number(
                    db,
                    &format!(
                        "SELECT COUNT(*)::float8 FROM pg_stat_progress_vacuum v \
                     JOIN pg_stat_activity a ON a.pid = v.pid \
                     JOIN pg_class c ON c.oid = v.relid \
                     WHERE v.datname = current_database() AND c.relname IN ({}) \
                     AND a.query LIKE '%(to prevent wraparound)%'",
                        tables.join(", ")
                    ),
                )
                .await?
            }
            false => None,
        };
        // Any such vacuum gates: the threshold is "more than none".
        readings.push(Reading::of("wraparound_autovacuum", value, 0.0));
    }
    Ok(readings)
}

/// What an external check may say about why it is unhealthy.
#[derive(Debug, Deserialize)]
struct CheckBody {
    indicator: Option<String>,
    value: Option<f64>,
    threshold: Option<f64>,
}

/// The external check (`HEALTH_CHECK_URL`): healthy on a 2xx within 2 s. Its reading is named
/// `external_check` (or the body's `indicator`), with the body's value and threshold when it
/// sends them; a failed check reads 1 over a threshold of 0.
pub async fn external(client: &reqwest::Client, url: &str) -> Reading {
    let answer = client.get(url).timeout(Duration::from_secs(2)).send().await;
    let (healthy, body) = match answer {
        Ok(res) => {
            let healthy = res.status().is_success();
            (healthy, res.json::<CheckBody>().await.ok())
        }
        Err(_) => (false, None),
    };
    let name = body
        .as_ref()
        .and_then(|b| b.indicator.clone())
        .unwrap_or_else(|| "external_check".to_owned());
    let threshold = body.as_ref().and_then(|b| b.threshold).unwrap_or(0.0);
    let value = body
        .as_ref()
        .and_then(|b| b.value)
        .unwrap_or(if healthy { 0.0 } else { 1.0 });
    Reading {
        name,
        value: Some(value),
        threshold,
        available: true,
        over: !healthy,
    }
}
