//! The customer side: sign-up, verification, sign-in, recovery, details,
//! dashboard and support.

mod auth;
mod billing;
mod dashboard;
mod details;
mod kyc;
mod login;
mod recovery;
mod reminders;
mod signup;
mod support;

use axum::Router;
use axum::routing::{get, post};

use super::AppState;

pub use auth::{CurrentCustomer, SignedIn};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signup", get(signup::form).post(signup::submit))
        .route("/signup/check-email", get(signup::check_email))
        .route("/verify-email", get(recovery::verify_email))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/resend-verification", get(recovery::resend_form).post(recovery::resend_submit))
        .route("/forgot-password", get(recovery::forgot_form).post(recovery::forgot_submit))
        .route("/reset-password", get(recovery::reset_form).post(recovery::reset_submit))
        .route("/account/details", get(details::form).post(details::submit))
        .route("/dashboard", get(dashboard::show))
        .route("/support", get(support::form).post(support::submit))
        .route("/reminders/stop", get(reminders::ask).post(reminders::confirm))
        .route("/settings", get(kyc::settings))
        .route("/settings/kyc", get(kyc::show))
        .route("/settings/kyc/entity-type", post(kyc::choose))
        .route("/settings/kyc/submit", post(kyc::submit))
        .route("/settings/kyc/documents/{id}", get(kyc::document))
        .route("/settings/kyc/documents/{id}/remove", post(kyc::remove))
        .route("/settings/billing", get(billing::form).post(billing::submit))
}

/// Document uploads: streamed, so they get their own body limit.
pub fn upload_routes() -> Router<AppState> {
    Router::new().route("/settings/kyc/upload/{doc_key}", post(kyc::upload))
}
