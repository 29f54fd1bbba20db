//! `/account/details`: who the customer is, with a phone confirmed by SMS.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::SignedIn;
use crate::accounts::details::{self, CodeSent, Details, SaveOutcome};
use crate::domain::{AccountType, CompanyName, PersonName, Phone, PhoneType, Sector};
use crate::web::client::Client;
use crate::web::error::AppResult;
use crate::web::forms::FieldErrors;
use crate::web::session::{FlashLevel, Session};
use crate::web::{AppState, view};

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct DetailsForm {
    #[serde(default)]
    account_type: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    company_name: String,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    phone_type: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    otp: String,
    /// Which button was pressed: `send_otp` or `create`.
    #[serde(default, skip_serializing)]
    action: String,
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
}

#[derive(Serialize)]
struct DetailsPage<'a> {
    form: &'a DetailsForm,
    errors: FieldErrors,
    /// Set after a code was sent: where it went.
    code_sent_to: Option<String>,
    account_types: Vec<Choice>,
    sectors: Vec<Choice>,
    phone_types: Vec<Choice>,
}

fn page(
    state: &AppState,
    session: &Session,
    form: &DetailsForm,
    errors: FieldErrors,
    code_sent_to: Option<String>,
) -> AppResult<Response> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let view = DetailsPage {
        form,
        errors,
        code_sent_to,
        account_types: AccountType::ALL.iter().map(|t| Choice { value: t.as_str(), label: t.label() }).collect(),
        sectors: Sector::ALL.iter().map(|s| Choice { value: s.as_str(), label: s.label() }).collect(),
        phone_types: PhoneType::ALL.iter().map(|t| Choice { value: t.as_str(), label: t.label() }).collect(),
    };
    Ok((status, view::render_form(state, session, "customer/details.html", &view)?).into_response())
}

pub async fn form(State(state): State<AppState>, SignedIn { customer, session }: SignedIn) -> AppResult<Response> {
    let phone = customer.phone();
    let form = DetailsForm {
        account_type: customer.account_type().map_or("", AccountType::as_str).to_string(),
        first_name: customer.first_name.clone().unwrap_or_default(),
        last_name: customer.last_name.clone().unwrap_or_default(),
        company_name: customer.company_name.clone().unwrap_or_default(),
        sector: customer.sector().map_or("", Sector::as_str).to_string(),
        phone_type: phone.as_ref().map_or("mobile", |p| p.kind().as_str()).to_string(),
        phone: phone.as_ref().map(|p| p.e164().to_string()).unwrap_or_default(),
        ..DetailsForm::default()
    };
    page(&state, &session, &form, FieldErrors::default(), None)
}

fn parse_phone(form: &DetailsForm, errors: &mut FieldErrors) -> Option<Phone> {
    let kind = errors.check("phone_type", PhoneType::parse(&form.phone_type))?;
    errors.check("phone", Phone::parse(&form.phone, kind))
}

fn parse_details(form: &DetailsForm, errors: &mut FieldErrors) -> Option<Details> {
    let account_type = errors.check("account_type", AccountType::parse(&form.account_type));
    let first_name = errors.check("first_name", PersonName::parse(&form.first_name));
    let last_name = errors.check("last_name", PersonName::parse(&form.last_name));
    let company_name = match account_type {
        Some(AccountType::Company) => errors.check("company_name", CompanyName::parse(&form.company_name)).map(Some),
        _ => Some(None),
    };
    let sector = errors.check("sector", Sector::parse(&form.sector));
    let phone = parse_phone(form, errors);
    Some(Details {
        account_type: account_type?,
        first_name: first_name?,
        last_name: last_name?,
        company_name: company_name?,
        sector: sector?,
        phone: phone?,
    })
}

pub async fn submit(
    State(state): State<AppState>,
    SignedIn { customer, session }: SignedIn,
    Client(origin): Client,
    Form(form): Form<DetailsForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    if form.action == "send_otp" {
        let Some(phone) = parse_phone(&form, &mut errors) else {
            return page(&state, &session, &form, errors, None);
        };
        let shown = phone.e164().to_string();
        let key = &state.config.secret_key;
        return match details::send_code(&state.db, state.sms.as_ref(), key, customer.id, phone, origin).await {
            Ok(CodeSent::Sent) => page(&state, &session, &form, errors, Some(shown)),
            Ok(CodeSent::TooSoon) => {
                errors.add("otp", "A code was sent moments ago. Wait 30 seconds before asking for another.");
                page(&state, &session, &form, errors, None)
            }
            Ok(CodeSent::TooMany) => {
                errors.add("otp", "You have asked for too many codes. Try again in an hour.");
                page(&state, &session, &form, errors, None)
            }
            Err(e) => {
                tracing::error!(error = ?e, "sending a one-time code failed");
                errors.add("otp", "We could not send the SMS. Please try again in a moment.");
                page(&state, &session, &form, errors, None)
            }
        };
    }
    let details = parse_details(&form, &mut errors);
    if form.otp.trim().is_empty() {
        errors.add("otp", "Enter the 6-digit code we sent to your phone (use Send OTP first).");
    }
    let Some(details) = details.filter(|_| errors.is_empty()) else {
        return page(&state, &session, &form, errors, None);
    };
    match details::save(&state.db, &state.config.secret_key, customer.id, details, form.otp.clone(), origin).await? {
        SaveOutcome::Saved => {
            session.flash(FlashLevel::Success, "Your details are saved and your phone number is verified.");
            Ok(Redirect::to("/dashboard").into_response())
        }
        SaveOutcome::NoCode => {
            errors.add(
                "otp",
                "There is no live code for this number. Use Send OTP to get one (codes work for 10 minutes).",
            );
            page(&state, &session, &form, errors, None)
        }
        SaveOutcome::WrongCode { attempts_left } => {
            errors.add("otp", format!("That code is not right. {attempts_left} attempts left."));
            page(&state, &session, &form, errors, None)
        }
        SaveOutcome::TooManyWrongCodes => {
            errors.add("otp", "Too many wrong codes. Use Send OTP to get a new one.");
            page(&state, &session, &form, errors, None)
        }
    }
}
