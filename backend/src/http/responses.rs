//! The problem documents that whole groups of operations answer alike, documented once as
//! utoipa [`IntoResponses`] sets; an operation's `#[utoipa::path(responses(...))]` names its
//! set and lists only the answers particular to it.
//!
//! Which set an operation takes follows from the layers it is served behind (`http/mod.rs`):
//! - Everything under `/system/api` passes the per-IP limiter (429 with `Retry-After`) and the
//!   session layer, which reads the database whenever a request carries a session cookie (503
//!   while the database is unreachable): [`SystemApi`]. Its public operations (login, the
//!   contract) take this set; the authenticated ones take [`SystemSignedIn`], which adds 401.
//! - `/admin/api` has its own per-IP limiter (429) and session layer: [`AdminApi`] (429, 503)
//!   and [`AdminSignedIn`] (401, 429, 503).
//!
//! 403 stays with each operation: its reason is the operation's own (which capability, a bearer
//! token where a session is needed, the CSRF header on unsafe methods), and some operations
//! cannot answer it at all (`GET auth/me`). 400/413/415/422 stay too: what makes a body or a
//! parameter invalid is the operation's business. The contract test
//! `every_plane_operation_documents_the_answers_of_its_layers` (tests/tests/contract.rs) fails
//! when an operation forgets its set, or a 403.

use std::collections::BTreeMap;

use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::{
    ContentBuilder, KnownFormat, ObjectBuilder, Ref, RefOr, Response, ResponseBuilder,
    SchemaFormat, Type,
};
use utoipa::{IntoResponses, ToSchema};

use crate::http::problem::Problem;

/// The media type of every problem document.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A `Retry-After` header in seconds. `required` marks a header sent with every such answer:
/// utoipa 6's `Header` has no `required` field, so it travels as a (flattened) extension entry,
/// which serializes as the plain OpenAPI keyword.
fn retry_after(description: &str, required: bool) -> utoipa::openapi::header::Header {
    let schema = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(0));
    let mut header = HeaderBuilder::new()
        .schema(Some(schema))
        .description(Some(description));
    if required {
        header = header.extensions(Some(Extensions::from_iter([("required", true)])));
    }
    header.build()
}

fn problem(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(Problem::name())))
            .build(),
    )
}

/// 401: no credentials, or ones that no longer hold.
fn unauthorized(credentials: &str) -> Response {
    problem(&format!(
        "Not signed in: no {credentials}, or one that is invalid, expired or revoked, or whose \
         user was disabled or changed password since"
    ))
    .build()
}

/// 429: the per-IP limiter over `/system/api`, and the limits some operations add.
fn too_many_requests() -> Response {
    problem(
        "Too many requests: this client's rate limit over the operator API, or a limit of the \
         operation itself (failed login or password attempts, open event streams per operator); \
         retry after `Retry-After` seconds",
    )
    .header(
        "Retry-After",
        retry_after("Seconds until a retry may succeed", true),
    )
    .build()
}

/// 429: the per-IP limiter over `/admin/api`, and the login throttle.
fn too_many_customer_requests() -> Response {
    problem(
        "Too many requests: this client's rate limit over the customer API, or (login) too \
         many failed attempts; retry after `Retry-After` seconds",
    )
    .header(
        "Retry-After",
        retry_after("Seconds until a retry may succeed", true),
    )
    .build()
}

/// 503: the database is unreachable (`ApiError::Unavailable`, from any database access,
/// the session store's included), or the password-hashing pool stayed busy (`ApiError::Busy`).
fn unavailable() -> Response {
    problem(
        "Temporarily unavailable: the database is unreachable, or (login and password change) \
         password hashing is busy; retry later",
    )
    .header(
        "Retry-After",
        retry_after(
            "Seconds until a retry is likely to succeed; sent when the server knows (a busy \
             password-hashing pool)",
            false,
        ),
    )
    .build()
}

fn set(responses: impl IntoIterator<Item = (u16, Response)>) -> BTreeMap<String, RefOr<Response>> {
    responses
        .into_iter()
        .map(|(status, response)| (status.to_string(), RefOr::T(response)))
        .collect()
}

/// Every operation under `/system/api`: 429 (limiter) and 503 (database).
pub struct SystemApi;

impl IntoResponses for SystemApi {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set([(429, too_many_requests()), (503, unavailable())])
    }
}

/// Every authenticated operation under `/system/api`: [`SystemApi`] plus 401.
pub struct SystemSignedIn;

impl IntoResponses for SystemSignedIn {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set([
            (401, unauthorized("session cookie or bearer token")),
            (429, too_many_requests()),
            (503, unavailable()),
        ])
    }
}

/// Every operation under `/admin/api`: 429 (limiter) and 503 (database).
pub struct AdminApi;

impl IntoResponses for AdminApi {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set([(429, too_many_customer_requests()), (503, unavailable())])
    }
}

/// Every authenticated operation under `/admin/api`: [`AdminApi`] plus 401.
pub struct AdminSignedIn;

impl IntoResponses for AdminSignedIn {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set([
            (401, unauthorized("session cookie")),
            (429, too_many_customer_requests()),
            (503, unavailable()),
        ])
    }
}
