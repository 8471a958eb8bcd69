//! `POST /system/api/auth/tokens`.

use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::auth::principal::AuthVia;
use crate::auth::tokens::{self, NewToken, TokenError};
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::guards::{self, Operator};
use crate::http::problem::{ApiError, Problem};
use crate::http::routes::auth::{CreateTokenRequest, CreatedTokenView};

/// Create an API token.
///
/// Creates a named API token (HS256 JWT, `aud=system`) with an expiry of at most 90 days and a
/// subset of the caller's capabilities. The JWT is in this response only.
///
/// Who may call it: a signed-in operator, by session only (a bearer token gets 403, so a leaked
/// token cannot mint a longer-lived child), with the `X-CSRF-Token` header. Changes: a new row in
/// `api_tokens`; audit `auth.token.created`.
#[utoipa::path(tag = "auth", request_body = CreateTokenRequest, responses(
    (status = 201, description = "Created; `token` is shown once", body = CreatedTokenView),
    (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "A bearer token (token management needs a session), or a missing or wrong X-CSRF-Token", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
    (status = 415, description = "Body is not application/json", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid name, expiry or capabilities", body = Problem, content_type = "application/problem+json"),
    crate::http::responses::SystemSignedIn,
))]
#[post("/auth/tokens")]
#[tracing::instrument(skip_all, fields(operator.id = operator.id))]
pub async fn create_token(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    body: web::Json<CreateTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    operator.require_session("creating an API token")?;
    let body = body.into_inner();
    let capabilities = body
        .capabilities
        .iter()
        .map(|c| c.parse::<Capability>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::field("capabilities", e.to_string()))?;
    let meta = guards::request_meta(&req, "system_ui");
    let signed_in_at = match &operator.via {
        AuthVia::Session {
            signed_in_at_ms, ..
        } => chrono::DateTime::from_timestamp_millis(*signed_in_at_ms),
        AuthVia::Token { .. } => None,
    };
    let created = tokens::create(
        &ctx,
        operator.id,
        &operator.username,
        &operator.capabilities,
        NewToken {
            name: body.name,
            expires_in_days: body.expires_in_days,
            capabilities,
        },
        signed_in_at,
        &meta,
    )
    .await
    .map_err(|e| match e {
        TokenError::Invalid { field, message } => ApiError::field(field, message),
        TokenError::NotFound => ApiError::NotFound,
        TokenError::SessionEnded => ApiError::Unauthorized,
        TokenError::Db(e) => e.into(),
        TokenError::Jwt(e) => ApiError::Internal(e.into()),
    })?;
    Ok(HttpResponse::Created().json(CreatedTokenView {
        id: created.id,
        name: created.name,
        token: created.token,
        expires_at: created.expires_at,
        capabilities: created
            .capabilities
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect(),
    }))
}
