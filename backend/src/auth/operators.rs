//! Operator and customer-user accounts: creation, capability grants and revocations, disabling,
//! new passwords.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Set,
};

use crate::audit::{self, Actor};
use crate::auth::credentials::{self, LoginName};
use crate::auth::principal::Plane;
use crate::auth::{RequestMeta, password, sessions, tokens};
use crate::domain::capability::Capability;
use crate::entities::{customer_users, operator_capabilities, operators, workspaces};

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The username is taken.
    #[error("username {0:?} is already taken")]
    UsernameTaken(String),
    /// No such account.
    #[error("no account named {0:?}")]
    NotFound(String),
    /// No such workspace.
    #[error("workspace {0} does not exist")]
    NoSuchWorkspace(i64),
    /// The username or password does not meet the rules.
    #[error("{0}")]
    Invalid(String),
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A new account's username: the one login normalisation ([`LoginName`]), then 3–64
/// characters of `a-z 0-9 . _ - @`.
pub fn normalize_username(raw: &str) -> Result<String, AccountError> {
    let name = LoginName::parse(raw)
        .map_err(|e| AccountError::Invalid(e.to_string()))?
        .into_string();
    let valid = name.chars().count() >= 3
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if valid {
        Ok(name)
    } else {
        Err(AccountError::Invalid(
            "username must be 3-64 characters of a-z, 0-9, '.', '_', '-', '@'".into(),
        ))
    }
}

/// The password policy (see [`credentials::check_password`]) as an account error.
pub fn check_password(username: &str, password: &str) -> Result<(), AccountError> {
    credentials::check_password(username, password).map_err(AccountError::Invalid)
}

fn hash_password(username: &str, password: &str) -> Result<String, AccountError> {
    check_password(username, password)?;
    password::hash(password).map_err(|e| AccountError::Hash(e.to_string()))
}

