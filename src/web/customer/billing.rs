//! `/settings/billing`: billing name and address, and for India PAN and GSTIN.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::CurrentCustomer;
use crate::accounts::billing::{self, Billing};
use crate::domain::address::{INDIAN_STATES, foreign_postal_code};
use crate::domain::tax::PAN_HOLDER_KINDS;
use crate::domain::{Country, Gstin, IndianState, Line, Pan, PinCode};
use crate::kyc::submissions;
use crate::web::client::Client;
use crate::web::error::AppResult;
use crate::web::forms::FieldErrors;
use crate::web::session::{FlashLevel, Session};
use crate::web::{AppState, view};

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct BillingForm {
    #[serde(default)]
    billing_name: String,
    #[serde(default)]
    address_line1: String,
    #[serde(default)]
    address_line2: String,
    #[serde(default)]
    city: String,
    /// The Indian state's GST code.
    #[serde(default)]
    state: String,
    /// State, province or region outside India.
    #[serde(default)]
    region: String,
    #[serde(default)]
    pin_code: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    gstin: String,
    #[serde(default)]
    pan: String,
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
}

#[derive(Serialize)]
struct BillingPage<'a> {
    form: &'a BillingForm,
    errors: FieldErrors,
    countries: Vec<Choice>,
    states: Vec<Choice>,
    india: bool,
    saved: bool,
}

fn page(
    state: &AppState,
    session: &Session,
    form: &BillingForm,
    errors: FieldErrors,
    saved: bool,
) -> AppResult<Response> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let view = BillingPage {
        form,
        errors,
        countries: Country::all().into_iter().map(|c| Choice { value: c.code(), label: c.name() }).collect(),
        states: INDIAN_STATES.iter().map(|s| Choice { value: s.code, label: s.name }).collect(),
        india: Country::parse(&form.country).is_ok_and(Country::is_india),
        saved,
    };
    Ok((status, view::render_form(state, session, "customer/billing.html", &view)?).into_response())
}

pub async fn form(State(state): State<AppState>, CurrentCustomer(me): CurrentCustomer) -> AppResult<Response> {
    let customer_id = me.customer.id;
    let saved = state.db.run(move |conn| billing::find(conn, customer_id).map_err(anyhow::Error::from)).await?;
    let form = match &saved {
        Some(b) => {
            let india = b.country == Country::INDIA.code();
            let state_code = INDIAN_STATES.iter().find(|s| s.name == b.state).map(|s| s.code.to_string());
            BillingForm {
                billing_name: b.billing_name.clone(),
                address_line1: b.address_line1.clone(),
                address_line2: b.address_line2.clone().unwrap_or_default(),
                city: b.city.clone(),
                state: if india { state_code.unwrap_or_default() } else { String::new() },
                region: if india { String::new() } else { b.state.clone() },
                pin_code: if india { b.postal_code.clone() } else { String::new() },
                postal_code: if india { String::new() } else { b.postal_code.clone() },
                country: b.country.clone(),
                gstin: b.gstin.clone().unwrap_or_default(),
                pan: b.pan.clone().unwrap_or_default(),
            }
        }
        None => BillingForm { country: Country::INDIA.code().into(), ..BillingForm::default() },
    };
    page(&state, &me.session, &form, FieldErrors::default(), saved.is_some())
}

/// The holder kind a PAN letter names, for messages.
fn holder_kind(letter: char) -> &'static str {
    PAN_HOLDER_KINDS.iter().find(|(c, _)| *c == letter).map_or("other holder", |(_, kind)| kind)
}

pub async fn submit(
    State(state): State<AppState>,
    CurrentCustomer(me): CurrentCustomer,
    Client(origin): Client,
    Form(form): Form<BillingForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let billing_name = errors.check("billing_name", Line::parse(&form.billing_name, 200, "Enter the name to bill."));
    let line1 = errors.check("address_line1", Line::parse(&form.address_line1, 200, "Enter the address."));
    let line2 = match form.address_line2.trim() {
        "" => Some(None),
        raw => errors.check("address_line2", Line::parse(raw, 200, "")).map(Some),
    };
    let city = errors.check("city", Line::parse(&form.city, 100, "Enter the city."));
    let country = errors.check("country", Country::parse(&form.country));

    let customer_id = me.customer.id;
    let entity_type = state
        .db
        .run(move |conn| submissions::current(conn, customer_id).map_err(anyhow::Error::from))
        .await?
        .and_then(|s| state.entity_types.get(&s.entity_type).cloned());

    let (region, postal_code, pan, gstin) = match country {
        Some(country) if country.is_india() => {
            let indian_state = errors.check("state", IndianState::parse(&form.state));
            let pin = errors.check("pin_code", PinCode::parse(&form.pin_code));
            let pan = errors.check("pan", Pan::parse(&form.pan));
            if let (Some(pan), Some(entity_type)) = (&pan, &entity_type)
                && !entity_type.fits_pan(pan)
            {
                errors.add(
                    "pan",
                    format!(
                        "This PAN belongs to a {}, but your KYC entity type is {}.",
                        holder_kind(pan.holder_kind()),
                        entity_type.label
                    ),
                );
            }
            let gstin = match form.gstin.trim() {
                "" => Some(None),
                raw => errors.check("gstin", Gstin::parse(raw, pan.as_ref(), indian_state)).map(Some),
            };
            let region = indian_state.map(|s| Line::parse(s.name, 100, "").expect("state names are valid lines"));
            (
                region,
                pin.map(|p| Line::parse(p.as_str(), 6, "").expect("PIN codes are valid lines")),
                pan.map(Some),
                gstin,
            )
        }
        Some(_) => {
            let region = errors.check("region", Line::parse(&form.region, 100, "Enter the state, province or region."));
            let postal = errors.check("postal_code", foreign_postal_code(&form.postal_code));
            (region, postal, Some(None), Some(None))
        }
        None => (None, None, None, None),
    };

    let parsed = (|| {
        Some(Billing {
            billing_name: billing_name?,
            address_line1: line1?,
            address_line2: line2?,
            city: city?,
            state: region?,
            postal_code: postal_code?,
            country: country?,
            pan: pan?,
            gstin: gstin?,
        })
    })();
    let Some(billing) = parsed.filter(|_| errors.is_empty()) else {
        return page(&state, &me.session, &form, errors, false);
    };
    billing::save(&state.db, me.customer.id, billing, origin).await?;
    me.session.flash(FlashLevel::Success, "Your billing details were updated.");
    Ok(Redirect::to("/settings/billing").into_response())
}
