//! `/console/staff`: admins list, invite, re-role, disable and reset staff.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

use super::Staff;
use crate::authz::ManageStaff;
use crate::domain::{Email, PersonName};
use crate::staff::admin::{self, AdminError, NewStaff};
use crate::staff::{self, Role};
use crate::web::AppState;
use crate::web::client::Client;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::FieldErrors;
use crate::web::session::FlashLevel;
use crate::web::view::{self, Console};

/// A form's fields as sent, so repeated `roles` checkboxes all arrive.
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

fn roles(fields: &Fields) -> Vec<Role> {
    let mut roles: Vec<Role> =
        fields.iter().filter(|(k, _)| k == "roles").filter_map(|(_, v)| Role::parse(v)).collect();
    roles.sort();
    roles.dedup();
    roles
}

#[derive(Serialize)]
struct RoleChoice {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

fn role_choices(held: &[Role]) -> Vec<RoleChoice> {
    Role::ALL.iter().map(|r| RoleChoice { value: r.as_str(), label: r.label(), checked: held.contains(r) }).collect()
}

#[derive(Serialize)]
struct MemberView {
    id: i64,
    name: String,
    email: String,
    roles: Vec<RoleChoice>,
    role_labels: Vec<&'static str>,
    last_login: String,
    totp: bool,
    active: bool,
    is_me: bool,
}

#[derive(Serialize)]
struct TeamPage {
    members: Vec<MemberView>,
    new_email: String,
    new_name: String,
    new_roles: Vec<RoleChoice>,
    errors: FieldErrors,
}

async fn page(
    state: &AppState,
    me: &Staff<ManageStaff>,
    new: Option<&Fields>,
    errors: FieldErrors,
) -> AppResult<Response> {
    let members = state.db.run(|conn| staff::all_with_roles(conn).map_err(anyhow::Error::from)).await?;
    let view = TeamPage {
        members: members
            .into_iter()
            .map(|(m, roles)| MemberView {
                id: m.id,
                is_me: m.id == me.member.id,
                role_labels: roles.iter().map(|r| r.label()).collect(),
                roles: role_choices(&roles),
                last_login: m.last_login_at.map_or_else(|| "never".into(), view::timestamp),
                totp: m.has_totp(),
                active: m.is_active(),
                name: m.name,
                email: m.email,
            })
            .collect(),
        new_email: new.map_or("", |f| field(f, "email")).to_string(),
        new_name: new.map_or("", |f| field(f, "name")).to_string(),
        new_roles: role_choices(&new.map(roles).unwrap_or_default()),
        errors,
    };
    let status = if view.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let console = Console { name: &me.member.name, nav: &me.nav };
    Ok((status, view::render_console(state, &me.session, &console, "console/staff.html", &view)?).into_response())
}

pub async fn list(State(state): State<AppState>, me: Staff<ManageStaff>) -> AppResult<Response> {
    page(&state, &me, None, FieldErrors::default()).await
}

/// An admin refusal the page explains; anything else is internal.
async fn refuse(
    state: &AppState,
    me: &Staff<ManageStaff>,
    new: Option<&Fields>,
    field: &'static str,
    error: AdminError,
) -> AppResult<Response> {
    match error {
        AdminError::Internal(e) => Err(AppError::Internal(e)),
        AdminError::NotFound => Err(AppError::NotFound),
        other => {
            let mut errors = FieldErrors::default();
            errors.add(field, other.to_string());
            page(state, me, new, errors).await
        }
    }
}

pub async fn add(
    State(state): State<AppState>,
    me: Staff<ManageStaff>,
    Client(origin): Client,
    Form(fields): Form<Fields>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(field(&fields, "email")));
    let name = errors.check("name", PersonName::parse(field(&fields, "name")));
    let chosen = roles(&fields);
    if chosen.is_empty() {
        errors.add("roles", "Choose at least one role.");
    }
    let (Some(email), Some(name), true) = (email, name, errors.is_empty()) else {
        return page(&state, &me, Some(&fields), errors).await;
    };
    let new = NewStaff { email: email.clone(), name, roles: chosen };
    match admin::invite(&state.db, &state.mailer, &state.config, me.member.id, new, origin).await {
        Ok(_) => {
            me.session.flash(FlashLevel::Success, format!("Invitation sent to {email}. The link works for 48 hours."));
            Ok(Redirect::to("/console/staff").into_response())
        }
        Err(e) => refuse(&state, &me, Some(&fields), "email", e).await,
    }
}

pub async fn change_roles(
    State(state): State<AppState>,
    me: Staff<ManageStaff>,
    Client(origin): Client,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> AppResult<Response> {
    match admin::change_roles(&state.db, me.member.id, id, roles(&fields), origin).await {
        Ok(()) => {
            me.session.flash(FlashLevel::Success, "Roles updated. The member's open sessions were ended.");
            Ok(Redirect::to("/console/staff").into_response())
        }
        Err(e) => refuse(&state, &me, None, "members", e).await,
    }
}

async fn set_active(
    state: AppState,
    me: Staff<ManageStaff>,
    origin: crate::audit::Origin,
    id: i64,
    active: bool,
) -> AppResult<Response> {
    match admin::set_active(&state.db, Some(me.member.id), id, active, origin).await {
        Ok(()) => {
            let done = if active { "Staff member enabled." } else { "Staff member disabled and signed out." };
            me.session.flash(FlashLevel::Success, done);
            Ok(Redirect::to("/console/staff").into_response())
        }
        Err(e) => refuse(&state, &me, None, "members", e).await,
    }
}

pub async fn disable(
    State(state): State<AppState>,
    me: Staff<ManageStaff>,
    Client(origin): Client,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    set_active(state, me, origin, id, false).await
}

pub async fn enable(
    State(state): State<AppState>,
    me: Staff<ManageStaff>,
    Client(origin): Client,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    set_active(state, me, origin, id, true).await
}

pub async fn reset_totp(
    State(state): State<AppState>,
    me: Staff<ManageStaff>,
    Client(origin): Client,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    match admin::reset_totp(&state.db, me.member.id, id, origin).await {
        Ok(()) => {
            me.session
                .flash(FlashLevel::Success, "Authentication app reset. The member sets it up again at next login.");
            Ok(Redirect::to("/console/staff").into_response())
        }
        Err(e) => refuse(&state, &me, None, "members", e).await,
    }
}