/// Creates an operator with `capabilities`.
pub async fn create_operator(
    db: &impl ConnectionTrait,
    username: &str,
    display_name: Option<&str>,
    password: &str,
    capabilities: &[Capability],
) -> Result<operators::Model, AccountError> {
    let username = normalize_username(username)?;
    if operators::Entity::find()
        .filter(operators::Column::Username.eq(&username))
        .one(db)
        .await?
        .is_some()
    {
        return Err(AccountError::UsernameTaken(username));
    }
    let now = Utc::now();
    let operator = operators::ActiveModel {
        username: Set(username.clone()),
        display_name: Set(display_name.unwrap_or(&username).to_owned()),
        password_hash: Set(hash_password(&username, password)?),
        disabled: Set(false),
        password_changed_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    grant_ids(db, operator.id, capabilities).await?;
    Ok(operator)
}

/// Finds an operator by (case-insensitive) username.
pub async fn find_operator(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<operators::Model, AccountError> {
    let name = LoginName::parse(username)
        .map_err(|e| AccountError::Invalid(e.to_string()))?
        .into_string();
    operators::Entity::find()
        .filter(operators::Column::Username.eq(&name))
        .one(db)
        .await?
        .ok_or(AccountError::NotFound(name))
}

/// Grants `capabilities` to the operator named `username` (already-held ones are kept).
pub async fn grant(
    db: &impl ConnectionTrait,
    username: &str,
    capabilities: &[Capability],
) -> Result<operators::Model, AccountError> {
    let operator = find_operator(db, username).await?;
    grant_ids(db, operator.id, capabilities).await?;
    Ok(operator)
}

async fn grant_ids(
    db: &impl ConnectionTrait,
    operator_id: i64,
    capabilities: &[Capability],
) -> Result<(), DbErr> {
    if capabilities.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    operator_capabilities::Entity::insert_many(capabilities.iter().map(|c| {
        operator_capabilities::ActiveModel {
            operator_id: Set(operator_id),
            capability: Set(c.as_str().to_owned()),
            granted_at: Set(now),
        }
    }))
    .on_conflict_do_nothing_on([
        operator_capabilities::Column::OperatorId,
        operator_capabilities::Column::Capability,
    ])
    .exec(db)
    .await
    .map(|_| ())
}

/// The capabilities an operator holds, in registry order. Unknown stored names are ignored.
pub async fn capabilities_of(
    db: &impl ConnectionTrait,
    operator_id: i64,
) -> Result<Vec<Capability>, DbErr> {
    let mut caps: Vec<Capability> = operator_capabilities::Entity::find()
        .filter(operator_capabilities::Column::OperatorId.eq(operator_id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|row| row.capability.parse().ok())
        .collect();
    caps.sort();
    Ok(caps)
}

/// Withdraws `capabilities` from the operator named `username` (ones not held are ignored) and
/// records `operator.capabilities.revoked`. Sessions and tokens lose them at their next request
/// (capabilities are read per request), open event streams within seconds.
pub async fn revoke(
    db: &impl ConnectionTrait,
    username: &str,
    capabilities: &[Capability],
    meta: &RequestMeta,
) -> Result<operators::Model, AccountError> {
    let operator = find_operator(db, username).await?;
    let names: Vec<&str> = capabilities.iter().map(|c| c.as_str()).collect();
    let removed = operator_capabilities::Entity::delete_many()
        .filter(operator_capabilities::Column::OperatorId.eq(operator.id))
        .filter(operator_capabilities::Column::Capability.is_in(names.clone()))
        .exec(db)
        .await?
        .rows_affected;
    let mut event = meta.event("operator.capabilities.revoked", Actor::System);
    event.target = Some(("operator", operator.id.to_string()));
    event.metadata = serde_json::json!({
        "username": operator.username,
        "capabilities": names,
        "removed": removed,
    });
    audit::record(db, event).await;
    Ok(operator)
}

/// Disables the operator named `username`, ends their sessions and revokes their API tokens
/// (tokens end with their owner).
pub async fn disable_operator(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<operators::Model, AccountError> {
    let operator = find_operator(db, username).await?;
    let mut active: operators::ActiveModel = operator.into();
    active.disabled = Set(true);
    active.updated_at = Set(Utc::now());
    let operator = active.update(db).await?;
    sessions::end_all_for(db, Plane::System, operator.id).await?;
    tokens::revoke_all_for(db, operator.id, Utc::now()).await?;
    Ok(operator)
}

/// What a password change ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordChanged {
    /// Sessions ended (the caller's own is renewed by the HTTP layer, not counted here).
    pub sessions_ended: u64,
    /// API tokens revoked.
    pub tokens_revoked: u64,
}

/// Stores `phc` (an already hashed, policy-checked password) as the operator's password as of
/// `now`, and in the same transaction ends every session and revokes every API token of the
/// operator; records `auth.password.changed` by `actor`.
pub async fn store_password(
    db: &DatabaseConnection,
    operator: &operators::Model,
    phc: String,
    now: DateTime<Utc>,
    actor: Actor,
    meta: &RequestMeta,
) -> Result<PasswordChanged, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    operators::Entity::update_many()
        .col_expr(operators::Column::PasswordHash, Expr::value(phc))
        .col_expr(operators::Column::PasswordChangedAt, Expr::value(now))
        .col_expr(operators::Column::UpdatedAt, Expr::value(now))
        .filter(operators::Column::Id.eq(operator.id))
        .exec(&txn)
        .await?;
    let sessions_ended = sessions::end_all_for(&txn, Plane::System, operator.id).await?;
    let tokens_revoked = tokens::revoke_all_for(&txn, operator.id, now).await?;
    txn.commit().await?;
    let mut event = meta.event("auth.password.changed", actor);
    event.target = Some(("operator", operator.id.to_string()));
    event.metadata = serde_json::json!({
        "username": operator.username,
        "sessions_ended": sessions_ended,
        "tokens_revoked": tokens_revoked,
    });
    audit::record(db, event).await;
    Ok(PasswordChanged {
        sessions_ended,
        tokens_revoked,
    })
}

/// Sets a new password for the operator named `username` (the CLI's `operator set-password`):
/// the policy, then [`store_password`] as the system actor.
pub async fn set_password(
    db: &DatabaseConnection,
    username: &str,
    new_password: &str,
    now: DateTime<Utc>,
    meta: &RequestMeta,
) -> Result<(operators::Model, PasswordChanged), AccountError> {
    let operator = find_operator(db, username).await?;
    let phc = hash_password(&operator.username, new_password)?;
    let changed = store_password(db, &operator, phc, now, Actor::System, meta).await?;
    Ok((operator, changed))
}

/// Creates a customer-plane user in `workspace_id`.
pub async fn create_customer(
    db: &impl ConnectionTrait,
    username: &str,
    display_name: Option<&str>,
    workspace_id: i64,
    password: &str,
) -> Result<customer_users::Model, AccountError> {
    let username = normalize_username(username)?;
    if workspaces::Entity::find_by_id(workspace_id)
        .one(db)
        .await?
        .is_none()
    {
        return Err(AccountError::NoSuchWorkspace(workspace_id));
    }
    if customer_users::Entity::find()
        .filter(customer_users::Column::Username.eq(&username))
        .one(db)
        .await?
        .is_some()
    {
        return Err(AccountError::UsernameTaken(username));
    }
    let now = Utc::now();
    Ok(customer_users::ActiveModel {
        workspace_id: Set(workspace_id),
        username: Set(username.clone()),
        display_name: Set(display_name.unwrap_or(&username).to_owned()),
        password_hash: Set(hash_password(&username, password)?),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_checked() {
        assert_eq!(
            normalize_username(" Alice.Ops ").ok(),
            Some("alice.ops".into())
        );
        assert!(normalize_username("ab").is_err());
        assert!(normalize_username("drop table;").is_err());
    }
}
