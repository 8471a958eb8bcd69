//! Operator-plane authentication: session login/logout/me and API tokens
//! (`/system/api/auth/...`). One file per action; the shared wire types live here.

pub mod login;
pub mod logout;
pub mod me;
pub mod password;
pub mod session;
pub mod tokens_create;
pub mod tokens_list;
pub mod tokens_revoke;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::principal::{AuthVia, OperatorPrincipal};
use crate::auth::tokens::TokenInfo;
use crate::domain::capability::Capability;

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username (case-insensitive).
    pub username: String,
    /// Password.
    pub password: String,
}

/// A password change of the signed-in operator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    /// The password in use now.
    pub current_password: String,
    /// The new password: 12–256 characters, not containing the username, not a common password.
    pub new_password: String,
}

/// An operator as the API shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorView {
    /// Operator id.
    pub id: i64,
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Capability names held (for a token: the token's).
    pub capabilities: Vec<String>,
}

/// The signed-in operator and the CSRF token their unsafe requests must echo in
/// `X-CSRF-Token` (null when authenticated by bearer token, which needs none).
#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorSession {
    /// Who.
    pub operator: OperatorView,
    /// The session's CSRF token.
    pub csrf_token: Option<String>,
}

fn names(caps: &[Capability]) -> Vec<String> {
    caps.iter().map(|c| c.as_str().to_owned()).collect()
}

impl From<&OperatorPrincipal> for OperatorSession {
    fn from(p: &OperatorPrincipal) -> Self {
        Self {
            operator: OperatorView {
                id: p.id,
                username: p.username.clone(),
                display_name: p.display_name.clone(),
                capabilities: names(&p.capabilities),
            },
            csrf_token: match &p.via {
                AuthVia::Session { csrf_token, .. } => Some(csrf_token.clone()),
                AuthVia::Token { .. } => None,
            },
        }
    }
}

/// A token request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    /// A label (1–100 characters).
    pub name: String,
    /// Lifetime in days, 1–90.
    pub expires_in_days: i64,
    /// Capability names, a subset of the creator's.
    pub capabilities: Vec<String>,
}

/// A created token; `token` (the JWT) is shown only in this response.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTokenView {
    /// Token id (to revoke it).
    pub id: i64,
    /// Label.
    pub name: String,
    /// The bearer JWT.
    pub token: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Capability names.
    pub capabilities: Vec<String>,
}

/// A token as listed (never the JWT).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// Token id.
    pub id: i64,
    /// Label.
    pub name: String,
    /// Capability names.
    pub capabilities: Vec<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Roughly when it was last used.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<TokenInfo> for TokenView {
    fn from(t: TokenInfo) -> Self {
        Self {
            id: t.id,
            name: t.name,
            capabilities: names(&t.capabilities),
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
            last_used_at: t.last_used_at,
        }
    }
}

/// A page of tokens.
pub type TokenPage = crate::http::pagination::Page<TokenView>;
