//! Verifying an email, resending the link, and resetting a password.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::accounts::email_tokens::Purpose;
use crate::accounts::recovery;
use crate::audit::Origin;
use crate::captcha::Widget;
use crate::domain::Email;
use crate::web::client::Client;
use crate::web::error::AppResult;
use crate::web::forms::{FieldErrors, LinkPasswordForm};
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

/// The two "send me a link" pages: their template, address and answer.
fn link_page(purpose: Purpose) -> (&'static str, &'static str) {
    match purpose {
        Purpose::VerifyEmail => ("customer/resend.html", "/resend-verification"),
        Purpose::ResetPassword => ("customer/forgot.html", "/forgot-password"),
    }
}

fn link_sent(purpose: Purpose, email: &Email) -> String {
    match purpose {
        Purpose::VerifyEmail => {
            format!("If {email} belongs to an account that is not verified yet, a new verification link is on its way.")
        }
        Purpose::ResetPassword => {
            format!(
                "If {email} belongs to an account, a link to choose a new password is on its way. It works for one hour."
            )
        }
    }
}

fn link_form(state: &AppState, session: &Session, query: EmailQuery, purpose: Purpose) -> AppResult<Response> {
    email_page(state, session, link_page(purpose).0, &query.email, FieldErrors::default())
}

async fn link_submit(
    state: &AppState,
    session: &Session,
    origin: Origin,
    form: EmailForm,
    purpose: Purpose,
) -> AppResult<Response> {
    let (template, path) = link_page(purpose);
    let (email, errors) = parse_email_form(state, &form).await;
    let Some(email) = email else {
        return email_page(state, session, template, &form.email, errors);
    };
    recovery::send_link(&state.db, &state.mailer, &state.config, email.clone(), purpose, origin).await?;
    session.flash(FlashLevel::Success, link_sent(purpose, &email));
    Ok(Redirect::to(path).into_response())
}

pub async fn resend_form(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<EmailQuery>,
) -> AppResult<Response> {
    link_form(&state, &session, query, Purpose::VerifyEmail)
}

pub async fn resend_submit(
    State(state): State<AppState>,
    session: Session,
    Client(origin): Client,
    Form(form): Form<EmailForm>,
) -> AppResult<Response> {
    link_submit(&state, &session, origin, form, Purpose::VerifyEmail).await
}

pub async fn forgot_form(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<EmailQuery>,
) -> AppResult<Response> {
    link_form(&state, &session, query, Purpose::ResetPassword)
}

pub async fn forgot_submit(
    State(state): State<AppState>,
    session: Session,
    Client(origin): Client,
    Form(form): Form<EmailForm>,
) -> AppResult<Response> {
    link_submit(&state, &session, origin, form, Purpose::ResetPassword).await
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
    Form(form): Form<LinkPasswordForm>,
) -> AppResult<Response> {
    let Some(customer) = recovery::reset_link_owner(&state.db, form.token.clone()).await? else {
        return link_invalid(&state, &session, "reset");
    };
    let password = match form.new_password(Email::parse(&customer.email).ok().as_ref()) {
        Ok(password) => password,
        Err(errors) => return reset_page(&state, &session, &form.token, errors),
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
