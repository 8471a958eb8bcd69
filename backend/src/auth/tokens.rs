//! API tokens for scripts: HS256 JWTs (the one accepted algorithm) whose `jti` names a row in
//! `api_tokens`, so a token can be listed and revoked. The JWT itself is shown once and never
//! stored. Expiry is checked against the service clock (not the library's), so tests move a
//! clock instead of waiting.

use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor};
use crate::auth::RequestMeta;
use crate::auth::operators::capabilities_of;
use crate::auth::principal::{AuthVia, OperatorPrincipal, Plane};
use crate::config::Settings;
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::entities::{api_tokens, operators};

/// The `iss` of every token.
pub const ISSUER: &str = "tenantatlas-ops";
/// Longest allowed lifetime.
pub const MAX_DAYS: i64 = 90;
/// Longest token name.
pub const MAX_NAME_CHARS: usize = 100;
/// `last_used_at` is refreshed at most this often, to keep reads from becoming writes.
const TOUCH_GRANULARITY: TimeDelta = TimeDelta::minutes(5);

/// The claims of a token; all are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Always [`ISSUER`].
    pub iss: String,
    /// `system` or `admin`.
    pub aud: String,
    /// The principal's id, as a string.
    pub sub: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Token id (the `api_tokens.jti` column).
    pub jti: String,
}

/// What a token request asks for.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// A label for the owner.
    pub name: String,
    /// Lifetime in days, 1..=90.
    pub expires_in_days: i64,
    /// Must be a subset of the creator's capabilities.
    pub capabilities: Vec<Capability>,
}

/// A freshly created token, including the JWT (shown once).
#[derive(Debug, Clone)]
pub struct CreatedToken {
    /// Row id (used to revoke).
    pub id: i64,
    /// Label.
    pub name: String,
    /// The JWT.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// What it may do.
    pub capabilities: Vec<Capability>,
}

/// A token as listed (never the JWT).
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// Row id.
    pub id: i64,
    /// Label.
    pub name: String,
    /// What it may do.
    pub capabilities: Vec<Capability>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Roughly when it was last used (refreshed every few minutes).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Why creating or revoking a token failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// A field is invalid.
    #[error("{field}: {message}")]
    Invalid {
        /// The request field.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// No such token of this operator.
    #[error("no such token")]
    NotFound,
    /// The creating session ended (password changed or operator disabled) before the token
    /// could be created.
    #[error("the session ended before the token was created")]
    SessionEnded,
    /// Signing failed.
    #[error("token signing failed: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Why a presented token is not accepted.
#[derive(Debug, thiserror::Error)]
pub enum TokenAuthError {
    /// Not a valid, live token of this service (bad signature, expired, revoked, unknown...).
    #[error("invalid token: {0}")]
    Invalid(&'static str),
    /// A valid token of the other plane.
    #[error("token belongs to the other plane")]
    OtherPlane,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

fn validation(audiences: &[&str]) -> Validation {
    let mut v = Validation::new(Algorithm::HS256);
    v.algorithms = vec![Algorithm::HS256];
    v.set_issuer(&[ISSUER]);
    v.set_audience(audiences);
    v.set_required_spec_claims(&["iss", "aud", "sub", "exp"]);
    // Expiry is checked against the service clock in `authenticate`.
    v.validate_exp = false;
    v.leeway = 0;
    v
}

/// Signs `claims` with the configured key.
pub fn encode(settings: &Settings, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(settings.jwt_key()),
    )
}

/// Verifies signature, algorithm, issuer and claim shapes (not expiry) and returns the claims.
/// The audience may be either plane's, so a guard can tell "other plane" from "invalid".
pub fn decode(settings: &Settings, token: &str) -> Option<Claims> {
    jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(settings.jwt_key()),
        &validation(&[Plane::System.as_str(), Plane::Admin.as_str()]),
    )
    .ok()
    .map(|data| data.claims)
}

/// The plane a validly signed token is meant for, whether or not it expired.
pub fn plane_of(settings: &Settings, token: &str) -> Option<Plane> {
    match decode(settings, token)?.aud.as_str() {
        "system" => Some(Plane::System),
        "admin" => Some(Plane::Admin),
        _ => None,
    }
}

fn caps_from_json(value: &serde_json::Value) -> Vec<Capability> {
    let mut caps: Vec<Capability> = value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().and_then(|s| s.parse().ok()))
                .collect()
        })
        .unwrap_or_default();
    caps.sort();
    caps.dedup();
    caps
}

