//! The `Idempotency-Key` protocol: [`try_processing`] claims a new key (or returns the saved
//! response of a finished request with the same key and body, or refuses another body or a
//! request still in progress); the request's own transaction then [`save_response`]s, so the
//! effect and its saved answer commit together. Keys are per principal and kept ≥ 24 h.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use sha2::{Digest, Sha256};

use crate::db::exec;
use crate::entities::idempotency_keys;

/// How long a key is remembered.
pub const RETENTION_HOURS: i64 = 24;
/// Longest accepted key.
pub const MAX_KEY_LEN: usize = 255;

/// What to do with a request that carries a key (zero2prod's `try_processing → NextAction`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextAction {
    /// A new key, now claimed: process the request and, in the transaction that commits its
    /// effect, [`save_response`]; if it fails instead, [`release`] the claim.
    StartProcessing(Claim),
    /// The same key and body as a finished request: answer with its saved response.
    ReturnSaved(SavedResponse),
}

/// A key claimed by the request being processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    principal: String,
    key: IdempotencyKey,
}

/// The response of a finished request, replayed to a retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedResponse {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: String,
}

/// Why a request with a key cannot be processed.
#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    /// The key was used before with another request body.
    #[error("this key was already used with a different request body")]
    Mismatch,
    /// The first request with this key is still being processed.
    #[error("a request with this Idempotency-Key is still being processed")]
    InProgress,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
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

/// How long a claim may stay unfinished before it is taken to be abandoned (its request died
/// between claiming the key and committing), so a retry may process the request again.
pub const CLAIM_TIMEOUT_SECONDS: i64 = 60;

/// Claims `key` for `principal`'s request (identified by `request_hash`), or says how to answer
/// a repeat.
pub async fn try_processing(
    db: &impl ConnectionTrait,
    principal: &str,
    key: &IdempotencyKey,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<NextAction, IdempotencyError> {
    // Expired keys and abandoned claims are forgotten so the key may be used again.
    exec(
        db,
        "DELETE FROM idempotency_keys WHERE principal = ? AND key = ? \
         AND (expires_at <= ? OR (state = 'in_progress' AND created_at <= ?))",
        vec![
            principal.into(),
            key.as_str().into(),
            now.into(),
            (now - Duration::seconds(CLAIM_TIMEOUT_SECONDS)).into(),
        ],
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
        return Ok(NextAction::StartProcessing(Claim {
            principal: principal.to_owned(),
            key: key.clone(),
        }));
    }
    let Some(row) =
        idempotency_keys::Entity::find_by_id((principal.to_owned(), key.as_str().to_owned()))
            .one(db)
            .await?
    else {
        return Err(IdempotencyError::InProgress);
    };
    if row.request_hash != request_hash {
        return Err(IdempotencyError::Mismatch);
    }
    match (row.state.as_str(), row.response_status, row.response_body) {
        ("completed", Some(status), Some(body)) => Ok(NextAction::ReturnSaved(SavedResponse {
            status: u16::try_from(status).unwrap_or(200),
            body,
        })),
        _ => Err(IdempotencyError::InProgress),
    }
}

/// Saves the response of the claimed request. Call it in the transaction that commits the
/// request's effect: the effect and the saved answer are committed together or not at all.
pub async fn save_response(
    txn: &impl ConnectionTrait,
    claim: &Claim,
    status: u16,
    body: &str,
) -> Result<(), DbErr> {
    exec(
        txn,
        "UPDATE idempotency_keys SET state = 'completed', response_status = ?, response_body = ? \
         WHERE principal = ? AND key = ?",
        vec![
            i32::from(status).into(),
            body.into(),
            claim.principal.as_str().into(),
            claim.key.as_str().into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Forgets the claim of a request that failed, so the client may retry it.
pub async fn release(db: &impl ConnectionTrait, claim: &Claim) -> Result<(), DbErr> {
    exec(
        db,
        "DELETE FROM idempotency_keys WHERE principal = ? AND key = ? AND state = 'in_progress'",
        vec![claim.principal.as_str().into(), claim.key.as_str().into()],
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
