//! `/console/customers`: support agents look a customer up and see what
//! happened to them (their KYC, every email with its delivery state, their
//! support requests, the audit trail), and send the verification or approval
//! email again when the first never arrived.

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::Staff;
use super::audit::{RowView, row_view};
use crate::accounts::recovery::{self, StaffResend};
use crate::accounts::{self, support};
use crate::audit::query;
use crate::authz::{ReadCustomers, ReadKyc, ResendEmail};
use crate::kyc::KycStatus;
use crate::kyc::review::{self, ReviewError};
use crate::kyc::submissions;
use crate::mail::outbox;
use crate::web::AppState;
use crate::web::client::Client;
use crate::web::error::{AppError, AppResult};
use crate::web::session::FlashLevel;
use crate::web::view::{self, Console};

/// How many customers a search lists, and rows each part of a profile shows.
const LIMIT: i64 = 100;

#[derive(Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
}

#[derive(Serialize)]
struct CustomerRow {
    id: i64,
    name: String,
    email: String,
    joined: String,
    verified: bool,
    kyc: &'static str,
}

#[derive(Serialize)]
struct ListPage {
    q: String,
    customers: Vec<CustomerRow>,
    truncated: bool,
}

fn kyc_label(status: Option<KycStatus>) -> &'static str {
    status.map_or("Not started", KycStatus::label)
}

pub async fn list(
    State(state): State<AppState>,
    me: Staff<ReadCustomers>,
    Query(search): Query<Search>,
) -> AppResult<Html<String>> {
    let needle = search.q.trim().to_string();
    let (found, statuses) = state
        .db
        .run(move |conn| -> anyhow::Result<_> {
            let found = accounts::search(conn, &needle, LIMIT)?;
            let ids: Vec<i64> = found.iter().map(|c| c.id).collect();
            Ok((found, submissions::latest_statuses(conn, &ids)?))
        })
        .await?;
    let page = ListPage {
        truncated: found.len() as i64 == LIMIT,
        customers: found
            .into_iter()
            .map(|c| CustomerRow {
                kyc: kyc_label(statuses.get(&c.id).copied()),
                name: c.full_name(),
                joined: view::date(c.created_at),
                verified: c.is_verified(),
                email: c.email,
                id: c.id,
            })
            .collect(),
        q: search.q,
    };
    let console = Console { name: &me.member.name, nav: &me.nav };
    view::render_console(&state, &me.session, &console, "console/customers.html", &page)
}

#[derive(Serialize)]
struct SubmissionRow {
    id: i64,
    entity_type: String,
    status: &'static str,
    status_label: &'static str,
    submitted: String,
}

#[derive(Serialize)]
struct EmailRow {
    queued: String,
    subject: String,
    template: String,
    state: String,
    attempts: i32,
    last_error: Option<String>,
    sent: Option<String>,
}

#[derive(Serialize)]
struct RequestRow {
    id: i64,
    received: String,
    message: String,
    open: bool,
}

#[derive(Serialize)]
struct ProfilePage {
    id: i64,
    name: String,
    email: String,
    account_type: String,
    company: Option<String>,
    sector: String,
    phone: String,
    verified: Option<String>,
    details_saved: bool,
    joined: String,
    locked_until: Option<String>,
    kyc: &'static str,
    submissions: Vec<SubmissionRow>,
    emails: Vec<EmailRow>,
    requests: Vec<RequestRow>,
    timeline: Vec<RowView>,
    can_resend: bool,
    can_open_kyc: bool,
}

