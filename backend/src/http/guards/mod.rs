//! Plane and access guards, one file per job:
//!
//! - [`plane`]: the plane gate (other plane's credentials → the generic 404);
//! - [`principal`]: the `Operator` / `Customer` extractors and capability checks;
//! - [`csrf`]: the CSRF token of cookie-authenticated unsafe requests;
//! - [`login`]: the login origin check, session start and audit request facts.
//!
//! Denials are logged with `tracing`, not written to the audit log (docs/spec.md lists no such event).

pub mod csrf;
pub mod login;
pub mod plane;
pub mod principal;

pub use csrf::*;
pub use login::*;
pub use plane::*;
pub use principal::*;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::principal::{AuthVia, OperatorPrincipal};
    use crate::domain::capability::Capability;
    use actix_web::ResponseError;
    use actix_web::http::Method;
    use actix_web::http::header::HeaderValue;
    use actix_web::http::header::{self, HeaderMap};

    fn principal(caps: &[Capability]) -> OperatorPrincipal {
        OperatorPrincipal {
            id: 7,
            username: "op".into(),
            display_name: "Op".into(),
            capabilities: caps.to_vec(),
            via: AuthVia::Token { jti: "j".into() },
        }
    }

    #[test]
    fn missing_capability_is_403_problem() {
        let p = principal(&[Capability::RunsView]);
        assert!(require_capability(&p, Capability::RunsView).is_ok());
        let err = require_capability(&p, Capability::RunbooksRun).expect_err("denied");
        assert_eq!(err.status_code().as_u16(), 403);
        assert_eq!(err.problem().status, 403);
        assert!(err.problem().detail.contains("ops.runbooks.run"));
    }

    #[test]
    fn csrf_is_needed_only_for_unsafe_methods_and_must_match() {
        assert!(csrf_ok(&Method::GET, None, "t"));
        assert!(csrf_ok(&Method::HEAD, None, "t"));
        assert!(csrf_ok(&Method::OPTIONS, None, "t"));
        assert!(!csrf_ok(&Method::POST, None, "t"));
        assert!(!csrf_ok(&Method::DELETE, Some("u"), "t"));
        assert!(!csrf_ok(&Method::PUT, Some(""), ""));
        assert!(csrf_ok(&Method::PATCH, Some("t"), "t"));
    }

    #[test]
    fn bearer_and_cookie_parsing() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tp_admin_session=xyz"),
        );
        assert!(plane::has_cookie(&h, "tp_admin_session"));
        assert!(!plane::has_cookie(&h, "tp_system_session"));
    }

    #[test]
    fn origins_must_name_this_host() {
        assert!(origin_matches_host(
            "http://127.0.0.1:8080",
            "127.0.0.1:8080"
        ));
        assert!(origin_matches_host(
            "https://Ops.Example.com",
            "ops.example.com"
        ));
        assert!(!origin_matches_host(
            "https://evil.example",
            "ops.example.com"
        ));
        assert!(!origin_matches_host("null", "ops.example.com"));
        assert!(!origin_matches_host(
            "http://127.0.0.1:9999",
            "127.0.0.1:8080"
        ));
    }
}
