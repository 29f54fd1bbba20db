//! Account details, saved only with a valid one-time code sent by SMS to
//! the phone number being saved.

use std::time::Duration;

use diesel::prelude::*;
use serde_json::json;

use super::SendLimit;
use crate::audit::{self, Actor, Event, Origin};
use crate::config::SecretKey;
use crate::db::schema::{customers, phone_otps};
use crate::db::{self, Db};
use crate::domain::{AccountType, CompanyName, PersonName, Phone, Sector};
use crate::sms::SmsSender;

pub const CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Wrong codes that end a challenge.
pub const MAX_WRONG_CODES: i32 = 5;
/// Codes a customer may have sent: one per 30 seconds, five an hour.
pub const CODE_LIMIT: SendLimit = SendLimit { cooldown: Duration::from_secs(30), per_hour: 5 };

#[derive(Clone, Debug)]
pub struct Details {
    pub account_type: AccountType,
    pub first_name: PersonName,
    pub last_name: PersonName,
    /// Present exactly when the account type is Company.
    pub company_name: Option<CompanyName>,
    pub sector: Sector,
    pub phone: Phone,
}

#[derive(Debug, PartialEq, Eq)]
pub enum CodeSent {
    Sent,
    TooSoon,
    TooMany,
}

#[derive(Debug, PartialEq, Eq)]
pub enum SaveOutcome {
    Saved,
    /// No live code for this number: none sent, expired, used, or sent to
    /// another number.
    NoCode,
    WrongCode {
        attempts_left: i32,
    },
    TooManyWrongCodes,
}

/// Six-digit codes are few; keyed with the server secret, a leaked table
/// cannot be brute-forced offline.
fn code_hash(key: &SecretKey, customer_id: i64, phone: &str, code: &str) -> String {
    crate::tokens::keyed_hash(key, &format!("{customer_id}:{phone}:{code}"))
}

/// Sends a fresh code to `phone`, within the send limit.
pub async fn send_code(
    db: &Db,
    sms: &dyn SmsSender,
    key: &SecretKey,
    customer_id: i64,
    phone: Phone,
    origin: Origin,
) -> anyhow::Result<CodeSent> {
    let code = format!("{:06}", rand::random_range(0..1_000_000u32));
    let hash = code_hash(key, customer_id, phone.e164(), &code);
    let e164 = phone.e164().to_string();
    let sent = db
        .write(move |conn| -> anyhow::Result<Option<i64>> {
            let now = db::now();
            let recent: Vec<time::PrimitiveDateTime> = phone_otps::table
                .filter(phone_otps::customer_id.eq(customer_id))
                .filter(phone_otps::created_at.gt(now - Duration::from_secs(3600)))
                .order(phone_otps::created_at.desc())
                .select(phone_otps::created_at)
                .load(conn)?;
            if !CODE_LIMIT.allows(&recent, now) {
                return Ok(None);
            }
            let id = diesel::insert_into(phone_otps::table)
                .values((
                    phone_otps::customer_id.eq(customer_id),
                    phone_otps::phone.eq(&e164),
                    phone_otps::code_hash.eq(&hash),
                    phone_otps::created_at.eq(now),
                    phone_otps::expires_at.eq(now + CODE_LIFETIME),
                ))
                .returning(phone_otps::id)
                .get_result(conn)?;
            audit::record(
                conn,
                Event::new(Actor::Customer(customer_id), "customer.otp_sent", &origin)
                    .subject("customer", customer_id)
                    .details(json!({ "phone": e164 })),
            )?;
            Ok(Some(id))
        })
        .await?;
    let Some(id) = sent else {
        let recent_too_soon = db
            .run(move |conn| -> anyhow::Result<bool> {
                let last: Option<time::PrimitiveDateTime> = phone_otps::table
                    .filter(phone_otps::customer_id.eq(customer_id))
                    .order(phone_otps::created_at.desc())
                    .select(phone_otps::created_at)
                    .first(conn)
                    .optional()?;
                Ok(last.is_some_and(|at| db::now() - at < CODE_LIMIT.cooldown))
            })
            .await?;
        return Ok(if recent_too_soon { CodeSent::TooSoon } else { CodeSent::TooMany });
    };
    let text = format!("Your kycdesk verification code is {code}. It expires in 10 minutes. Never share it.");
    if let Err(e) = sms.send(&phone, &text).await {
        // Nobody can receive this code: drop it so the limit is not spent on it.
        db.run(move |conn| diesel::delete(phone_otps::table.find(id)).execute(conn).map_err(anyhow::Error::from))
            .await?;
        return Err(e.context("sending the SMS failed"));
    }
    Ok(CodeSent::Sent)
}

