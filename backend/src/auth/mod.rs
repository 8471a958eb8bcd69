//! Identities of both planes: operators, customer users, passwords, logins and their
//! throttling, server-side sessions and API tokens. Plain async Rust: the HTTP layer, the CLI
//! and the workers call the same functions.

pub mod credentials;
pub mod login;
pub mod operators;
pub mod password;
pub mod password_change;
pub mod principal;
pub mod purges;
pub mod recheck;
pub mod refusals;
pub mod sessions;
pub mod throttle;
pub mod tokens;

use crate::audit::{Actor, Event};

/// Request facts the services record in audit events.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    /// Client IP (after trusted-proxy resolution).
    pub ip: Option<String>,
    /// `system_ui`, `api`, `cli`...
    pub source: Option<String>,
    /// The HTTP request id.
    pub request_id: Option<String>,
}

impl RequestMeta {
    /// The facts of a call that came from `source` (`cli`, `worker`...), not over HTTP.
    pub fn from_source(source: &str) -> Self {
        Self {
            source: Some(source.to_owned()),
            ..Self::default()
        }
    }

    /// An audit event carrying these facts.
    pub fn event(&self, action: &'static str, actor: Actor) -> Event {
        let mut event = Event::new(action, actor);
        event.ip = self.ip.clone();
        event.source = self.source.clone();
        event.request_id = self.request_id.clone();
        event
    }
}
