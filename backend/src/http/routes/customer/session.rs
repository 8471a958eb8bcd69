//! `GET /admin/api/auth/session`: whether a customer user is signed in, without a 401.

use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::guards::MaybeCustomer;
use crate::http::routes::customer::{UserSession, UserView};

/// The session as the customer login page sees it: the signed-in user and their CSRF token, or
/// both null when nobody is signed in.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerSessionState {
    /// Who is signed in (null: nobody).
    pub user: Option<UserView>,
    /// The session's CSRF token (null: nobody).
    pub csrf_token: Option<String>,
}

/// The signed-in customer user, if any.
///
/// The signed-in user and CSRF token, or nulls when nobody is signed in: public like login, so a
/// customer page load never logs a 401 (the operator plane's `auth/session` does the same).
/// Scripts keep `auth/me`, which answers 401 without a session.
///
/// Who may call it: anyone; no credentials needed. Changes nothing.
#[utoipa::path(tag = "customer", responses(
    (status = 200, description = "The session: the user and CSRF token, or nulls", body = CustomerSessionState),
    (status = 404, description = "Credentials of the operator plane", body = crate::http::problem::Problem, content_type = "application/problem+json"),
    crate::http::responses::AdminApi,
))]
#[get("/auth/session")]
pub async fn session(user: MaybeCustomer) -> HttpResponse {
    let state = match user.0 {
        Some(user) => {
            let session = UserSession::from(&user.0);
            CustomerSessionState {
                user: Some(session.user),
                csrf_token: Some(session.csrf_token),
            }
        }
        None => CustomerSessionState {
            user: None,
            csrf_token: None,
        },
    };
    HttpResponse::Ok().json(state)
}
