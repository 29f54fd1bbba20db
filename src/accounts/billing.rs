//! Billing details: who invoices go to, and for India the PAN and GSTIN.

use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Actor, Event, Origin};
use crate::db::schema::billing_details;
use crate::db::{self, Db, DbConnection};
use crate::domain::{Country, Gstin, Line, Pan};

/// Valid billing details. For an Indian address `state` is the state's name,
/// `pan` is present and `gstin` optional; elsewhere both are absent.
#[derive(Clone, Debug)]
pub struct Billing {
    pub billing_name: Line,
    pub address_line1: Line,
    pub address_line2: Option<Line>,
    pub city: Line,
    pub state: Line,
    pub postal_code: Line,
    pub country: Country,
    pub pan: Option<Pan>,
    pub gstin: Option<Gstin>,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = billing_details)]
pub struct SavedBilling {
    pub billing_name: String,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
    pub gstin: Option<String>,
    pub pan: Option<String>,
}

pub fn find(conn: &mut DbConnection, customer_id: i64) -> QueryResult<Option<SavedBilling>> {
    billing_details::table.find(customer_id).select(SavedBilling::as_select()).first(conn).optional()
}

/// Saves (or replaces) the customer's billing details.
pub async fn save(db: &Db, customer_id: i64, billing: Billing, origin: Origin) -> anyhow::Result<()> {
    db.write(move |conn| -> anyhow::Result<()> {
        let existed = find(conn, customer_id)?.is_some();
        let values = (
            billing_details::billing_name.eq(billing.billing_name.as_str()),
            billing_details::address_line1.eq(billing.address_line1.as_str()),
            billing_details::address_line2.eq(billing.address_line2.as_ref().map(Line::as_str)),
            billing_details::city.eq(billing.city.as_str()),
            billing_details::state.eq(billing.state.as_str()),
            billing_details::postal_code.eq(billing.postal_code.as_str()),
            billing_details::country.eq(billing.country.code()),
            billing_details::gstin.eq(billing.gstin.as_ref().map(Gstin::as_str)),
            billing_details::pan.eq(billing.pan.as_ref().map(Pan::as_str)),
            billing_details::updated_at.eq(db::now()),
        );
        if existed {
            diesel::update(billing_details::table.find(customer_id)).set(values).execute(conn)?;
        } else {
            diesel::insert_into(billing_details::table)
                .values((billing_details::customer_id.eq(customer_id), values))
                .execute(conn)?;
        }
        audit::record(
            conn,
            Event::new(Actor::Customer(customer_id), "customer.billing_saved", &origin)
                .subject("customer", customer_id)
                .details(json!({
                    "billing_name": billing.billing_name.as_str(),
                    "city": billing.city.as_str(),
                    "state": billing.state.as_str(),
                    "country": billing.country.code(),
                    "pan": billing.pan.as_ref().map(Pan::as_str),
                    "gstin": billing.gstin.as_ref().map(Gstin::as_str),
                })),
        )?;
        Ok(())
    })
    .await
}
