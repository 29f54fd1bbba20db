//! Signing in, with failed attempts counted per account and per address in
//! the database (so every instance sees them) and a lockout that grows.

use std::time::Duration;

use diesel::prelude::*;
use serde_json::json;
use time::PrimitiveDateTime;

use super::hashing::PasswordHasher;
use super::{Customer, find, find_by_email};
use crate::audit::{self, Actor, Event, Origin};
use crate::db::schema::{customers, login_attempts};
use crate::db::{self, Db, DbConnection};
use crate::domain::{Email, Password};

/// Failures within `WINDOW` that lock an account.
const ACCOUNT_FAILURES: i64 = 10;
/// Failures within `WINDOW` from one address that stop it signing anyone in.
const ADDRESS_FAILURES: i64 = 50;
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// The first lockout; each further one within a day doubles it.
const FIRST_LOCKOUT: Duration = Duration::from_secs(15 * 60);
const LONGEST_LOCKOUT: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug)]
pub enum LoginOutcome {
    SignedIn(Customer),
    /// The password was right but the email is not verified yet.
    Unverified(Email),
    /// Wrong credentials, a locked account or a blocked address: the visitor
    /// sees one generic message for all of them.
    Refused,
}

#[derive(Clone, Copy)]
enum Outcome {
    Success,
    Failure,
    Refused,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Refused => "refused",
        }
    }
}

fn record_attempt(
    conn: &mut DbConnection,
    customer_id: Option<i64>,
    origin: &Origin,
    outcome: Outcome,
) -> QueryResult<()> {
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::customer_id.eq(customer_id),
            login_attempts::ip.eq(&origin.ip),
            login_attempts::outcome.eq(outcome.as_str()),
            login_attempts::created_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

fn failures_from_address(conn: &mut DbConnection, origin: &Origin, since: PrimitiveDateTime) -> QueryResult<i64> {
    let Some(ip) = &origin.ip else { return Ok(0) };
    login_attempts::table
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::outcome.eq(Outcome::Failure.as_str()))
        .filter(login_attempts::created_at.gt(since))
        .count()
        .get_result(conn)
}

fn failures_of_account(conn: &mut DbConnection, customer: &Customer, now: PrimitiveDateTime) -> QueryResult<i64> {
    // Counting starts afresh when a lockout ends.
    let since = match customer.locked_until {
        Some(until) if until > now - WINDOW => until,
        _ => now - WINDOW,
    };
    login_attempts::table
        .filter(login_attempts::customer_id.eq(customer.id))
        .filter(login_attempts::outcome.eq(Outcome::Failure.as_str()))
        .filter(login_attempts::created_at.gt(since))
        .count()
        .get_result(conn)
}

/// The length of the `nth` lockout in a row (1-based).
fn lockout_length(nth: i32) -> Duration {
    let doublings = u32::try_from(nth.saturating_sub(1)).unwrap_or(0).min(10);
    FIRST_LOCKOUT.saturating_mul(1 << doublings).min(LONGEST_LOCKOUT)
}

/// Checks `password` for `email`. The hash is always computed, for unknown
/// addresses too, so timing does not tell which addresses have accounts.
pub async fn log_in(
    db: &Db,
    hasher: &PasswordHasher,
    email: Email,
    password: Password,
    origin: Origin,
) -> anyhow::Result<LoginOutcome> {
    let lookup = email.clone();
    let customer = db.run(move |conn| find_by_email(conn, &lookup).map_err(anyhow::Error::from)).await?;
    let matches = hasher.verify(&password, customer.as_ref().map(|c| c.password_hash.as_str())).await?;

    db.write(move |conn| -> anyhow::Result<LoginOutcome> {
        let now = db::now();
        let address_blocked = failures_from_address(conn, &origin, now - WINDOW)? >= ADDRESS_FAILURES;
        // Re-read inside the transaction: the lock state may have changed.
        let Some(customer) = customer.map(|c| find(conn, c.id)).transpose()?.flatten() else {
            record_attempt(conn, None, &origin, Outcome::Failure)?;
            audit::record(
                conn,
                Event::new(Actor::Anonymous, "customer.login_failed", &origin)
                    .details(json!({ "email": email.as_str(), "reason": "unknown email" })),
            )?;
            return Ok(LoginOutcome::Refused);
        };
        let event = |action: &'static str, details: serde_json::Value| {
            Event::new(Actor::Customer(customer.id), action, &origin).subject("customer", customer.id).details(details)
        };
        let locked = customer.locked_until.is_some_and(|until| until > now);
        if locked || address_blocked {
            record_attempt(conn, Some(customer.id), &origin, Outcome::Refused)?;
            let reason = if locked { "account locked" } else { "address blocked" };
            audit::record(conn, event("customer.login_refused", json!({ "reason": reason })))?;
            return Ok(LoginOutcome::Refused);
        }
        if !matches {
            record_attempt(conn, Some(customer.id), &origin, Outcome::Failure)?;
            audit::record(conn, event("customer.login_failed", json!({ "reason": "wrong password" })))?;
            if failures_of_account(conn, &customer, now)? >= ACCOUNT_FAILURES {
                let recent = customer.last_lockout_at.is_some_and(|at| now - at < LONGEST_LOCKOUT);
                let nth = if recent { customer.lockouts + 1 } else { 1 };
                let until = now + lockout_length(nth);
                diesel::update(customers::table.find(customer.id))
                    .set((
                        customers::locked_until.eq(until),
                        customers::lockouts.eq(nth),
                        customers::last_lockout_at.eq(now),
                    ))
                    .execute(conn)?;
                audit::record(
                    conn,
                    event(
                        "customer.locked_out",
                        json!({ "lockout": nth, "minutes": lockout_length(nth).as_secs() / 60 }),
                    ),
                )?;
            }
            return Ok(LoginOutcome::Refused);
        }
        if !customer.is_verified() {
            audit::record(conn, event("customer.login_unverified", json!({})))?;
            return Ok(LoginOutcome::Unverified(email));
        }
        record_attempt(conn, Some(customer.id), &origin, Outcome::Success)?;
        audit::record(conn, event("customer.logged_in", json!({})))?;
        Ok(LoginOutcome::SignedIn(customer))
    })
    .await
}

/// Records a sign-out.
pub async fn log_out(db: &Db, customer_id: i64, origin: Origin) -> anyhow::Result<()> {
    db.write(move |conn| {
        audit::record(
            conn,
            Event::new(Actor::Customer(customer_id), "customer.logged_out", &origin).subject("customer", customer_id),
        )?;
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockouts_grow_and_are_capped() {
        assert_eq!(lockout_length(1), Duration::from_secs(15 * 60));
        assert_eq!(lockout_length(2), Duration::from_secs(30 * 60));
        assert_eq!(lockout_length(3), Duration::from_secs(60 * 60));
        assert_eq!(lockout_length(20), LONGEST_LOCKOUT);
    }
}
