//! `GET /system/api/auth/tokens`.

use actix_web::{HttpResponse, get, web};

use crate::auth::tokens;
use crate::context::AppContext;
use crate::http::guards::Operator;
use crate::http::pagination::{Page, PageQuery};
use crate::http::problem::{ApiError, Problem};
use crate::http::routes::auth::TokenView;

/// List the caller's API tokens.
///
/// The caller's own API tokens, newest first, revoked ones included and marked. The JWTs themselves
/// are never shown again.
///
/// Who may call it: a signed-in operator, by session only (a bearer token gets 403). Changes
/// nothing.
#[utoipa::path(tag = "auth", params(PageQuery), responses(
    (status = 200, description = "One page of tokens", body = inline(Page<TokenView>)),
    (status = 403, description = "A bearer token: token management needs a session", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid pagination", body = Problem, content_type = "application/problem+json"),
    crate::http::responses::SystemSignedIn,
))]
#[get("/auth/tokens")]
pub async fn list_tokens(
    ctx: web::Data<AppContext>,
    operator: Operator,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    operator.require_session("listing API tokens")?;
    let params = query.validate()?;
    let (items, total) = tokens::list(&ctx.db, operator.id, params.page, params.per_page).await?;
    let items = items.into_iter().map(TokenView::from).collect();
    Ok(HttpResponse::Ok().json(Page::new(items, params, total)))
}
