//! Customer-plane endpoints (`/admin/api/...`): session login/logout/me/session and read-only views of
//! the user's own workspace. This plane has no runbook, maintenance or run endpoint, by design
//! (a regression test enumerates plausible paths and expects 404).

pub mod findings;
pub mod login;
pub mod logout;
pub mod me;
pub mod session;
pub mod tenants;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::principal::CustomerPrincipal;

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerLoginRequest {
    /// Username (case-insensitive).
    pub username: String,
    /// Password.
    pub password: String,
}

/// A customer user as the API shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// User id.
    pub id: i64,
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// The user's workspace.
    pub workspace_id: i64,
}

/// The signed-in user and the CSRF token their unsafe requests must echo in `X-CSRF-Token`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserSession {
    /// Who.
    pub user: UserView,
    /// The session's CSRF token.
    pub csrf_token: String,
}

impl From<&CustomerPrincipal> for UserSession {
    fn from(p: &CustomerPrincipal) -> Self {
        Self {
            user: UserView {
                id: p.id,
                username: p.username.clone(),
                display_name: p.display_name.clone(),
                workspace_id: p.workspace_id,
            },
            csrf_token: p.csrf_token.clone(),
        }
    }
}

/// A tenant of the user's workspace.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantView {
    /// Tenant id.
    pub id: i64,
    /// External id.
    pub external_id: String,
    /// Name.
    pub name: String,
}

/// A finding of one of the workspace's tenants.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingView {
    /// Finding id.
    pub id: i64,
    /// Tenant id.
    pub tenant_id: i64,
    /// Recurrence key.
    pub recurrence_key: String,
    /// `low` | `medium` | `high` | `critical`.
    pub severity: String,
    /// Status.
    pub status: String,
    /// First seen.
    pub first_seen_at: Option<DateTime<Utc>>,
    /// Last seen.
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Times seen.
    pub times_seen: Option<i32>,
    /// Due date.
    pub due_at: Option<DateTime<Utc>>,
    /// Triaged.
    pub triaged_at: Option<DateTime<Utc>>,
    /// Resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Why closed.
    pub closed_reason: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Updated.
    pub updated_at: DateTime<Utc>,
}

/// A page of tenants.
pub type TenantPage = crate::http::pagination::Page<TenantView>;
/// A page of findings.
pub type FindingPage = crate::http::pagination::Page<FindingView>;
