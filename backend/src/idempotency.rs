//! `Idempotency-Key` records: the first response to a key is stored and replayed to retries
//! with the same body; the same key with a different body is refused; a retry while the first
//! request is still being processed is told so. Keys are per principal and kept ≥ 24 h.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use sha2::{Digest, Sha256};

use crate::db::exec;
use crate::entities::idempotency_keys;

/// How long a key is remembered.
pub const RETENTION_HOURS: i64 = 24;
/// Longest accepted key.
pub const MAX_KEY_LEN: usize = 255;

/// What the first use of a key decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// New key: process the request, then [`finish`] (or [`abandon`]).
    Proceed,
    /// Same key and body as a finished request: replay its response.
    Replay {
        /// HTTP status.
        status: u16,
        /// Body.
        body: String,
    },
    /// Same key, different body.
    Mismatch,
    /// Same key, first request still in progress.
    InProgress,
}

/// A validated key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// 1–255 visible ASCII characters.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() || raw.len() > MAX_KEY_LEN {
            return Err(format!(
                "Idempotency-Key must be 1 to {MAX_KEY_LEN} characters"
            ));
        }
        if !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("Idempotency-Key must be visible ASCII characters".into());
        }
        Ok(Self(raw.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// SHA-256 of a request body (hex).
pub fn fingerprint(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Registers the first use of `key` by `principal`, or says how to answer a repeat.
pub async fn begin(
    db: &impl ConnectionTrait,
    principal: &str,
    key: &IdempotencyKey,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Begin, DbErr> {
    // Expired keys are forgotten so the same key may be used again.
    exec(
        db,
        "DELETE FROM idempotency_keys WHERE principal = ? AND key = ? AND expires_at <= ?",
        vec![principal.into(), key.as_str().into(), now.into()],
    )
    .await?;
    let inserted = exec(
        db,
        "INSERT INTO idempotency_keys (principal, key, request_hash, state, created_at, expires_at) \
         VALUES (?, ?, ?, 'in_progress', ?, ?) ON CONFLICT (principal, key) DO NOTHING",
        vec![
            principal.into(),
            key.as_str().into(),
            request_hash.into(),
            now.into(),
            (now + Duration::hours(RETENTION_HOURS)).into(),
        ],
    )
    .await?;
    if inserted == 1 {
        return Ok(Begin::Proceed);
    }
    let Some(row) =
        idempotency_keys::Entity::find_by_id((principal.to_owned(), key.as_str().to_owned()))
            .one(db)
            .await?
    else {
        return Ok(Begin::InProgress);
    };
    Ok(if row.request_hash != request_hash {
        Begin::Mismatch
    } else {
        match (row.state.as_str(), row.response_status, row.response_body) {
            ("completed", Some(status), Some(body)) => Begin::Replay {
                status: u16::try_from(status).unwrap_or(200),
                body,
            },
            _ => Begin::InProgress,
        }
    })
}

/// Stores the response of a request that succeeded.
pub async fn finish(
    db: &impl ConnectionTrait,
    principal: &str,
    key: &IdempotencyKey,
    status: u16,
    body: &str,
) -> Result<(), DbErr> {
    exec(
        db,
        "UPDATE idempotency_keys SET state = 'completed', response_status = ?, response_body = ? \
         WHERE principal = ? AND key = ?",
        vec![
            i32::from(status).into(),
            body.into(),
            principal.into(),
            key.as_str().into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Forgets a key whose request failed, so the client may retry it.
pub async fn abandon(
    db: &impl ConnectionTrait,
    principal: &str,
    key: &IdempotencyKey,
) -> Result<(), DbErr> {
    exec(
        db,
        "DELETE FROM idempotency_keys WHERE principal = ? AND key = ? AND state = 'in_progress'",
        vec![principal.into(), key.as_str().into()],
    )
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_bounded_and_visible() {
        assert!(IdempotencyKey::parse("abc-123").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert!(IdempotencyKey::parse("has space").is_err());
        assert!(IdempotencyKey::parse("naïve").is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_header_value_is_a_key_or_refused(raw in "\\PC{0,300}") {
            let valid = (1..=MAX_KEY_LEN).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
            match IdempotencyKey::parse(&raw) {
                Ok(key) => {
                    proptest::prop_assert!(valid);
                    proptest::prop_assert_eq!(key.as_str(), raw.as_str());
                }
                Err(_) => proptest::prop_assert!(!valid),
            }
        }
    }
}
