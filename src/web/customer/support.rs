//! `/support`: write to the support team.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::accounts::support::{self, SupportMessage};
use crate::captcha::Widget;
use crate::domain::Email;
use crate::web::client::Client;
use crate::web::error::AppResult;
use crate::web::forms::FieldErrors;
use crate::web::session::{FlashLevel, Session};
use crate::web::{AppState, view};

#[derive(Debug, Default, Deserialize)]
pub struct SupportForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    altcha: String,
}

#[derive(Serialize)]
struct SupportPage<'a> {
    email: &'a str,
    message: &'a str,
    errors: FieldErrors,
    captcha: Widget,
}

fn page(state: &AppState, session: &Session, form: &SupportForm, errors: FieldErrors) -> AppResult<Response> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let view = SupportPage { email: &form.email, message: &form.message, errors, captcha: state.captcha.widget() };
    Ok((status, view::render_form(state, session, "customer/support.html", &view)?).into_response())
}

pub async fn form(State(state): State<AppState>, session: Session) -> AppResult<Response> {
    page(&state, &session, &SupportForm::default(), FieldErrors::default())
}

pub async fn submit(
    State(state): State<AppState>,
    session: Session,
    Client(origin): Client,
    Form(form): Form<SupportForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    if let Err(e) = state.captcha.verify(&state.db, &form.altcha).await {
        errors.add("altcha", e.to_string());
    }
    let email = errors.check("email", Email::parse(&form.email));
    let message = errors.check("message", SupportMessage::parse(&form.message));
    let (Some(email), Some(message), true) = (email, message, errors.is_empty()) else {
        return page(&state, &session, &form, errors);
    };
    let reference = support::submit(&state.db, &state.mailer, &state.config, email.clone(), message, origin).await?;
    session.flash(
        FlashLevel::Success,
        format!("Thank you. We have your message (reference #{reference}) and will reply to {email}."),
    );
    Ok(Redirect::to("/support").into_response())
}
