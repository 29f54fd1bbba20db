//! `/dashboard`: the products, locked until KYC is approved.

use axum::extract::State;
use axum::response::Html;
use serde::Serialize;

use super::CurrentCustomer;
use crate::accounts::billing;
use crate::kyc::KycStatus;
use crate::kyc::submissions;
use crate::web::error::AppResult;
use crate::web::{AppState, view};

/// The products an approved account can use.
const PRODUCTS: [(&str, &str); 7] = [
    ("Inbound IVR", "Answer and route incoming calls with menus."),
    ("Outbound Multicast", "Reach many numbers with one recorded message."),
    ("Outbound Dialer", "Run calling campaigns for your agents."),
    ("Emergency Notification", "Alert people fast over calls, SMS and email."),
    ("Click to Call", "Let visitors call you from your website."),
    ("SMS", "Send and receive text messages."),
    ("Email", "Send transactional and bulk email."),
];

#[derive(Serialize)]
struct Product {
    name: &'static str,
    summary: &'static str,
}

#[derive(Serialize)]
struct Step {
    label: &'static str,
    done: bool,
    link: &'static str,
}

#[derive(Serialize)]
struct DashboardPage<'a> {
    name: &'a str,
    unlocked: bool,
    products: Vec<Product>,
    steps: Vec<Step>,
}

pub async fn show(
    State(state): State<AppState>,
    CurrentCustomer(signed_in): CurrentCustomer,
) -> AppResult<Html<String>> {
    let customer = &signed_in.customer;
    let customer_id = customer.id;
    let (kyc_status, has_billing) = state
        .db
        .run(move |conn| -> anyhow::Result<_> {
            let status = submissions::current(conn, customer_id)?.map(|s| s.status());
            Ok((status, billing::find(conn, customer_id)?.is_some()))
        })
        .await?;
    let approved = kyc_status == Some(KycStatus::Approved);
    let view = DashboardPage {
        name: customer.display_name(),
        unlocked: approved,
        products: PRODUCTS.iter().map(|(name, summary)| Product { name, summary }).collect(),
        steps: vec![
            Step { label: "Email verified", done: customer.is_verified(), link: "/resend-verification" },
            Step { label: "Account details", done: customer.has_details(), link: "/account/details" },
            Step { label: "KYC approved", done: approved, link: "/settings/kyc" },
            Step { label: "Billing details", done: has_billing, link: "/settings/billing" },
        ],
    };
    view::render_form(&state, &signed_in.session, "customer/dashboard.html", &view)
}
