//! Re-checking, during a long-lived response (an event stream), that the credentials it was
//! opened with still grant what it shows. A request is authorized once, at its start; a stream
//! lives for minutes or hours, so it asks again every few seconds and ends when the answer is
//! no. The checks read and never write: they do not extend a session's idle timeout.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::auth::operators::capabilities_of;
use crate::auth::principal::Plane;
use crate::domain::capability::Capability;
use crate::entities::{api_tokens, operators, sessions};

/// What a stream was authorized with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An operator-plane session.
    Session {
        /// `sessions.id` (the hash of the cookie's session key).
        session_id: String,
        /// The operator.
        operator_id: i64,
        /// The session's login time (Unix milliseconds): a password change after it ends it.
        auth_at_ms: i64,
    },
    /// A bearer API token.
    Token {
        /// The token's `jti`.
        jti: String,
        /// The operator.
        operator_id: i64,
    },
}

/// Why a credential no longer grants access; the stream's `end` event names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// The session was logged out, expired or was ended server-side.
    SessionEnded,
    /// The token was revoked.
    TokenRevoked,
    /// The token expired.
    TokenExpired,
    /// The operator was disabled or removed.
    OperatorDisabled,
    /// The operator's password changed after the session signed in.
    PasswordChanged,
    /// The capability the stream needs was withdrawn.
    CapabilityRevoked,
}

impl Revoked {
    /// The stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Revoked::SessionEnded => "session_ended",
            Revoked::TokenRevoked => "token_revoked",
            Revoked::TokenExpired => "token_expired",
            Revoked::OperatorDisabled => "operator_disabled",
            Revoked::PasswordChanged => "password_changed",
            Revoked::CapabilityRevoked => "capability_revoked",
        }
    }
}

/// `Ok(None)` while `credential` still grants `capability` at `now`, `Ok(Some(why))` once not.
pub async fn check(
    db: &impl ConnectionTrait,
    credential: &Credential,
    capability: Capability,
    now: DateTime<Utc>,
) -> Result<Option<Revoked>, DbErr> {
    let (operator_id, granted) = match credential {
        Credential::Session {
            session_id,
            operator_id,
            auth_at_ms,
        } => {
            let live = sessions::Entity::find_by_id(session_id.clone())
                .filter(sessions::Column::Plane.eq(Plane::System.as_str()))
                .one(db)
                .await?
                .is_some_and(|s| now < s.idle_expires_at && now < s.absolute_expires_at);
            if !live {
                return Ok(Some(Revoked::SessionEnded));
            }
            let Some(operator) = operators::Entity::find_by_id(*operator_id).one(db).await? else {
                return Ok(Some(Revoked::OperatorDisabled));
            };
            if operator.disabled {
                return Ok(Some(Revoked::OperatorDisabled));
            }
            if operator.password_changed_at.timestamp_millis() > *auth_at_ms {
                return Ok(Some(Revoked::PasswordChanged));
            }
            (*operator_id, None)
        }
        Credential::Token { jti, operator_id } => {
            let Some((token, operator)) = api_tokens::Entity::find()
                .filter(api_tokens::Column::Jti.eq(jti))
                .find_also_related(operators::Entity)
                .one(db)
                .await?
            else {
                return Ok(Some(Revoked::TokenRevoked));
            };
            if token.revoked_at.is_some() {
                return Ok(Some(Revoked::TokenRevoked));
            }
            if token.expires_at <= now {
                return Ok(Some(Revoked::TokenExpired));
            }
            if operator.is_none_or(|o| o.disabled) {
                return Ok(Some(Revoked::OperatorDisabled));
            }
            let on_token = token
                .capabilities
                .as_array()
                .is_some_and(|caps| caps.iter().any(|c| c.as_str() == Some(capability.as_str())));
            (*operator_id, Some(on_token))
        }
    };
    let held = capabilities_of(db, operator_id)
        .await?
        .contains(&capability);
    if !held || granted == Some(false) {
        return Ok(Some(Revoked::CapabilityRevoked));
    }
    Ok(None)
}