pub async fn show(State(state): State<AppState>, me: Staff<ReadCustomers>, Path(id): Path<i64>) -> AppResult<Response> {
    let profile = state
        .db
        .run(move |conn| -> anyhow::Result<_> {
            let Some(customer) = accounts::find(conn, id)? else { return Ok(None) };
            let kyc = submissions::all_of(conn, id)?;
            let ids: Vec<i64> = kyc.iter().map(|s| s.id).collect();
            let emails = outbox::to_recipient(conn, &customer.email, LIMIT)?;
            let requests = support::from_customer(conn, id, &customer.email)?;
            let timeline = query::about_customer(conn, id, &ids, LIMIT)?;
            Ok(Some((customer, kyc, emails, requests, timeline)))
        })
        .await?;
    let (customer, kyc, emails, requests, timeline) = profile.ok_or(AppError::NotFound)?;
    let page = ProfilePage {
        id: customer.id,
        name: customer.full_name(),
        account_type: customer.account_type().map_or("", |t| t.label()).to_string(),
        company: customer.company_name.clone(),
        sector: customer.sector().map_or("", |s| s.label()).to_string(),
        phone: customer.phone.clone().unwrap_or_default(),
        verified: customer.email_verified_at.map(view::timestamp),
        details_saved: customer.has_details(),
        joined: view::timestamp(customer.created_at),
        locked_until: customer.locked_until.filter(|t| *t > crate::db::now()).map(view::timestamp),
        kyc: kyc_label(kyc.first().map(|s| s.status())),
        submissions: kyc
            .iter()
            .map(|s| SubmissionRow {
                id: s.id,
                entity_type: state
                    .entity_types
                    .get(&s.entity_type)
                    .map_or_else(|| s.entity_type.clone(), |t| t.label.clone()),
                status: s.status().as_str(),
                status_label: s.status().label(),
                submitted: s.submitted_at.map(view::timestamp).unwrap_or_default(),
            })
            .collect(),
        emails: emails
            .into_iter()
            .map(|e| EmailRow {
                queued: view::timestamp(e.created_at),
                subject: e.subject,
                template: e.template,
                state: e.state,
                attempts: e.attempts,
                last_error: e.last_error,
                sent: e.sent_at.map(view::timestamp),
            })
            .collect(),
        requests: requests
            .into_iter()
            .map(|r| RequestRow {
                id: r.id,
                received: view::timestamp(r.created_at),
                open: r.is_open(),
                message: r.message,
            })
            .collect(),
        timeline: timeline.into_iter().map(row_view).collect(),
        can_resend: me.may::<ResendEmail>(&state),
        can_open_kyc: me.may::<ReadKyc>(&state),
        email: customer.email,
    };
    let console = Console { name: &me.member.name, nav: &me.nav };
    Ok(view::render_console(&state, &me.session, &console, "console/customer.html", &page)?.into_response())
}

fn to_profile(id: i64) -> Response {
    Redirect::to(&format!("/console/customers/{id}")).into_response()
}

pub async fn resend_verification(
    State(state): State<AppState>,
    me: Staff<ResendEmail>,
    Client(origin): Client,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let outcome =
        recovery::staff_resend_verification(&state.db, &state.mailer, &state.config, me.member.id, id, origin).await?;
    let (level, message) = match outcome.ok_or(AppError::NotFound)? {
        StaffResend::Sent => {
            (FlashLevel::Success, "A new verification link is on its way; older links no longer work.")
        }
        StaffResend::AlreadyVerified => (FlashLevel::Info, "This customer's email is already verified."),
        StaffResend::RateLimited => (
            FlashLevel::Error,
            "A link was sent less than a minute ago, or five in the last hour. Ask the customer to check their spam folder, then try again later.",
        ),
    };
    me.session.flash(level, message);
    Ok(to_profile(id))
}

pub async fn resend_approval(
    State(state): State<AppState>,
    me: Staff<ResendEmail>,
    Client(origin): Client,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    match review::resend_approval(&state.db, &state.mailer, &state.config, me.member.id, id, origin).await {
        Ok(true) => me.session.flash(FlashLevel::Success, "The approval email is on its way again."),
        Ok(false) => me
            .session
            .flash(FlashLevel::Error, "This customer's KYC is not approved, so there is no approval to resend."),
        Err(ReviewError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(AppError::Internal(anyhow::anyhow!(e))),
    }
    Ok(to_profile(id))
}
