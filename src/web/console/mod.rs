//! The staff console. Every route's handler takes `Staff<Permission>`, so
//! none can be added without naming what it needs.

mod audit;
mod auth;
mod customers;
mod jobs;
mod login;
mod outbox;
mod overview;
mod review;
mod support;
mod team;

use axum::Router;
use axum::routing::{get, post};

use super::AppState;

pub use auth::{ConsoleNav, Staff};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/login", get(login::form).post(login::submit))
        .route("/console/login/code", get(login::code_form).post(login::code_submit))
        .route("/console/enroll", get(login::enroll_form).post(login::enroll_submit))
        .route("/console/logout", post(login::logout))
        .route("/console/invite", get(login::invite_form).post(login::invite_submit))
        .route("/console", get(overview::show))
        .route("/console/kyc", get(review::queue))
        .route("/console/kyc/{id}", get(review::show))
        .route("/console/kyc/{id}/claim", post(review::claim))
        .route("/console/kyc/{id}/release", post(review::release))
        .route("/console/kyc/{id}/approve", post(review::approve))
        .route("/console/kyc/{id}/reject", post(review::reject))
        .route("/console/kyc/{id}/request-changes", post(review::request_changes))
        .route("/console/kyc/{id}/documents/{doc}", get(review::document))
        .route("/console/customers", get(customers::list))
        .route("/console/customers/{id}", get(customers::show))
        .route("/console/customers/{id}/resend-verification", post(customers::resend_verification))
        .route("/console/customers/{id}/resend-approval", post(customers::resend_approval))
        .route("/console/support", get(support::inbox))
        .route("/console/support/{id}/close", post(support::close))
        .route("/console/audit", get(audit::list))
        .route("/console/audit/export.csv", get(audit::export))
        .route("/console/audit/verify", post(audit::verify))
        .route("/console/outbox", get(outbox::show))
        .route("/console/jobs", get(jobs::show))
        .route("/console/jobs/{name}/run", post(jobs::run_now))
        .route("/console/staff", get(team::list).post(team::add))
        .route("/console/staff/{id}/roles", post(team::change_roles))
        .route("/console/staff/{id}/disable", post(team::disable))
        .route("/console/staff/{id}/enable", post(team::enable))
        .route("/console/staff/{id}/reset-totp", post(team::reset_totp))
}
