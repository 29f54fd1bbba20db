//! Who the signed-in customer is, checked in the handler's signature.

use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;

use crate::accounts::{self, Customer};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::session::Session;

/// A signed-in customer, whether or not their details are saved.
pub struct SignedIn {
    pub customer: Customer,
    pub session: Session,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        let login = if parts.method == Method::GET {
            let next = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            format!("/login?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>())
        } else {
            "/login".to_string()
        };
        let Some(id) = session.subject() else { return Err(AppError::Redirect(login)) };
        let customer = state.db.run(move |conn| accounts::find(conn, id).map_err(AppError::from)).await?;
        match customer {
            Some(customer) => Ok(SignedIn { customer, session }),
            None => {
                session.sign_out();
                Err(AppError::Redirect(login))
            }
        }
    }
}

/// A signed-in customer whose details are saved; anyone else is sent to
/// sign in or to the details form first, whatever page they asked for.
pub struct CurrentCustomer(pub SignedIn);

impl FromRequestParts<AppState> for CurrentCustomer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        if !signed_in.customer.has_details() {
            return Err(AppError::Redirect("/account/details".into()));
        }
        Ok(CurrentCustomer(signed_in))
    }
}
