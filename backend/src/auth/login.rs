//! Checking a username and password, for either plane, with throttling and auditing.
//!
//! An unknown user, a wrong password and a disabled account give the same error after the same
//! amount of work (an unknown user is checked against a dummy hash), so neither the answer nor
//! its timing tells which usernames exist. The audit event keeps the real reason.

use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};

use crate::audit::{self, Actor};
use crate::auth::credentials::{LoginName, UsernameError};
use crate::auth::password::{HashError, Source};
use crate::auth::principal::Plane;
use crate::auth::refusals::RefusalReason;
use crate::auth::throttle::{self, Verdict};
use crate::auth::{RequestMeta, operators};
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::entities::{customer_users, operators as operator_rows};

/// Why a login failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user, wrong password or disabled account: deliberately indistinguishable.
    #[error("invalid username or password")]
    InvalidCredentials,
    /// Too many attempts in the current minute.
    #[error("too many login attempts")]
    Throttled {
        /// Seconds until the window ends.
        retry_after_secs: u64,
    },
    /// The username is empty or too long (it is refused, never truncated).
    #[error(transparent)]
    InvalidUsername(#[from] UsernameError),
    /// Every password hashing slot stayed busy.
    #[error("the server is busy verifying other sign-ins")]
    Busy {
        /// Seconds until a retry is likely to find a slot.
        retry_after_secs: u64,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
    /// Password verification could not run.
    #[error("password verification failed: {0}")]
    Internal(String),
}

impl From<HashError> for LoginError {
    fn from(err: HashError) -> Self {
        match err {
            HashError::Busy { retry_after_secs } => LoginError::Busy { retry_after_secs },
            HashError::Failed(e) => LoginError::Internal(e),
        }
    }
}

/// An operator who just proved their password.
#[derive(Debug, Clone)]
pub struct OperatorLogin {
    /// Operator id.
    pub id: i64,
    /// Lower-cased username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Capabilities held now.
    pub capabilities: Vec<Capability>,
}

/// A customer user who just proved their password.
#[derive(Debug, Clone)]
pub struct CustomerLogin {
    /// User id.
    pub id: i64,
    /// Lower-cased username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Their workspace.
    pub workspace_id: i64,
}

/// Parses the username as typed into the one normalised form; an over-long or empty one is
/// refused (and counted as a refusal) before anything else looks at it.
pub fn login_name(
    ctx: &AppContext,
    plane: Plane,
    username: &str,
    meta: &RequestMeta,
) -> Result<LoginName, LoginError> {
    LoginName::parse(username).map_err(|e| {
        if matches!(e, UsernameError::TooLong { .. }) {
            ctx.refusals.note(
                plane,
                meta.ip.as_deref(),
                RefusalReason::UsernameTooLong,
                None,
                ctx.now(),
            );
        }
        LoginError::InvalidUsername(e)
    })
}

/// Counts an attempt for `name` in the login throttle; a throttled attempt is audited
/// (`auth.login.throttled`) and refused.
pub async fn throttle_or_audit(
    ctx: &AppContext,
    plane: Plane,
    name: &LoginName,
    meta: &RequestMeta,
) -> Result<(), LoginError> {
    let ip = meta.ip.as_deref().unwrap_or("unknown");
    let per_ip = ctx.settings.login_failures_per_ip_per_minute;
    match throttle::check(&ctx.db, plane, ip, name, per_ip, ctx.now()).await? {
        Verdict::Allowed => Ok(()),
        Verdict::Throttled {
            retry_after_secs,
            limit,
        } => {
            let mut event = meta.event(
                "auth.login.throttled",
                Actor::Anonymous {
                    username: Some(name.to_string()),
                },
            );
            event.metadata = serde_json::json!({
                "plane": plane.as_str(),
                "username": name.as_str(),
                "reason": format!("rate limit ({limit})"),
                "limit": limit,
                "retry_after_secs": retry_after_secs,
            });
            audit::record(&ctx.db, event).await;
            Err(LoginError::Throttled { retry_after_secs })
        }
    }
}

/// A proven password: its attempt no longer counts against the address's failed-login limit
/// (best effort: a failure here only leaves the attempt counted).
pub async fn forgive_attempt(ctx: &AppContext, plane: Plane, meta: &RequestMeta) {
    let ip = meta.ip.as_deref().unwrap_or("unknown");
    if let Err(err) = throttle::forgive(&ctx.db, plane, ip, ctx.now()).await {
        tracing::warn!(error.cause_chain = ?err, "could not take back a successful login attempt");
    }
}

/// Records `auth.login.failed` for `name` with `reason`.
pub async fn audit_failure(
    ctx: &AppContext,
    plane: Plane,
    name: &LoginName,
    reason: &str,
    meta: &RequestMeta,
) {
    let mut event = meta.event(
        "auth.login.failed",
        Actor::Anonymous {
            username: Some(name.to_string()),
        },
    );
    event.metadata = serde_json::json!({
        "plane": plane.as_str(),
        "username": name.as_str(),
        "reason": reason,
    });
    audit::record(&ctx.db, event).await;
}

/// Verifies `password` for the looked-up `row` (`hash` = its password hash and disabled flag) the
/// same way on both planes, so an unknown user, a wrong password and a disabled account look
/// alike to the caller and cost the same time; audits the failure. `None` means refused.
async fn check_account<M>(
    ctx: &AppContext,
    plane: Plane,
    name: &LoginName,
    password: &str,
    meta: &RequestMeta,
    row: Option<M>,
    hash: Option<(String, bool)>,
) -> Result<Option<M>, LoginError> {
    let disabled = hash.as_ref().is_some_and(|(_, d)| *d);
    let source = Source::new(plane, meta.ip.as_deref());
    let matches = match ctx
        .hashing
        .verify(&source, password, hash.map(|(h, _)| h))
        .await
    {
        Ok(matches) => matches,
        Err(HashError::Busy { retry_after_secs }) => {
            ctx.refusals.note(
                plane,
                meta.ip.as_deref(),
                RefusalReason::Busy,
                Some(name.as_str()),
                ctx.now(),
            );
            return Err(LoginError::Busy { retry_after_secs });
        }
        Err(e) => return Err(e.into()),
    };
    let reason = match &row {
        None => "unknown_user",
        Some(_) if !matches => "wrong_password",
        Some(_) if disabled => "disabled",
        Some(_) => {
            forgive_attempt(ctx, plane, meta).await;
            return Ok(row);
        }
    };
    audit_failure(ctx, plane, name, reason, meta).await;
    Ok(None)
}

/// Signs an operator in: throttles, verifies, audits (`auth.login.throttled`,
/// `auth.login.failed`, `auth.login.succeeded`).
pub async fn login_operator(
    ctx: &AppContext,
    username: &str,
    password: &str,
    meta: &RequestMeta,
) -> Result<OperatorLogin, LoginError> {
    let name = login_name(ctx, Plane::System, username, meta)?;
    throttle_or_audit(ctx, Plane::System, &name, meta).await?;
    let row = operator_rows::Entity::find()
        .filter(operator_rows::Column::Username.eq(name.as_str()))
        .one(&ctx.db)
        .await?;
    let hash = row.as_ref().map(|r| (r.password_hash.clone(), r.disabled));
    let Some(row) = check_account(ctx, Plane::System, &name, password, meta, row, hash).await?
    else {
        return Err(LoginError::InvalidCredentials);
    };
    let capabilities = operators::capabilities_of(&ctx.db, row.id).await?;
    let mut event = meta.event(
        "auth.login.succeeded",
        Actor::Operator {
            id: row.id,
            username: row.username.clone(),
        },
    );
    event.metadata = serde_json::json!({ "plane": "system" });
    audit::record(&ctx.db, event).await;
    Ok(OperatorLogin {
        id: row.id,
        username: row.username,
        display_name: row.display_name,
        capabilities,
    })
}

/// Signs a customer user in, with the same throttling and auditing as operators.
pub async fn login_customer(
    ctx: &AppContext,
    username: &str,
    password: &str,
    meta: &RequestMeta,
) -> Result<CustomerLogin, LoginError> {
    let name = login_name(ctx, Plane::Admin, username, meta)?;
    throttle_or_audit(ctx, Plane::Admin, &name, meta).await?;
    let row = customer_users::Entity::find()
        .filter(customer_users::Column::Username.eq(name.as_str()))
        .one(&ctx.db)
        .await?;
    let hash = row.as_ref().map(|r| (r.password_hash.clone(), r.disabled));
    let Some(row) = check_account(ctx, Plane::Admin, &name, password, meta, row, hash).await?
    else {
        return Err(LoginError::InvalidCredentials);
    };
    let mut event = meta.event(
        "auth.login.succeeded",
        Actor::Customer {
            id: row.id,
            username: row.username.clone(),
        },
    );
    event.metadata = serde_json::json!({ "plane": "admin", "workspace_id": row.workspace_id });
    audit::record(&ctx.db, event).await;
    Ok(CustomerLogin {
        id: row.id,
        username: row.username,
        display_name: row.display_name,
        workspace_id: row.workspace_id,
    })
}

/// Records `auth.logout`.
pub async fn record_logout(ctx: &AppContext, actor: Actor, plane: Plane, meta: &RequestMeta) {
    let mut event = meta.event("auth.logout", actor);
    event.metadata = serde_json::json!({ "plane": plane.as_str() });
    audit::record(&ctx.db, event).await;
}
