//! Who a request acts as: the [`Operator`] / [`Customer`] extractors authenticate by bearer token
//! or session cookie (none → 401; cookie-authenticated unsafe methods need `X-CSRF-Token`,
//! 403); [`Operator::require`] answers a missing capability with 403; [`stream_credential`] is
//! what a long-lived stream re-checks.

use super::csrf::check_csrf;
use super::plane::{bearer, carries_other_plane};
use crate::auth::operators::capabilities_of;
use crate::auth::principal::{AuthVia, CustomerPrincipal, OperatorPrincipal, Plane};
use crate::auth::recheck::Credential;
use crate::auth::sessions::{KEY_AUTH_AT, KEY_CSRF, KEY_PRINCIPAL_ID, hash_key};
use crate::auth::tokens::{self, TokenAuthError};
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::entities::{customer_users, operators};
use crate::http::problem::ApiError;
use crate::http::session_store::{cookie_key, cookie_name};
use actix_session::{Session, SessionExt};
use actix_web::cookie::CookieJar;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use sea_orm::EntityTrait;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

/// An authenticated operator (operator plane only).
#[derive(Debug, Clone)]
pub struct Operator(pub OperatorPrincipal);

impl Deref for Operator {
    type Target = OperatorPrincipal;

    fn deref(&self) -> &OperatorPrincipal {
        &self.0
    }
}

impl Operator {
    /// 403 unless the operator holds `capability`.
    pub fn require(&self, capability: Capability) -> Result<(), ApiError> {
        require_capability(&self.0, capability)
    }

    /// 403 unless the operator signed in with a password (a session), not a bearer token: a
    /// leaked token must not mint longer-lived children, revoke its owner's other tokens or
    /// change the password. `what` names the action in the problem's detail.
    pub fn require_session(&self, what: &str) -> Result<(), ApiError> {
        match self.via {
            AuthVia::Session { .. } => Ok(()),
            AuthVia::Token { .. } => {
                tracing::info!(
                    operator.id = self.id,
                    action = what,
                    "denied: needs a session"
                );
                Err(ApiError::Forbidden(format!(
                    "{what} needs a signed-in session; API tokens cannot do it"
                )))
            }
        }
    }
}

/// An authenticated customer-plane user.
#[derive(Debug, Clone)]
pub struct Customer(pub CustomerPrincipal);

impl Deref for Customer {
    type Target = CustomerPrincipal;

    fn deref(&self) -> &CustomerPrincipal {
        &self.0
    }
}

/// 403 (problem document) unless `principal` holds `capability`.
pub fn require_capability(
    principal: &OperatorPrincipal,
    capability: Capability,
) -> Result<(), ApiError> {
    if principal.has(capability) {
        Ok(())
    } else {
        tracing::info!(
            operator.id = principal.id,
            capability = capability.as_str(),
            "denied: missing capability"
        );
        Err(ApiError::Forbidden(format!(
            "this action needs the capability {capability}"
        )))
    }
}

fn context(req: &HttpRequest) -> Result<web::Data<AppContext>, ApiError> {
    req.app_data::<web::Data<AppContext>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppContext is not registered")))
}

/// The session's principal id, CSRF token and login time, if it is signed in.
fn session_identity(session: &Session) -> Option<(i64, String, i64)> {
    let id = session.get::<i64>(KEY_PRINCIPAL_ID).ok()??;
    let csrf = session.get::<String>(KEY_CSRF).ok()??;
    let auth_at = session.get::<i64>(KEY_AUTH_AT).ok()??;
    Some((id, csrf, auth_at))
}

fn unauthorized(why: &str) -> ApiError {
    tracing::info!(reason = why, "denied: not authenticated (401)");
    ApiError::Unauthorized
}

