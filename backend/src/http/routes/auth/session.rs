//! `GET /system/api/auth/session`: whether anyone is signed in, without a 401.

use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::guards::MaybeOperator;
use crate::http::routes::auth::{OperatorSession, OperatorView};

/// The session as the login page sees it: the signed-in operator and their CSRF token, or both
/// null when nobody is signed in.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionState {
    /// Who is signed in (null: nobody).
    pub operator: Option<OperatorView>,
    /// The session's CSRF token (null: nobody, or a bearer token, which needs none).
    pub csrf_token: Option<String>,
}

/// The signed-in operator, if any.
///
/// The signed-in operator and CSRF token, or nulls when nobody is signed in: public like login, so
/// a console page load never logs a 401. Scripts keep `auth/me`, which answers 401 without
/// credentials.
///
/// Who may call it: anyone; no credentials needed. Changes nothing.
#[utoipa::path(tag = "auth", responses(
    (status = 200, description = "The session: the operator and CSRF token, or nulls", body = SessionState),
    (status = 404, description = "Credentials of the customer plane", body = crate::http::problem::Problem, content_type = "application/problem+json"),
    crate::http::responses::SystemApi,
))]
#[get("/auth/session")]
pub async fn session(operator: MaybeOperator) -> HttpResponse {
    let state = match operator.0 {
        Some(operator) => {
            let session = OperatorSession::from(&operator.0);
            SessionState {
                operator: Some(session.operator),
                csrf_token: session.csrf_token,
            }
        }
        None => SessionState {
            operator: None,
            csrf_token: None,
        },
    };
    HttpResponse::Ok().json(state)
}
