//! Operator and customer-user accounts: creation, capability grants, disabling.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::auth::password;
use crate::auth::principal::Plane;
use crate::auth::sessions;
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

/// Usernames are compared lower-cased; stored lower-cased.
pub fn normalize_username(raw: &str) -> Result<String, AccountError> {
    let name = raw.trim().to_lowercase();
    let valid = (3..=64).contains(&name.chars().count())
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

fn check_password(password: &str) -> Result<(), AccountError> {
    let len = password.chars().count();
    if (12..=1024).contains(&len) {
        Ok(())
    } else {
        Err(AccountError::Invalid(
            "password must be 12-1024 characters".into(),
        ))
    }
}

fn hash_password(password: &str) -> Result<String, AccountError> {
    check_password(password)?;
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
        password_hash: Set(hash_password(password)?),
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
    let name = username.trim().to_lowercase();
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

/// Disables the operator named `username` and ends their sessions. (Their API tokens stop
/// working too: token authentication rejects disabled operators.)
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
    Ok(operator)
}

/// Sets a new password for the operator named `username`, as of `now`, and ends their
/// sessions (a session older than the password change is also refused by the guard).
pub async fn set_password(
    db: &impl ConnectionTrait,
    username: &str,
    new_password: &str,
    now: chrono::DateTime<Utc>,
) -> Result<operators::Model, AccountError> {
    let operator = find_operator(db, username).await?;
    let hash = hash_password(new_password)?;
    let mut active: operators::ActiveModel = operator.into();
    active.password_hash = Set(hash);
    active.password_changed_at = Set(now);
    active.updated_at = Set(now);
    let operator = active.update(db).await?;
    sessions::end_all_for(db, Plane::System, operator.id).await?;
    Ok(operator)
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
        password_hash: Set(hash_password(password)?),
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
