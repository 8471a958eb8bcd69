//! Who a request acts as, once its credentials were checked: an operator (operator plane) or a
//! customer user (customer plane). The two types never convert into each other.

use crate::domain::capability::Capability;

/// The two planes; each has its own sessions and token audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Plane {
    /// The operator plane (`/system`).
    System,
    /// The customer plane (`/admin`).
    Admin,
}

impl Plane {
    /// The stable name, used as the `sessions.plane` value and as the JWT audience.
    pub const fn as_str(self) -> &'static str {
        match self {
            Plane::System => "system",
            Plane::Admin => "admin",
        }
    }
}

/// How an operator authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthVia {
    /// A session cookie; unsafe requests must echo `csrf_token`.
    Session {
        /// The session's CSRF token.
        csrf_token: String,
        /// When the session signed in (ms since the epoch): a token it creates must not
        /// outlive a password change made since.
        signed_in_at_ms: i64,
    },
    /// A bearer API token (exempt from CSRF: browsers never attach it on their own).
    Token {
        /// The token's id claim.
        jti: String,
    },
}

/// An authenticated platform operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorPrincipal {
    /// Operator id.
    pub id: i64,
    /// Lower-cased username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Effective capabilities (for a token: the token's, limited to what the operator still holds).
    pub capabilities: Vec<Capability>,
    /// Session or token.
    pub via: AuthVia,
}

impl OperatorPrincipal {
    /// Whether the operator holds `capability`.
    pub fn has(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }

    /// The audit actor for this operator.
    pub fn actor(&self) -> crate::audit::Actor {
        crate::audit::Actor::Operator {
            id: self.id,
            username: self.username.clone(),
        }
    }
}

/// An authenticated customer-plane user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerPrincipal {
    /// User id.
    pub id: i64,
    /// Lower-cased username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// The one workspace the user belongs to.
    pub workspace_id: i64,
    /// The session's CSRF token.
    pub csrf_token: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_checks_the_capability_list() {
        let p = OperatorPrincipal {
            id: 1,
            username: "a".into(),
            display_name: "A".into(),
            capabilities: vec![Capability::RunsView],
            via: AuthVia::Token { jti: "j".into() },
        };
        assert!(p.has(Capability::RunsView));
        assert!(!p.has(Capability::RunbooksRun));
    }
}
