//! Login throttling in the database, so the limit holds across server processes: a counter per
//! bucket and fixed one-minute window, bumped with one atomic upsert.
//!
//! Three buckets guard each attempt: (client IP, lower-cased username) at
//! [`PER_IP_AND_USERNAME`] per minute; the client IP alone at `LOGIN_FAILURES_PER_IP_PER_MINUTE`
//! failed attempts, whatever the username (a flood of random usernames from one address is
//! throttled too; a successful login takes its attempt back with [`forgive`]); and the username
//! alone at [`PER_USERNAME`] per minute, which stops credential stuffing spread over many
//! addresses. The username-wide bucket only counts attempts the per-IP buckets let through, so
//! a single address cannot lock a user out.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use crate::auth::credentials::LoginName;
use crate::auth::principal::Plane;

/// Attempts per minute per (client IP, lower-cased username).
pub const PER_IP_AND_USERNAME: i64 = 10;
/// Attempts per minute per lower-cased username, across all addresses.
pub const PER_USERNAME: i64 = 50;

const WINDOW: TimeDelta = TimeDelta::minutes(1);

/// The verdict on one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead.
    Allowed,
    /// Refused; retry after this many seconds (the end of the current window).
    Throttled {
        /// Seconds until the window ends (at least 1).
        retry_after_secs: u64,
        /// Which limit: `ip_and_username`, `ip` or `username`.
        limit: &'static str,
    },
}

/// The start of the window containing `now`.
pub fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(WINDOW).unwrap_or(now)
}

/// Seconds from `now` to the end of its window, rounded up, at least 1.
pub fn retry_after(now: DateTime<Utc>) -> u64 {
    let end = window_start(now) + WINDOW;
    let ms = (end - now).num_milliseconds().max(0);
    u64::try_from((ms + 999) / 1000).unwrap_or(1).max(1)
}

/// Adds one attempt to `bucket` in the window of `now`; returns the window's count so far.
pub async fn hit(
    db: &impl ConnectionTrait,
    bucket: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO login_throttle (bucket, window_start, attempts) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket, window_start) DO UPDATE SET attempts = login_throttle.attempts + 1 \
             RETURNING attempts"
        }
        _ => {
            "INSERT INTO login_throttle (bucket, window_start, attempts) VALUES (?, ?, 1) \
             ON CONFLICT (bucket, window_start) DO UPDATE SET attempts = login_throttle.attempts + 1 \
             RETURNING attempts"
        }
    };
    let stmt =
        Statement::from_sql_and_values(backend, sql, [bucket.into(), window_start(now).into()]);
    let row = db
        .query_one_raw(stmt)
        .await?
        .ok_or_else(|| DbErr::Custom("login_throttle upsert returned no row".into()))?;
    row.try_get::<i64>("", "attempts")
}

/// The bucket of every attempt from `ip` on `plane`.
fn ip_bucket(plane: Plane, ip: &str) -> String {
    format!("{}|ip:{ip}", plane.as_str())
}

/// Counts one login attempt of `user` from `ip` on `plane` and says whether it may proceed;
/// `per_ip` is the limit of failed attempts per minute from `ip` whatever the username.
pub async fn check(
    db: &impl ConnectionTrait,
    plane: Plane,
    ip: &str,
    user: &LoginName,
    per_ip: i64,
    now: DateTime<Utc>,
) -> Result<Verdict, DbErr> {
    let by_ip = ip_bucket(plane, ip);
    let plane = plane.as_str();
    let pair = hit(db, &format!("{plane}|ip:{ip}|user:{user}"), now).await?;
    if pair > PER_IP_AND_USERNAME {
        return Ok(Verdict::Throttled {
            retry_after_secs: retry_after(now),
            limit: "ip_and_username",
        });
    }
    if hit(db, &by_ip, now).await? > per_ip {
        return Ok(Verdict::Throttled {
            retry_after_secs: retry_after(now),
            limit: "ip",
        });
    }
    let all = hit(db, &format!("{plane}|user:{user}"), now).await?;
    if all > PER_USERNAME {
        return Ok(Verdict::Throttled {
            retry_after_secs: retry_after(now),
            limit: "username",
        });
    }
    Ok(Verdict::Allowed)
}

/// Takes back the attempt a successful login made in its address's bucket, so that only failed
/// attempts count against `LOGIN_FAILURES_PER_IP_PER_MINUTE`.
pub async fn forgive(
    db: &impl ConnectionTrait,
    plane: Plane,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "UPDATE login_throttle SET attempts = attempts - 1 \
             WHERE bucket = $1 AND window_start = $2 AND attempts > 0"
        }
        _ => {
            "UPDATE login_throttle SET attempts = attempts - 1 \
             WHERE bucket = ? AND window_start = ? AND attempts > 0"
        }
    };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [ip_bucket(plane, ip).into(), window_start(now).into()],
    ))
    .await
    .map(|_| ())
}

/// Deletes counters of windows that ended; returns how many. Meant for the worker loop.
pub async fn purge_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    use crate::entities::login_throttle;
    login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::WindowStart.lt(window_start(now)))
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn windows_are_whole_minutes_and_retry_after_reaches_their_end() {
        let now = Utc
            .with_ymd_and_hms(2026, 1, 1, 10, 0, 15)
            .single()
            .expect("valid time");
        assert_eq!(
            window_start(now),
            Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0)
                .single()
                .expect("valid time")
        );
        assert_eq!(retry_after(now), 45);
        let edge = now + TimeDelta::milliseconds(44_500);
        assert_eq!(retry_after(edge), 1);
    }
}
