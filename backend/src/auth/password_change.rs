//! An operator changing their own password (the API's `POST /auth/password`): the policy, the
//! login throttle (a wrong current password counts like a failed login), verification and
//! hashing on the bounded pool, then [`operators::store_password`], which ends every session and
//! API token of the operator.

use sea_orm::{DbErr, EntityTrait};

use crate::auth::RequestMeta;
use crate::auth::credentials::{self, LoginName};
use crate::auth::login::{self, LoginError};
use crate::auth::operators::{self, PasswordChanged};
use crate::auth::password::{HashError, Source};
use crate::auth::principal::{OperatorPrincipal, Plane};
use crate::context::AppContext;
use crate::entities::operators as operator_rows;

/// Why a password change was refused.
#[derive(Debug, thiserror::Error)]
pub enum PasswordChangeError {
    /// The current password is wrong (counted by the login throttle).
    #[error("the current password is wrong")]
    WrongCurrent,
    /// The new password breaks the policy.
    #[error("{0}")]
    Policy(String),
    /// The throttle, the hashing pool or the database refused (as for a login).
    #[error(transparent)]
    Login(#[from] LoginError),
}

impl From<DbErr> for PasswordChangeError {
    fn from(err: DbErr) -> Self {
        Self::Login(LoginError::Db(err))
    }
}

impl From<HashError> for PasswordChangeError {
    fn from(err: HashError) -> Self {
        Self::Login(err.into())
    }
}

/// Changes the signed-in operator's password from `current` to `new`.
pub async fn change_own_password(
    ctx: &AppContext,
    operator: &OperatorPrincipal,
    current: &str,
    new: &str,
    meta: &RequestMeta,
) -> Result<PasswordChanged, PasswordChangeError> {
    credentials::check_password(&operator.username, new).map_err(PasswordChangeError::Policy)?;
    if new == current {
        return Err(PasswordChangeError::Policy(
            "the new password must differ from the current one".into(),
        ));
    }
    let name = LoginName::parse(&operator.username).map_err(LoginError::from)?;
    login::throttle_or_audit(ctx, Plane::System, &name, meta).await?;
    let row = operator_rows::Entity::find_by_id(operator.id)
        .one(&ctx.db)
        .await?
        .ok_or(LoginError::InvalidCredentials)?;
    let source = Source::new(Plane::System, meta.ip.as_deref());
    if !ctx
        .hashing
        .verify(&source, current, Some(row.password_hash.clone()))
        .await?
    {
        login::audit_failure(ctx, Plane::System, &name, "wrong_current_password", meta).await;
        return Err(PasswordChangeError::WrongCurrent);
    }
    login::forgive_attempt(ctx, Plane::System, meta).await;
    let phc = ctx.hashing.hash(&source, new).await?;
    Ok(operators::store_password(&ctx.db, &row, phc, ctx.now(), operator.actor(), meta).await?)
}
