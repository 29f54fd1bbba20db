//! `/login` and `/logout`.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::accounts::login::{self, LoginOutcome};
use crate::domain::Password;
use crate::web::client::Client;
use crate::web::error::AppResult;
use crate::web::forms::{FieldErrors, is_local_path, login_email};
use crate::web::session::{FlashLevel, Session};
use crate::web::{AppState, view};

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

#[derive(Serialize)]
struct LoginPage<'a> {
    email: &'a str,
    next: &'a str,
    errors: FieldErrors,
    /// The whole-form message for refused credentials.
    refused: bool,
    /// Set when the password was right but the email is not verified.
    unverified_email: Option<String>,
}

fn page(state: &AppState, session: &Session, view: LoginPage<'_>) -> AppResult<Response> {
    let failed = !view.errors.is_empty() || view.refused || view.unverified_email.is_some();
    let status = if failed { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, view::render_form(state, session, "customer/login.html", &view)?).into_response())
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    email: String,
}

pub async fn form(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<LoginQuery>,
) -> AppResult<Response> {
    let form = LoginForm { email: query.email, next: query.next, ..LoginForm::default() };
    let view = LoginPage {
        email: &form.email,
        next: &form.next,
        errors: FieldErrors::default(),
        refused: false,
        unverified_email: None,
    };
    page(&state, &session, view)
}

pub async fn submit(
    State(state): State<AppState>,
    session: Session,
    Client(origin): Client,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let blank = |errors, refused, unverified_email| LoginPage {
        email: &form.email,
        next: &form.next,
        errors,
        refused,
        unverified_email,
    };
    let email = match login_email(&form.email, &form.password) {
        Ok(email) => email,
        Err(errors) => return page(&state, &session, blank(errors, false, None)),
    };
    match login::log_in(&state.db, &state.hasher, email, Password::typed(&form.password), origin).await? {
        LoginOutcome::SignedIn(customer) => {
            session.sign_in(customer.id);
            let next = if !customer.has_details() {
                "/account/details"
            } else if is_local_path(&form.next) {
                form.next.as_str()
            } else {
                "/dashboard"
            };
            Ok(Redirect::to(next).into_response())
        }
        LoginOutcome::Unverified(email) => {
            page(&state, &session, blank(FieldErrors::default(), false, Some(email.to_string())))
        }
        LoginOutcome::Refused => page(&state, &session, blank(FieldErrors::default(), true, None)),
    }
}

pub async fn logout(State(state): State<AppState>, session: Session, Client(origin): Client) -> AppResult<Response> {
    if let Some(customer_id) = session.subject() {
        login::log_out(&state.db, customer_id, origin).await?;
    }
    session.sign_out();
    session.flash(FlashLevel::Info, "You have logged out.");
    Ok(Redirect::to("/login").into_response())
}