/// Saves `details` if `code` is the live code sent to `details.phone`. A
/// wrong code is counted (and committed) before the answer goes back.
pub async fn save(
    db: &Db,
    key: &SecretKey,
    customer_id: i64,
    details: Details,
    code: String,
    origin: Origin,
) -> anyhow::Result<SaveOutcome> {
    let key = key.clone();
    db.write(move |conn| -> anyhow::Result<SaveOutcome> {
        let now = db::now();
        let live: Option<(i64, String, String, i32)> = phone_otps::table
            .filter(phone_otps::customer_id.eq(customer_id))
            .filter(phone_otps::consumed_at.is_null())
            .filter(phone_otps::expires_at.gt(now))
            .order(phone_otps::created_at.desc())
            .select((phone_otps::id, phone_otps::phone, phone_otps::code_hash, phone_otps::failed_attempts))
            .first(conn)
            .optional()?;
        let Some((otp_id, phone, expected, failed)) = live else { return Ok(SaveOutcome::NoCode) };
        if phone != details.phone.e164() {
            return Ok(SaveOutcome::NoCode);
        }
        if failed >= MAX_WRONG_CODES {
            return Ok(SaveOutcome::TooManyWrongCodes);
        }
        let presented = code_hash(&key, customer_id, &phone, code.trim());
        let matches: bool = subtle::ConstantTimeEq::ct_eq(presented.as_bytes(), expected.as_bytes()).into();
        let event = |action: &'static str, details: serde_json::Value| {
            Event::new(Actor::Customer(customer_id), action, &origin).subject("customer", customer_id).details(details)
        };
        if !matches {
            diesel::update(phone_otps::table.find(otp_id))
                .set(phone_otps::failed_attempts.eq(failed + 1))
                .execute(conn)?;
            audit::record(
                conn,
                event("customer.otp_failed", json!({ "phone": phone, "failed_attempts": failed + 1 })),
            )?;
            let attempts_left = MAX_WRONG_CODES - failed - 1;
            return Ok(if attempts_left > 0 {
                SaveOutcome::WrongCode { attempts_left }
            } else {
                SaveOutcome::TooManyWrongCodes
            });
        }
        diesel::update(phone_otps::table.find(otp_id)).set(phone_otps::consumed_at.eq(now)).execute(conn)?;
        diesel::update(customers::table.find(customer_id))
            .set((
                customers::account_type.eq(details.account_type.as_str()),
                customers::first_name.eq(details.first_name.as_str()),
                customers::last_name.eq(details.last_name.as_str()),
                customers::company_name.eq(details.company_name.as_ref().map(CompanyName::as_str)),
                customers::sector.eq(details.sector.as_str()),
                customers::phone_type.eq(details.phone.kind().as_str()),
                customers::phone.eq(details.phone.e164()),
                customers::phone_verified_at.eq(now),
                customers::details_saved_at.eq(now),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            event(
                "customer.details_saved",
                json!({
                    "account_type": details.account_type.as_str(),
                    "first_name": details.first_name.as_str(),
                    "last_name": details.last_name.as_str(),
                    "company_name": details.company_name.as_ref().map(CompanyName::as_str),
                    "sector": details.sector.as_str(),
                    "phone": details.phone.e164(),
                }),
            ),
        )?;
        Ok(SaveOutcome::Saved)
    })
    .await
}
