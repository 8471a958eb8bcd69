//! Server-side session storage (the actix-session store in `http::session_store` is a thin
//! adapter over these functions). Expiry is decided here, on the caller's clock, so that idle
//! and absolute timeouts hold whatever the cookie says and tests move a clock instead of
//! sleeping.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use sha2::{Digest, Sha256};

use crate::auth::principal::Plane;
use crate::entities::sessions;

/// Session-state key holding the principal id (JSON number).
pub const KEY_PRINCIPAL_ID: &str = "principal_id";
/// Session-state key holding the CSRF token (JSON string).
pub const KEY_CSRF: &str = "csrf_token";
/// Session-state key holding the login time in Unix milliseconds (JSON number).
pub const KEY_AUTH_AT: &str = "auth_at_ms";

/// A session's last-seen time is refreshed at most this often: every authenticated request
/// would otherwise be a database write. Idle expiry is therefore precise to this granularity.
const TOUCH_GRANULARITY: chrono::Duration = chrono::Duration::seconds(30);

/// Session state as actix-session keeps it: names to JSON-encoded values.
pub type SessionState = HashMap<String, String>;

/// Timeouts of a session.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Ends a session that saw no request for this long.
    pub idle: Duration,
    /// Ends a session this long after it was created, whatever its activity.
    pub absolute: Duration,
}

/// The value stored in `sessions.id` for a cookie's session key.
pub fn hash_key(session_key: &str) -> String {
    hex::encode(Sha256::digest(session_key.as_bytes()))
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

fn principal_of(state: &SessionState) -> Option<i64> {
    state
        .get(KEY_PRINCIPAL_ID)
        .and_then(|v| serde_json::from_str::<i64>(v).ok())
}

fn to_json(state: &SessionState) -> serde_json::Value {
    serde_json::Value::Object(
        state
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    )
}

fn from_json(value: &serde_json::Value) -> Option<SessionState> {
    value
        .as_object()?
        .iter()
        .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
        .collect()
}

/// Stores a new session under `session_key`.
pub async fn create(
    db: &impl ConnectionTrait,
    plane: Plane,
    session_key: &str,
    state: &SessionState,
    now: DateTime<Utc>,
    lifetimes: Lifetimes,
) -> Result<(), DbErr> {
    let absolute = now + chrono_duration(lifetimes.absolute);
    let idle = (now + chrono_duration(lifetimes.idle)).min(absolute);
    sessions::ActiveModel {
        id: Set(hash_key(session_key)),
        plane: Set(plane.as_str().to_owned()),
        principal_id: Set(principal_of(state)),
        state: Set(to_json(state)),
        created_at: Set(now),
        last_seen_at: Set(now),
        idle_expires_at: Set(idle),
        absolute_expires_at: Set(absolute),
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Loads a live session. An expired one is deleted and reported as absent; a live one has its
/// idle deadline pushed forward (at most every [`TOUCH_GRANULARITY`]).
pub async fn load(
    db: &impl ConnectionTrait,
    plane: Plane,
    session_key: &str,
    now: DateTime<Utc>,
    lifetimes: Lifetimes,
) -> Result<Option<SessionState>, DbErr> {
    let id = hash_key(session_key);
    let Some(row) = sessions::Entity::find_by_id(id.clone())
        .filter(sessions::Column::Plane.eq(plane.as_str()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if now >= row.idle_expires_at || now >= row.absolute_expires_at {
        sessions::Entity::delete_by_id(id).exec(db).await?;
        return Ok(None);
    }
    if now - row.last_seen_at >= TOUCH_GRANULARITY {
        let idle = (now + chrono_duration(lifetimes.idle)).min(row.absolute_expires_at);
        sessions::Entity::update_many()
            .col_expr(sessions::Column::LastSeenAt, Expr::value(now))
            .col_expr(sessions::Column::IdleExpiresAt, Expr::value(idle))
            .filter(sessions::Column::Id.eq(id))
            .exec(db)
            .await?;
    }
    // A state that is not an object of strings is treated as no session rather than an error:
    // the user signs in again.
    Ok(from_json(&row.state))
}

/// Replaces the state of an existing session; `false` when the session no longer exists.
pub async fn update(
    db: &impl ConnectionTrait,
    plane: Plane,
    session_key: &str,
    state: &SessionState,
) -> Result<bool, DbErr> {
    let res = sessions::Entity::update_many()
        .col_expr(sessions::Column::State, Expr::value(to_json(state)))
        .col_expr(
            sessions::Column::PrincipalId,
            Expr::value(principal_of(state)),
        )
        .filter(sessions::Column::Id.eq(hash_key(session_key)))
        .filter(sessions::Column::Plane.eq(plane.as_str()))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

/// Deletes one session (logout).
pub async fn delete(
    db: &impl ConnectionTrait,
    plane: Plane,
    session_key: &str,
) -> Result<(), DbErr> {
    sessions::Entity::delete_many()
        .filter(sessions::Column::Id.eq(hash_key(session_key)))
        .filter(sessions::Column::Plane.eq(plane.as_str()))
        .exec(db)
        .await
        .map(|_| ())
}

/// Ends every session of one principal (operator disabled, password changed).
pub async fn end_all_for(
    db: &impl ConnectionTrait,
    plane: Plane,
    principal_id: i64,
) -> Result<u64, DbErr> {
    sessions::Entity::delete_many()
        .filter(sessions::Column::Plane.eq(plane.as_str()))
        .filter(sessions::Column::PrincipalId.eq(principal_id))
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}

/// Deletes every expired session; returns how many. Meant for the worker loop.
pub async fn purge_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    sessions::Entity::delete_many()
        .filter(
            Condition::any()
                .add(sessions::Column::IdleExpiresAt.lte(now))
                .add(sessions::Column::AbsoluteExpiresAt.lte(now)),
        )
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stored_hashed() {
        let h = hash_key("abc");
        assert_eq!(h.len(), 64);
        assert_ne!(h, "abc");
        assert_eq!(h, hash_key("abc"));
    }

    #[test]
    fn state_round_trips_and_exposes_the_principal() {
        let state: SessionState = [
            (KEY_PRINCIPAL_ID.to_owned(), "42".to_owned()),
            (KEY_CSRF.to_owned(), "\"t\"".to_owned()),
        ]
        .into();
        assert_eq!(principal_of(&state), Some(42));
        assert_eq!(from_json(&to_json(&state)), Some(state));
        assert_eq!(from_json(&serde_json::json!({"a": 1})), None);
    }
}
