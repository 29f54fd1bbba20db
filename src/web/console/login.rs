//! `/console/login`: password, then an authentication code; enrolment at
//! first sign-in; accepting an invitation; signing out.

use axum::Form;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::domain::{Email, Password};
use crate::staff::{self, admin, login};
use crate::web::client::Client;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::{FieldErrors, LinkPasswordForm, login_email};
use crate::web::session::{FlashLevel, Session};
use crate::web::{AppState, view};

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[derive(Serialize)]
struct LoginPage<'a> {
    email: &'a str,
    refused: bool,
    errors: FieldErrors,
}

fn login_page(
    state: &AppState,
    session: &Session,
    email: &str,
    refused: bool,
    errors: FieldErrors,
) -> AppResult<Response> {
    let status = if refused || !errors.is_empty() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let html = view::render_form(state, session, "console/login.html", &LoginPage { email, refused, errors })?;
    Ok((status, html).into_response())
}

pub async fn form(State(state): State<AppState>, session: Session) -> AppResult<Response> {
    if session.subject().is_some() {
        return Ok(Redirect::to("/console").into_response());
    }
    login_page(&state, &session, "", false, FieldErrors::default())
}

pub async fn submit(
    State(state): State<AppState>,
    session: Session,
    Client(origin): Client,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let email = match login_email(&form.email, &form.password) {
        Ok(email) => email,
        Err(errors) => return login_page(&state, &session, &form.email, false, errors),
    };
    match login::check_password(&state.db, &state.hasher, email, Password::typed(&form.password), origin).await? {
        Some(member) => {
            session.begin_second_factor(member.id);
            let next = if member.has_totp() { "/console/login/code" } else { "/console/enroll" };
            Ok(Redirect::to(next).into_response())
        }
        None => login_page(&state, &session, &form.email, true, FieldErrors::default()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

#[derive(Serialize)]
struct CodePage {
    errors: FieldErrors,
}

fn code_page(state: &AppState, session: &Session, errors: FieldErrors) -> AppResult<Response> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, view::render_form(state, session, "console/code.html", &CodePage { errors })?).into_response())
}

/// A staff member between the password and the second factor; anyone
/// else is sent back to the password step.
pub struct Pending {
    staff_id: i64,
    session: Session,
}

impl FromRequestParts<AppState> for Pending {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        match session.pending_subject() {
            Some(staff_id) => Ok(Pending { staff_id, session }),
            None => Err(AppError::Redirect("/console/login".into())),
        }
    }
}

pub async fn code_form(State(state): State<AppState>, Pending { session, .. }: Pending) -> AppResult<Response> {
    code_page(&state, &session, FieldErrors::default())
}

pub async fn code_submit(
    State(state): State<AppState>,
    Pending { staff_id, session }: Pending,
    Client(origin): Client,
    Form(form): Form<CodeForm>,
) -> AppResult<Response> {
    if login::second_factor(&state.db, &state.config.secret_key, staff_id, form.code, origin).await? {
        session.sign_in(staff_id);
        return Ok(Redirect::to("/console").into_response());
    }
    let mut errors = FieldErrors::default();
    errors.add("code", "That code did not work. Codes change every 30 seconds and each works once.");
    code_page(&state, &session, errors)
}

#[derive(Serialize)]
struct EnrollPage {
    uri: String,
    qr_svg: String,
    errors: FieldErrors,
}

async fn enroll_page(state: &AppState, session: &Session, staff_id: i64, errors: FieldErrors) -> AppResult<Response> {
    let member = state.db.run(move |conn| staff::find(conn, staff_id).map_err(anyhow::Error::from)).await?;
    let Some(member) = member.filter(|m| !m.has_totp()) else {
        return Ok(Redirect::to("/console/login").into_response());
    };
    let enrolment = login::enrolment(&state.db, &state.config.secret_key, &member).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let view = EnrollPage { uri: enrolment.uri, qr_svg: enrolment.qr_svg, errors };
    Ok((status, view::render_form(state, session, "console/enroll.html", &view)?).into_response())
}

pub async fn enroll_form(State(state): State<AppState>, Pending { staff_id, session }: Pending) -> AppResult<Response> {
    enroll_page(&state, &session, staff_id, FieldErrors::default()).await
}

#[derive(Serialize)]
struct RecoveryPage {
    codes: Vec<String>,
}

pub async fn enroll_submit(
    State(state): State<AppState>,
    Pending { staff_id, session }: Pending,
    Client(origin): Client,
    Form(form): Form<CodeForm>,
) -> AppResult<Response> {
    match login::confirm_enrolment(&state.db, &state.config.secret_key, staff_id, form.code, origin).await? {
        Some(codes) => {
            session.sign_in(staff_id);
            Ok(view::render_form(&state, &session, "console/recovery_codes.html", &RecoveryPage { codes })?
                .into_response())
        }
        None => {
            let mut errors = FieldErrors::default();
            errors.add("code", "That code did not work. Check the time on your phone and try the current code.");
            enroll_page(&state, &session, staff_id, errors).await
        }
    }
}

pub async fn logout(State(state): State<AppState>, session: Session, Client(origin): Client) -> AppResult<Response> {
    if let Some(staff_id) = session.subject() {
        state
            .db
            .write(move |conn| {
                crate::audit::record(
                    conn,
                    crate::audit::Event::new(crate::audit::Actor::Staff(staff_id), "staff.logged_out", &origin)
                        .subject("staff", staff_id),
                )
                .map_err(anyhow::Error::from)
            })
            .await?;
    }
    session.sign_out();
    session.flash(FlashLevel::Info, "You have logged out of the console.");
    Ok(Redirect::to("/console/login").into_response())
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Serialize)]
struct InvitePage<'a> {
    token: &'a str,
    name: &'a str,
    valid: bool,
    errors: FieldErrors,
}

fn invite_page(
    state: &AppState,
    session: &Session,
    token: &str,
    name: Option<&str>,
    errors: FieldErrors,
) -> AppResult<Response> {
    let status = match (name, errors.is_empty()) {
        (None, _) => StatusCode::BAD_REQUEST,
        (Some(_), false) => StatusCode::UNPROCESSABLE_ENTITY,
        (Some(_), true) => StatusCode::OK,
    };
    let view = InvitePage { token, name: name.unwrap_or(""), valid: name.is_some(), errors };
    Ok((status, view::render_form(state, session, "console/invite.html", &view)?).into_response())
}

pub async fn invite_form(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<TokenQuery>,
) -> AppResult<Response> {
    let member = admin::invitation_owner(&state.db, query.token.clone()).await?;
    invite_page(&state, &session, &query.token, member.as_ref().map(|m| m.name.as_str()), FieldErrors::default())
}

pub async fn invite_submit(
    State(state): State<AppState>,
    session: Session,
    Client(origin): Client,
    Form(form): Form<LinkPasswordForm>,
) -> AppResult<Response> {
    let Some(member) = admin::invitation_owner(&state.db, form.token.clone()).await? else {
        return invite_page(&state, &session, &form.token, None, FieldErrors::default());
    };
    let password = match form.new_password(Email::parse(&member.email).ok().as_ref()) {
        Ok(password) => password,
        Err(errors) => return invite_page(&state, &session, &form.token, Some(&member.name), errors),
    };
    let hash = state.hasher.hash(&password).await?;
    if !admin::accept_invitation(&state.db, form.token.clone(), member.id, hash, origin).await? {
        return invite_page(&state, &session, &form.token, None, FieldErrors::default());
    }
    session.flash(FlashLevel::Success, "Your password is set. Log in to set up your authentication app.");
    Ok(Redirect::to("/console/login").into_response())
}