fn check_request(
    req: &NewToken,
    held: &[Capability],
) -> Result<(String, Vec<Capability>), TokenError> {
    let name = req.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(TokenError::Invalid {
            field: "name",
            message: format!("must be 1-{MAX_NAME_CHARS} characters"),
        });
    }
    if !(1..=MAX_DAYS).contains(&req.expires_in_days) {
        return Err(TokenError::Invalid {
            field: "expires_in_days",
            message: format!("must be between 1 and {MAX_DAYS}"),
        });
    }
    let mut caps = req.capabilities.clone();
    caps.sort();
    caps.dedup();
    if let Some(extra) = caps.iter().find(|c| !held.contains(c)) {
        return Err(TokenError::Invalid {
            field: "capabilities",
            message: format!(
                "you do not hold {extra}; a token can only carry your own capabilities"
            ),
        });
    }
    Ok((name, caps))
}

/// Creates a token for operator `operator_id`, limited to `held` (the creator's capabilities),
/// and records `auth.token.created`. `signed_in_at` is the creating session's sign-in time
/// (`None` for the CLI).
///
/// The token is written in a transaction that first locks the operator's row, the row a
/// password change updates before it revokes every token (docs/spec.md §11, second pass): either the
/// token commits first and the change revokes it, or the change commits first and this
/// refuses, its session having ended. Unserialised, tokens minted in the same few
/// milliseconds as a change outlived it.
pub async fn create(
    ctx: &AppContext,
    operator_id: i64,
    username: &str,
    held: &[Capability],
    req: NewToken,
    signed_in_at: Option<DateTime<Utc>>,
    meta: &RequestMeta,
) -> Result<CreatedToken, TokenError> {
    let (name, caps) = check_request(&req, held)?;
    let txn = crate::db::begin_write(&ctx.db).await?;
    let mut owner = operators::Entity::find_by_id(operator_id);
    // SQLite's `BEGIN IMMEDIATE` already holds the one write lock; PostgreSQL locks the row.
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        owner = owner.lock_exclusive();
    }
    let owner = owner.one(&txn).await?.ok_or(TokenError::SessionEnded)?;
    if owner.disabled || signed_in_at.is_some_and(|at| owner.password_changed_at > at) {
        return Err(TokenError::SessionEnded);
    }
    // Read under the lock, so the token is never older than a change it saw.
    let now = ctx.now();
    let expires_at = now + TimeDelta::days(req.expires_in_days);
    let jti = uuid::Uuid::new_v4().to_string();
    let claims = Claims {
        iss: ISSUER.to_owned(),
        aud: Plane::System.as_str().to_owned(),
        sub: operator_id.to_string(),
        exp: expires_at.timestamp(),
        iat: now.timestamp(),
        jti: jti.clone(),
    };
    let token = encode(&ctx.settings, &claims)?;
    let row = api_tokens::ActiveModel {
        operator_id: Set(operator_id),
        name: Set(name.clone()),
        jti: Set(jti.clone()),
        capabilities: Set(serde_json::json!(caps)),
        expires_at: Set(expires_at),
        created_at: Set(now),
        revoked_at: Set(None),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    let mut event = meta.event(
        "auth.token.created",
        Actor::Operator {
            id: operator_id,
            username: username.to_owned(),
        },
    );
    event.target = Some(("api_token", row.id.to_string()));
    event.metadata = serde_json::json!({
        "name": name,
        "jti": jti,
        "capabilities": caps,
        "expires_at": expires_at,
    });
    audit::record(&ctx.db, event).await;
    Ok(CreatedToken {
        id: row.id,
        name,
        token,
        expires_at,
        capabilities: caps,
    })
}

/// Creates a token for the operator named `username` (the CLI's and the test harness's path):
/// `capabilities` defaults to everything the operator holds.
pub async fn create_for_username(
    ctx: &AppContext,
    username: &str,
    name: &str,
    expires_in_days: i64,
    capabilities: Option<Vec<Capability>>,
    meta: &RequestMeta,
) -> Result<CreatedToken, TokenError> {
    let name_key = username.trim().to_lowercase();
    let operator = operators::Entity::find()
        .filter(operators::Column::Username.eq(&name_key))
        .one(&ctx.db)
        .await?
        .filter(|o| !o.disabled)
        .ok_or(TokenError::Invalid {
            field: "operator",
            message: format!("no enabled operator named {name_key:?}"),
        })?;
    let held = capabilities_of(&ctx.db, operator.id).await?;
    let capabilities = capabilities.unwrap_or_else(|| held.clone());
    create(
        ctx,
        operator.id,
        &operator.username,
        &held,
        NewToken {
            name: name.to_owned(),
            expires_in_days,
            capabilities,
        },
        None,
        meta,
    )
    .await
}

