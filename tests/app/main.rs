//! Black-box tests: the real app on a spawned server, on SQLite and (with
//! KYCDESK_TEST_POSTGRES_URL) PostgreSQL, with a real SMTP listener.

#[path = "../common/mod.rs"]
mod common;

mod audit;
mod billing;
mod browser;
mod cli;
mod console;
mod customers;
mod jobs;
mod kyc;
mod onboarding;
mod ops;
mod outbox;
mod reminders;
mod review;
mod sessions;
