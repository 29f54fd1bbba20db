//! `/signup`: create an account.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::accounts::signup;
use crate::captcha::Widget;
use crate::domain::Email;
use crate::web::client::Client;
use crate::web::error::AppResult;
use crate::web::forms::{FieldErrors, new_password};
use crate::web::session::{FlashLevel, Session};
use crate::web::{AppState, view};

#[derive(Debug, Default, Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm_password: String,
    #[serde(default)]
    terms: Option<String>,
    #[serde(default)]
    altcha: String,
}

/// What the page shows again: never the passwords.
#[derive(Serialize)]
struct SignupPage<'a> {
    email: &'a str,
    terms: bool,
    errors: FieldErrors,
    captcha: Widget,
}

fn page(
    state: &AppState,
    session: &Session,
    form: &SignupForm,
    errors: FieldErrors,
) -> AppResult<impl IntoResponse + use<>> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let view = SignupPage { email: &form.email, terms: form.terms.is_some(), errors, captcha: state.captcha.widget() };
    Ok((status, view::render_form(state, session, "customer/signup.html", &view)?))
}

pub async fn form(State(state): State<AppState>, session: Session) -> AppResult<impl IntoResponse> {
    page(&state, &session, &SignupForm::default(), FieldErrors::default())
}

pub async fn submit(
    State(state): State<AppState>,
    session: Session,
    Client(origin): Client,
    Form(form): Form<SignupForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    if let Err(e) = state.captcha.verify(&state.db, &form.altcha).await {
        errors.add("altcha", e.to_string());
    }
    let email = errors.check("email", Email::parse(&form.email));
    let password = new_password(&mut errors, &form.password, &form.confirm_password, email.as_ref());
    if form.terms.is_none() {
        errors.add("terms", "Agree to the Terms & Conditions to create an account.");
    }
    let (Some(email), Some(password), true) = (email, password, errors.is_empty()) else {
        return Ok(page(&state, &session, &form, errors)?.into_response());
    };
    let hash = state.hasher.hash(&password).await?;
    signup::sign_up(&state.db, &state.mailer, &state.config, email.clone(), hash, origin).await?;
    session.flash(
        FlashLevel::Success,
        format!("We've sent a verification link to {email}. Open it to activate your account; it works for 24 hours."),
    );
    Ok(Redirect::to("/signup/check-email").into_response())
}

pub async fn check_email(State(state): State<AppState>, session: Session) -> AppResult<impl IntoResponse> {
    view::render(&state, &session, "customer/check_email.html", &())
}