async fn authenticate_operator(req: HttpRequest) -> Result<Operator, ApiError> {
    let ctx = context(&req)?;
    // Repeated here (the gate already ran) so the extractor is safe wherever it is used.
    if carries_other_plane(req.headers(), &ctx.settings, Plane::System) {
        return Err(ApiError::NotFound);
    }
    if req.headers().contains_key(header::AUTHORIZATION) {
        let Some(token) = bearer(req.headers()) else {
            return Err(unauthorized("Authorization is not a bearer token"));
        };
        return match tokens::authenticate(&ctx, token).await {
            Ok(p) => Ok(Operator(p)),
            Err(TokenAuthError::OtherPlane) => Err(ApiError::NotFound),
            Err(TokenAuthError::Invalid(why)) => Err(unauthorized(why)),
            Err(TokenAuthError::Db(e)) => Err(e.into()),
        };
    }
    let session = req.get_session();
    let Some((id, csrf, auth_at_ms)) = session_identity(&session) else {
        return Err(unauthorized("no session"));
    };
    let operator = operators::Entity::find_by_id(id).one(&ctx.db).await?;
    let live =
        operator.filter(|o| !o.disabled && o.password_changed_at.timestamp_millis() <= auth_at_ms);
    let Some(operator) = live else {
        // Ended server-side too: the middleware deletes the row and clears the cookie.
        session.purge();
        return Err(unauthorized(
            "operator disabled, removed or password changed",
        ));
    };
    check_csrf(&req, &csrf)?;
    let capabilities = capabilities_of(&ctx.db, operator.id).await?;
    Ok(Operator(OperatorPrincipal {
        id: operator.id,
        username: operator.username,
        display_name: operator.display_name,
        capabilities,
        via: AuthVia::Session {
            csrf_token: csrf,
            signed_in_at_ms: auth_at_ms,
        },
    }))
}

async fn authenticate_customer(req: HttpRequest) -> Result<Customer, ApiError> {
    let ctx = context(&req)?;
    if carries_other_plane(req.headers(), &ctx.settings, Plane::Admin) {
        return Err(ApiError::NotFound);
    }
    // v1 issues no customer-plane tokens: any other bearer is simply not a credential here.
    if req.headers().contains_key(header::AUTHORIZATION) {
        return Err(unauthorized("customer plane accepts no bearer tokens"));
    }
    let session = req.get_session();
    let Some((id, csrf, _)) = session_identity(&session) else {
        return Err(unauthorized("no session"));
    };
    let Some(user) = customer_users::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .filter(|u| !u.disabled)
    else {
        session.purge();
        return Err(unauthorized("customer user disabled or removed"));
    };
    check_csrf(&req, &csrf)?;
    Ok(Customer(CustomerPrincipal {
        id: user.id,
        username: user.username,
        display_name: user.display_name,
        workspace_id: user.workspace_id,
        csrf_token: csrf,
    }))
}

impl FromRequest for Operator {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate_operator(req.clone()))
    }
}

/// The signed-in principal (`Operator` or `Customer`), if there is one: no credentials, or
/// credentials that no longer hold, are `None` rather than a 401 (for the public session probes
/// of the login pages); another plane's credentials (404) and an unavailable database (503) are
/// still errors.
pub struct Maybe<P>(pub Option<P>);

/// The signed-in operator, if there is one.
pub type MaybeOperator = Maybe<Operator>;

/// The signed-in customer user, if there is one.
pub type MaybeCustomer = Maybe<Customer>;

impl<P> FromRequest for Maybe<P>
where
    P: FromRequest<Error = ApiError> + 'static,
{
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let principal = P::from_request(req, payload);
        Box::pin(async move {
            match principal.await {
                Ok(principal) => Ok(Maybe(Some(principal))),
                Err(ApiError::Unauthorized) => Ok(Maybe(None)),
                Err(other) => Err(other),
            }
        })
    }
}

impl FromRequest for Customer {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate_customer(req.clone()))
    }
}

/// What an event stream re-checks while it is open (see [`crate::auth::recheck`]): the token,
/// or the session — identified by the hash of the key in the plane's private cookie, which
/// actix-session does not expose — with its login time.
pub fn stream_credential(req: &HttpRequest, operator: &Operator) -> Option<Credential> {
    match &operator.via {
        AuthVia::Token { jti } => Some(Credential::Token {
            jti: jti.clone(),
            operator_id: operator.id,
        }),
        AuthVia::Session { .. } => {
            let ctx = req.app_data::<web::Data<AppContext>>()?;
            let cookie = req.cookie(cookie_name(Plane::System))?;
            let mut jar = CookieJar::new();
            jar.add_original(cookie.into_owned());
            let key = cookie_key(ctx.settings.session_key(), Plane::System);
            let session_key = jar.private(&key).get(cookie_name(Plane::System))?;
            let (_, _, auth_at_ms) = session_identity(&req.get_session())?;
            Some(Credential::Session {
                session_id: hash_key(session_key.value()),
                operator_id: operator.id,
                auth_at_ms,
            })
        }
    }
}