/// One page of an operator's own tokens, newest first, and the total count.
pub async fn list(
    db: &impl ConnectionTrait,
    operator_id: i64,
    page: u64,
    per_page: u64,
) -> Result<(Vec<TokenInfo>, u64), DbErr> {
    let query = api_tokens::Entity::find().filter(api_tokens::Column::OperatorId.eq(operator_id));
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(api_tokens::Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(db)
        .await?;
    Ok((
        rows.into_iter()
            .map(|r| TokenInfo {
                id: r.id,
                name: r.name,
                capabilities: caps_from_json(&r.capabilities),
                created_at: r.created_at,
                expires_at: r.expires_at,
                revoked_at: r.revoked_at,
                last_used_at: r.last_used_at,
            })
            .collect(),
        total,
    ))
}

/// Revokes one of the operator's own tokens (idempotent) and records `auth.token.revoked`.
/// Another operator's token is [`TokenError::NotFound`].
pub async fn revoke(
    ctx: &AppContext,
    operator_id: i64,
    username: &str,
    token_id: i64,
    meta: &RequestMeta,
) -> Result<(), TokenError> {
    let row = api_tokens::Entity::find_by_id(token_id)
        .filter(api_tokens::Column::OperatorId.eq(operator_id))
        .one(&ctx.db)
        .await?
        .ok_or(TokenError::NotFound)?;
    if row.revoked_at.is_some() {
        return Ok(());
    }
    api_tokens::Entity::update_many()
        .col_expr(api_tokens::Column::RevokedAt, Expr::value(ctx.now()))
        .filter(api_tokens::Column::Id.eq(token_id))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .exec(&ctx.db)
        .await?;
    let mut event = meta.event(
        "auth.token.revoked",
        Actor::Operator {
            id: operator_id,
            username: username.to_owned(),
        },
    );
    event.target = Some(("api_token", token_id.to_string()));
    event.metadata = serde_json::json!({ "name": row.name, "jti": row.jti });
    audit::record(&ctx.db, event).await;
    Ok(())
}

/// Revokes every live token of an operator (password changed, operator disabled: tokens end
/// with their owner); returns how many.
pub async fn revoke_all_for(
    db: &impl ConnectionTrait,
    operator_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    api_tokens::Entity::update_many()
        .col_expr(api_tokens::Column::RevokedAt, Expr::value(now))
        .filter(api_tokens::Column::OperatorId.eq(operator_id))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}

/// Authenticates an operator-plane bearer token: signature, claims, expiry on the service
/// clock, the stored row (not revoked, not expired, same operator) and the operator (not
/// disabled). The effective capabilities are the token's, limited to what the operator holds
/// now.
pub async fn authenticate(
    ctx: &AppContext,
    token: &str,
) -> Result<OperatorPrincipal, TokenAuthError> {
    let claims =
        decode(&ctx.settings, token).ok_or(TokenAuthError::Invalid("signature or claims"))?;
    if claims.aud != Plane::System.as_str() {
        return Err(TokenAuthError::OtherPlane);
    }
    let now = ctx.now();
    if claims.exp <= now.timestamp() {
        return Err(TokenAuthError::Invalid("expired"));
    }
    let operator_id: i64 = claims
        .sub
        .parse()
        .map_err(|_| TokenAuthError::Invalid("subject"))?;
    // The token and its operator in one round trip (run-detail polling is token-heavy).
    let (row, operator) = api_tokens::Entity::find()
        .filter(api_tokens::Column::Jti.eq(&claims.jti))
        .find_also_related(operators::Entity)
        .one(&ctx.db)
        .await?
        .ok_or(TokenAuthError::Invalid("unknown jti"))?;
    if row.operator_id != operator_id {
        return Err(TokenAuthError::Invalid("subject mismatch"));
    }
    if row.revoked_at.is_some() {
        return Err(TokenAuthError::Invalid("revoked"));
    }
    if row.expires_at <= now {
        return Err(TokenAuthError::Invalid("expired"));
    }
    let operator = operator.ok_or(TokenAuthError::Invalid("operator gone"))?;
    if operator.disabled {
        return Err(TokenAuthError::Invalid("operator disabled"));
    }
    // Revocation by a password change is the rule; this holds even if a token escaped it.
    if row.created_at < operator.password_changed_at {
        return Err(TokenAuthError::Invalid(
            "issued before the password was changed",
        ));
    }
    let held = capabilities_of(&ctx.db, operator_id).await?;
    let capabilities = caps_from_json(&row.capabilities)
        .into_iter()
        .filter(|c| held.contains(c))
        .collect();
    if row
        .last_used_at
        .is_none_or(|t| now - t >= TOUCH_GRANULARITY)
    {
        // Best effort: a failed touch must not fail the request.
        if let Err(err) = api_tokens::Entity::update_many()
            .col_expr(api_tokens::Column::LastUsedAt, Expr::value(now))
            .filter(api_tokens::Column::Id.eq(row.id))
            .exec(&ctx.db)
            .await
        {
            tracing::warn!(error.cause_chain = ?err, "could not record token use");
        }
    }
    Ok(OperatorPrincipal {
        id: operator.id,
        username: operator.username,
        display_name: operator.display_name,
        capabilities,
        via: AuthVia::Token { jti: claims.jti },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::from_lookup(|k| match k {
            "JWT_SECRET" => Some("unit-test-jwt-secret-0123456789abcdef".into()),
            _ => None,
        })
        .expect("settings")
    }

    fn claims(aud: &str) -> Claims {
        Claims {
            iss: ISSUER.into(),
            aud: aud.into(),
            sub: "1".into(),
            exp: Utc::now().timestamp() + 60,
            iat: Utc::now().timestamp(),
            jti: "j".into(),
        }
    }

    #[test]
    fn round_trip_and_plane() {
        let s = settings();
        let t = encode(&s, &claims("system")).expect("encode");
        assert_eq!(decode(&s, &t).map(|c| c.jti), Some("j".to_owned()));
        assert_eq!(plane_of(&s, &t), Some(Plane::System));
        let a = encode(&s, &claims("admin")).expect("encode");
        assert_eq!(plane_of(&s, &a), Some(Plane::Admin));
    }

    #[test]
    fn wrong_key_issuer_algorithm_or_missing_claims_are_rejected() {
        let s = settings();
        let other = Settings::from_lookup(|k| match k {
            "JWT_SECRET" => Some("another-secret-entirely-0123456789abcdef".into()),
            _ => None,
        })
        .expect("settings");
        let t = encode(&other, &claims("system")).expect("encode");
        assert_eq!(decode(&s, &t), None);
        let mut c = claims("system");
        c.iss = "someone-else".into();
        assert_eq!(decode(&s, &encode(&s, &c).expect("encode")), None);
        assert_eq!(
            plane_of(&s, &encode(&s, &claims("elsewhere")).expect("e")),
            None
        );
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims("system"),
            &EncodingKey::from_secret(s.jwt_key()),
        )
        .expect("encode");
        assert_eq!(decode(&s, &hs512), None);
        let no_jti = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({"iss": ISSUER, "aud": "system", "sub": "1", "exp": 9_999_999_999i64, "iat": 1}),
            &EncodingKey::from_secret(s.jwt_key()),
        )
        .expect("encode");
        assert_eq!(decode(&s, &no_jti), None);
    }

    #[test]
    fn requests_are_checked() {
        let held = [Capability::RunsView];
        let ok = NewToken {
            name: " ci ".into(),
            expires_in_days: 90,
            capabilities: vec![Capability::RunsView],
        };
        assert!(matches!(check_request(&ok, &held), Ok((n, _)) if n == "ci"));
        let mut bad = ok.clone();
        bad.expires_in_days = 91;
        assert!(matches!(
            check_request(&bad, &held),
            Err(TokenError::Invalid {
                field: "expires_in_days",
                ..
            })
        ));
        bad.expires_in_days = 0;
        assert!(check_request(&bad, &held).is_err());
        let mut bad = ok.clone();
        bad.capabilities = vec![Capability::RunbooksRun];
        assert!(matches!(
            check_request(&bad, &held),
            Err(TokenError::Invalid {
                field: "capabilities",
                ..
            })
        ));
        let mut bad = ok;
        bad.name = "  ".into();
        assert!(matches!(
            check_request(&bad, &held),
            Err(TokenError::Invalid { field: "name", .. })
        ));
    }
}
