//! Customers: accounts, email links, sign-in, recovery, details and support.

pub mod billing;
pub mod details;
pub mod email_tokens;
pub mod hashing;
pub mod login;
pub mod recovery;
pub mod signup;
pub mod support;

use std::time::Duration;

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::DbConnection;
use crate::db::schema::customers;
use crate::domain::{AccountType, Email, Phone, PhoneType, Sector};
use crate::mail::Recipient;

/// The version of /terms a customer agrees to at sign-up.
pub const TERMS_VERSION: &str = "2026-12-01";

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = customers)]
pub struct Customer {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub email_verified_at: Option<PrimitiveDateTime>,
    pub account_type: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
    pub sector: Option<String>,
    pub phone_type: Option<String>,
    pub phone: Option<String>,
    pub details_saved_at: Option<PrimitiveDateTime>,
    pub locked_until: Option<PrimitiveDateTime>,
    pub lockouts: i32,
    pub last_lockout_at: Option<PrimitiveDateTime>,
    pub created_at: PrimitiveDateTime,
}

impl Customer {
    pub fn is_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }

    pub fn lock_state(&self) -> crate::lockout::LockState {
        crate::lockout::LockState {
            locked_until: self.locked_until,
            lockouts: self.lockouts,
            last_lockout_at: self.last_lockout_at,
        }
    }

    pub fn has_details(&self) -> bool {
        self.details_saved_at.is_some()
    }

    pub fn recipient(&self) -> Recipient {
        let name = match (&self.first_name, &self.last_name) {
            (Some(first), Some(last)) => Some(format!("{first} {last}")),
            _ => None,
        };
        Recipient { address: Email::parse(&self.email).expect("stored emails are valid").to_address(), name }
    }

    /// How staff see the customer: "First Last (Company)", or the email
    /// before details are saved.
    pub fn full_name(&self) -> String {
        match (&self.first_name, &self.last_name, &self.company_name) {
            (Some(first), Some(last), Some(company)) => format!("{first} {last} ({company})"),
            (Some(first), Some(last), None) => format!("{first} {last}"),
            _ => self.email.clone(),
        }
    }

    /// The greeting name for emails and pages.
    pub fn display_name(&self) -> &str {
        self.first_name.as_deref().unwrap_or(&self.email)
    }

    pub fn account_type(&self) -> Option<AccountType> {
        self.account_type.as_deref().and_then(|t| AccountType::parse(t).ok())
    }

    pub fn sector(&self) -> Option<Sector> {
        self.sector.as_deref().and_then(|s| Sector::parse(s).ok())
    }

    pub fn phone(&self) -> Option<Phone> {
        let kind = PhoneType::parse(self.phone_type.as_deref()?).ok()?;
        Some(Phone::from_stored(self.phone.clone()?, kind))
    }
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Customer>> {
    customers::table.find(id).select(Customer::as_select()).first(conn).optional()
}

pub fn find_by_email(conn: &mut DbConnection, email: &Email) -> QueryResult<Option<Customer>> {
    customers::table.filter(customers::email.eq(email.as_str())).select(Customer::as_select()).first(conn).optional()
}

/// The filter for customers whose email, name, company or phone contains
/// `needle` in any case. A macro because the expression's type differs with
/// the query it joins (diesel cannot box a subquery over both backends).
macro_rules! customer_matches {
    ($needle:expr) => {{
        use $crate::db::lower;
        use $crate::db::schema::customers;
        let pattern = $crate::db::contains_pattern(&$needle.to_lowercase());
        lower(customers::email.nullable())
            .like(pattern.clone())
            .escape('\\')
            .or(lower(customers::first_name).like(pattern.clone()).escape('\\'))
            .or(lower(customers::last_name).like(pattern.clone()).escape('\\'))
            .or(lower(customers::company_name).like(pattern.clone()).escape('\\'))
            .or(customers::phone.like(pattern).escape('\\'))
    }};
}
pub(crate) use customer_matches;

/// Customers matching `needle` (see [`customer_matches`]), or all for a blank one;
/// newest first.
pub fn search(conn: &mut DbConnection, needle: &str, limit: i64) -> QueryResult<Vec<Customer>> {
    let mut query =
        customers::table.order(customers::id.desc()).limit(limit).select(Customer::as_select()).into_boxed();
    if !needle.is_empty() {
        query = query.filter(customer_matches!(needle));
    }
    query.load(conn)
}

/// How often a visitor may make us send something (a link, a code) to one
/// account: a cooldown between two sends and a cap per hour.
#[derive(Clone, Copy, Debug)]
pub struct SendLimit {
    pub cooldown: Duration,
    pub per_hour: usize,
}

impl SendLimit {
    /// `recent` are the send times of the last hour, newest first.
    pub fn allows(&self, recent: &[PrimitiveDateTime], now: PrimitiveDateTime) -> bool {
        let cooled_down = recent.first().is_none_or(|last| now - *last >= self.cooldown);
        cooled_down && recent.len() < self.per_hour
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_limits_apply_a_cooldown_and_an_hourly_cap() {
        let limit = SendLimit { cooldown: Duration::from_secs(60), per_hour: 3 };
        let now = crate::db::now();
        assert!(limit.allows(&[], now));
        assert!(!limit.allows(&[now - Duration::from_secs(30)], now));
        assert!(limit.allows(&[now - Duration::from_secs(61)], now));
        let three = [now - Duration::from_secs(100), now - Duration::from_secs(200), now - Duration::from_secs(300)];
        assert!(!limit.allows(&three, now));
    }
}
