//! actix-session over the `sessions` table: a [`SessionStore`] adapter around
//! `auth::sessions`, and one [`SessionMiddleware`] per plane with its own cookie and key.
//!
//! The idle deadline is pushed forward in `load` (on the service clock), not in `update_ttl`,
//! so the TTL actix-session passes in is ignored: expiry is the database row's business.

use std::collections::HashMap;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_session::storage::{
    LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key,
};
use actix_web::body::MessageBody;
use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use sha2::{Digest, Sha512};

use crate::auth::principal::Plane;
use crate::auth::sessions::{self, Lifetimes};
use crate::context::AppContext;
use crate::http::problem::ApiError;

/// Cookie of the operator plane.
pub const SYSTEM_COOKIE: &str = "tp_system_session";
/// Cookie of the customer plane.
pub const ADMIN_COOKIE: &str = "tp_admin_session";

/// The cookie name of `plane`.
pub const fn cookie_name(plane: Plane) -> &'static str {
    match plane {
        Plane::System => SYSTEM_COOKIE,
        Plane::Admin => ADMIN_COOKIE,
    }
}

/// The cookie path of `plane`.
pub const fn cookie_path(plane: Plane) -> &'static str {
    match plane {
        Plane::System => "/system",
        Plane::Admin => "/admin",
    }
}

/// Session storage of one plane in the database.
#[derive(Clone)]
pub struct DbSessionStore {
    ctx: AppContext,
    plane: Plane,
}

impl DbSessionStore {
    /// A store for `plane`.
    pub fn new(ctx: AppContext, plane: Plane) -> Self {
        Self { ctx, plane }
    }

    fn lifetimes(&self) -> Lifetimes {
        Lifetimes {
            idle: self.ctx.settings.session_idle,
            absolute: self.ctx.settings.session_absolute,
        }
    }
}

impl SessionStore for DbSessionStore {
    async fn load(
        &self,
        session_key: &SessionKey,
    ) -> Result<Option<HashMap<String, String>>, LoadError> {
        sessions::load(
            &self.ctx.db,
            self.plane,
            session_key.as_ref(),
            self.ctx.now(),
            self.lifetimes(),
        )
        .await
        .map_err(|e| LoadError::Other(e.into()))
    }

    async fn save(
        &self,
        session_state: HashMap<String, String>,
        _ttl: &CookieDuration,
    ) -> Result<SessionKey, SaveError> {
        let key = generate_session_key();
        sessions::create(
            &self.ctx.db,
            self.plane,
            key.as_ref(),
            &session_state,
            self.ctx.now(),
            self.lifetimes(),
        )
        .await
        .map_err(|e| SaveError::Other(e.into()))?;
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: HashMap<String, String>,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let found = sessions::update(
            &self.ctx.db,
            self.plane,
            session_key.as_ref(),
            &session_state,
        )
        .await
        .map_err(|e| UpdateError::Other(e.into()))?;
        if found {
            Ok(session_key)
        } else {
            // Ended meanwhile (logout elsewhere, purge): start a new session rather than
            // resurrect the old key.
            self.save(session_state, ttl).await.map_err(|e| match e {
                SaveError::Serialization(e) => UpdateError::Serialization(e),
                SaveError::Other(e) => UpdateError::Other(e),
            })
        }
    }

    async fn update_ttl(
        &self,
        _session_key: &SessionKey,
        _ttl: &CookieDuration,
    ) -> Result<(), anyhow::Error> {
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        sessions::delete(&self.ctx.db, self.plane, session_key.as_ref())
            .await
            .map_err(Into::into)
    }
}

/// The cookie key of `plane`, derived from `SESSION_SECRET` with the plane as context, so the
/// two planes' cookies never verify with each other's key.
pub fn cookie_key(secret: &[u8], plane: Plane) -> Key {
    let mut hasher = Sha512::new();
    hasher.update(b"tenantatlas-ops session cookie key v1\0");
    hasher.update(cookie_name(plane).as_bytes());
    hasher.update(b"\0");
    hasher.update(secret);
    let digest = hasher.finalize();
    // A SHA-512 digest is exactly the 64 bytes `Key::from` needs.
    Key::from(&digest[..])
}

/// The session middleware of `plane`: its own cookie name, path and key; `HttpOnly`,
/// `SameSite=Strict`, `Secure` unless disabled; no `Max-Age` (expiry is server-side).
pub fn middleware(ctx: &AppContext, plane: Plane) -> SessionMiddleware<DbSessionStore> {
    let key = cookie_key(ctx.settings.session_key(), plane);
    SessionMiddleware::builder(DbSessionStore::new(ctx.clone(), plane), key)
        .cookie_name(cookie_name(plane).to_owned())
        .cookie_path(cookie_path(plane).to_owned())
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Strict)
        .cookie_secure(ctx.settings.cookie_secure)
        .cookie_content_security(CookieContentSecurity::Private)
        .session_lifecycle(BrowserSession::default())
        .build()
}

/// Session-store failures as problem documents. actix-session answers a failing store with a
/// bare 500; wrapped around the session middleware, this answers 503 while the database is
/// unreachable (the store's only dependency) and a 500 problem otherwise. Handler errors never
/// reach it: they are already responses.
pub async fn store_errors<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let ctx = req.app_data::<web::Data<AppContext>>().cloned();
    match next.call(req).await {
        Ok(res) => Ok(res),
        Err(err) => {
            let cause = anyhow::anyhow!("session store: {err}");
            let reachable = match &ctx {
                Some(ctx) => crate::db::ping(&ctx.db).await.is_ok(),
                None => true,
            };
            Err(if reachable {
                ApiError::Internal(cause)
            } else {
                ApiError::Unavailable(cause)
            }
            .into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planes_get_distinct_keys() {
        let a = cookie_key(b"0123456789abcdef0123456789abcdef", Plane::System);
        let b = cookie_key(b"0123456789abcdef0123456789abcdef", Plane::Admin);
        assert_ne!(a.master(), b.master());
    }
}
