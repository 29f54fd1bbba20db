//! Verifying an email, resending the link, and resetting a password.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::accounts::recovery;
use crate::captcha::Widget;
use crate::domain::{Email, Password};
use crate::web::client::Client;
use crate::web::error::AppResult;
use crate::web::forms::FieldErrors;
use crate::web::session::{FlashLevel, Session};
use crate::web::{AppState, view};

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// A link that is unknown, used, revoked or expired.
fn link_invalid(state: &AppState, session: &Session, purpose: &'static str) -> AppResult<Response> {
    #[derive(Serialize)]
    struct LinkInvalid {
        purpose: &'static str,
    }
    let html = view::render(state, session, "customer/link_invalid.html", &LinkInvalid { purpose })?;
    Ok((StatusCode::BAD_REQUEST, html).into_response())
}

pub async fn verify_email(
    State(state): State<AppState>,
    session: Session,
    Client(origin): Client,
    Query(query): Query<TokenQuery>,
) -> AppResult<Response> {
    match recovery::verify_email(&state.db, query.token, origin).await? {
        Some(_) => {
            session.flash(FlashLevel::Success, "Email verified. Log in to continue.");
            Ok(Redirect::to("/login").into_response())
        }
        None => link_invalid(&state, &session, "verify"),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    altcha: String,
}

#[derive(Serialize)]
struct EmailPage<'a> {
    email: &'a str,
    errors: FieldErrors,
    captcha: Widget,
}

fn email_page(
    state: &AppState,
    session: &Session,
    template: &str,
    email: &str,
    errors: FieldErrors,
) -> AppResult<Response> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let view = EmailPage { email, errors, captcha: state.captcha.widget() };
    Ok((status, view::render_form(state, session, template, &view)?).into_response())
}

/// Checks the captcha and the address of a "send me a link" form.
async fn parse_email_form(state: &AppState, form: &EmailForm) -> (Option<Email>, FieldErrors) {
    let mut errors = FieldErrors::default();
    if let Err(e) = state.captcha.verify(&state.db, &form.altcha).await {
        errors.add("altcha", e.to_string());
    }
    let email = errors.check("email", Email::parse(&form.email));
    (email.filter(|_| errors.is_empty()), errors)
}

#[derive(Deserialize)]
pub struct EmailQuery {
    #[serde(default)]
    email: String,
}

pub async fn resend_form(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<EmailQuery>,
) -> AppResult<Response> {
    email_page(&state, &session, "customer/resend.html", &query.email, FieldErrors::default())
}

pub async fn resend_submit(
    State(state): State<AppState>,
    session: Session,
    Client(origin): Client,
    Form(form): Form<EmailForm>,
) -> AppResult<Response> {
    let (email, errors) = parse_email_form(&state, &form).await;
    let Some(email) = email else {
        return email_page(&state, &session, "customer/resend.html", &form.email, errors);
    };
    recovery::resend_verification(&state.db, &state.mailer, &state.config, email.clone(), origin).await?;
    session.flash(
        FlashLevel::Success,
        format!("If {email} belongs to an account that is not verified yet, a new verification link is on its way."),
    );
    Ok(Redirect::to("/resend-verification").into_response())
}

pub async fn forgot_form(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<EmailQuery>,
) -> AppResult<Response> {
    email_page(&state, &session, "customer/forgot.html", &query.email, FieldErrors::default())
}

pub async fn forgot_submit(
    State(state): State<AppState>,
    session: Session,
    Client(origin): Client,
    Form(form): Form<EmailForm>,
) -> AppResult<Response> {
    let (email, errors) = parse_email_form(&state, &form).await;
    let Some(email) = email else {
        return email_page(&state, &session, "customer/forgot.html", &form.email, errors);
    };
    recovery::forgot_password(&state.db, &state.mailer, &state.config, email.clone(), origin).await?;
    session.flash(
        FlashLevel::Success,
        format!(
            "If {email} belongs to an account, a link to choose a new password is on its way. It works for one hour."
        ),
    );
    Ok(Redirect::to("/forgot-password").into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm_password: String,
}

#[derive(Serialize)]
struct ResetPage<'a> {
    token: &'a str,
    errors: FieldErrors,
}

fn reset_page(state: &AppState, session: &Session, token: &str, errors: FieldErrors) -> AppResult<Response> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let view = ResetPage { token, errors };
    Ok((status, view::render_form(state, session, "customer/reset.html", &view)?).into_response())
}

pub async fn reset_form(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<TokenQuery>,
) -> AppResult<Response> {
    match recovery::reset_link_owner(&state.db, query.token.clone()).await? {
        Some(_) => reset_page(&state, &session, &query.token, FieldErrors::default()),
        None => link_invalid(&state, &session, "reset"),
    }
}

pub async fn reset_submit(
    State(state): State<AppState>,
    session: Session,
    Client(origin): Client,
    Form(form): Form<ResetForm>,
) -> AppResult<Response> {
    let Some(customer) = recovery::reset_link_owner(&state.db, form.token.clone()).await? else {
        return link_invalid(&state, &session, "reset");
    };
    let mut errors = FieldErrors::default();
    let email = Email::parse(&customer.email).ok();
    let password = errors.check("password", Password::parse(&form.password, email.as_ref()));
    if form.password != form.confirm_password {
        errors.add("confirm_password", "The passwords do not match.");
    }
    let Some(password) = password.filter(|_| errors.is_empty()) else {
        return reset_page(&state, &session, &form.token, errors);
    };
    let changed = recovery::reset_password(
        &state.db,
        &state.mailer,
        &state.config,
        &state.hasher,
        form.token,
        customer,
        password,
        origin,
    )
    .await?;
    if !changed {
        return link_invalid(&state, &session, "reset");
    }
    session.flash(FlashLevel::Success, "Your password was changed. Log in with your new password.");
    Ok(Redirect::to("/login").into_response())
}
