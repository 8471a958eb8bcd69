//! Logins refused before any password was checked — by the general flood limiter, the
//! cross-site `Origin` / `Sec-Fetch-Site` check, an over-long username, or a full hashing pool —
//! are audited as `auth.login.refused`, but at most once per (plane, client IP, reason) and
//! minute, with a `count`: a flood of refusals must not become a flood of audit writes.
//!
//! Counting happens in this process's memory (one map lookup per refusal, no database write);
//! a minute's counts are written when the minute has ended, by [`RefusalLog::flush`], which the
//! HTTP server calls every few seconds and once more when it stops. With several server
//! processes each writes its own rows (the limit is per process, like the flood limiter's).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::audit::{self, Actor, Event};
use crate::auth::principal::Plane;
use crate::auth::throttle::window_start;

/// Why a login was refused before its password was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalReason {
    /// The general per-IP flood limiter answered 429.
    RateLimited,
    /// `Sec-Fetch-Site: cross-site`.
    CrossSite,
    /// An `Origin` that is not this host.
    CrossOrigin,
    /// A username longer than the limit (422).
    UsernameTooLong,
    /// No password hashing slot became free in time (503).
    Busy,
}

impl RefusalReason {
    /// The stable name in the audit metadata.
    pub const fn as_str(self) -> &'static str {
        match self {
            RefusalReason::RateLimited => "rate_limited",
            RefusalReason::CrossSite => "cross_site",
            RefusalReason::CrossOrigin => "cross_origin",
            RefusalReason::UsernameTooLong => "username_too_long",
            RefusalReason::Busy => "busy",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    plane: Plane,
    ip: String,
    reason: RefusalReason,
    window: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct Tally {
    count: u64,
    /// The first normalised username the window saw, when the refusal knew one.
    username: Option<String>,
}

/// Refusal counts of this process, per (plane, IP, reason, minute), not yet written.
#[derive(Debug, Default)]
pub struct RefusalLog {
    pending: Mutex<HashMap<Key, Tally>>,
}

impl RefusalLog {
    /// Counts one refusal.
    pub fn note(
        &self,
        plane: Plane,
        ip: Option<&str>,
        reason: RefusalReason,
        username: Option<&str>,
        now: DateTime<Utc>,
    ) {
        let key = Key {
            plane,
            ip: ip.unwrap_or("unknown").to_owned(),
            reason,
            window: window_start(now),
        };
        if let Ok(mut pending) = self.pending.lock() {
            let tally = pending.entry(key).or_default();
            tally.count += 1;
            if tally.username.is_none() {
                tally.username = username.map(str::to_owned);
            }
        }
    }

    /// Writes one `auth.login.refused` event per counted window that has ended by `now` (every
    /// window when `all`, at shutdown); returns how many events were written.
    pub async fn flush(&self, db: &impl ConnectionTrait, now: DateTime<Utc>, all: bool) -> usize {
        let current = window_start(now);
        let due: Vec<(Key, Tally)> = match self.pending.lock() {
            Ok(mut pending) => {
                let keys: Vec<Key> = pending
                    .keys()
                    .filter(|k| all || k.window < current)
                    .cloned()
                    .collect();
                keys.into_iter()
                    .filter_map(|k| pending.remove(&k).map(|t| (k, t)))
                    .collect()
            }
            Err(_) => Vec::new(),
        };
        let written = due.len();
        for (key, tally) in due {
            let mut event = Event::new(
                "auth.login.refused",
                Actor::Anonymous {
                    username: tally.username.clone(),
                },
            );
            event.ip = Some(key.ip);
            event.source = Some(
                match key.plane {
                    Plane::System => "system_ui",
                    Plane::Admin => "admin_ui",
                }
                .to_owned(),
            );
            event.metadata = serde_json::json!({
                "plane": key.plane.as_str(),
                "reason": key.reason.as_str(),
                "count": tally.count,
                "window_start": key.window,
                "username": tally.username,
            });
            audit::record(db, event).await;
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn refusals_are_tallied_per_plane_ip_reason_and_minute() {
        let log = RefusalLog::default();
        let t0 = Utc
            .with_ymd_and_hms(2026, 1, 1, 10, 0, 5)
            .single()
            .expect("time");
        for _ in 0..500 {
            log.note(
                Plane::System,
                Some("1.2.3.4"),
                RefusalReason::RateLimited,
                None,
                t0,
            );
        }
        log.note(
            Plane::System,
            Some("1.2.3.4"),
            RefusalReason::CrossSite,
            Some("a"),
            t0,
        );
        log.note(
            Plane::Admin,
            Some("1.2.3.4"),
            RefusalReason::CrossSite,
            Some("b"),
            t0,
        );
        log.note(
            Plane::System,
            Some("1.2.3.4"),
            RefusalReason::RateLimited,
            None,
            t0 + chrono::TimeDelta::minutes(1),
        );
        let pending = log.pending.lock().expect("lock");
        assert_eq!(pending.len(), 4);
        let flood = pending
            .iter()
            .find(|(k, _)| k.reason == RefusalReason::RateLimited && k.window == window_start(t0))
            .map(|(_, t)| t.count);
        assert_eq!(flood, Some(500));
    }
}
