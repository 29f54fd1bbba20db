//! Signing in, with failed attempts counted per account and per address in
//! the database (so every instance sees them) and a lockout that grows.

use diesel::prelude::*;
use serde_json::json;

use super::hashing::PasswordHasher;
use super::{Customer, find, find_by_email};
use crate::audit::{self, Actor, Event, Origin};
use crate::db::schema::customers;
use crate::db::{self, Db};
use crate::domain::{Email, Password};
use crate::lockout::{self, Account, Attempt};

#[derive(Debug)]
pub enum LoginOutcome {
    SignedIn(Customer),
    /// The password was right but the email is not verified yet.
    Unverified(Email),
    /// Wrong credentials, a locked account or a blocked address: the visitor
    /// sees one generic message for all of them.
    Refused,
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
        let address_blocked = lockout::address_blocked(conn, &origin)?;
        // Re-read inside the transaction: the lock state may have changed.
        let Some(customer) = customer.map(|c| find(conn, c.id)).transpose()?.flatten() else {
            lockout::record(conn, None, &origin, Attempt::Failure)?;
            audit::record(
                conn,
                Event::new(Actor::Anonymous, "customer.login_failed", &origin)
                    .details(json!({ "email": email.as_str(), "reason": "unknown email" })),
            )?;
            return Ok(LoginOutcome::Refused);
        };
        let account = Account::Customer(customer.id);
        let event = |action: &'static str, details: serde_json::Value| {
            Event::new(Actor::Customer(customer.id), action, &origin).subject("customer", customer.id).details(details)
        };
        let lock = customer.lock_state();
        if lock.is_locked(now) || address_blocked {
            lockout::record(conn, Some(account), &origin, Attempt::Refused)?;
            let reason = if address_blocked { "address blocked" } else { "account locked" };
            audit::record(conn, event("customer.login_refused", json!({ "reason": reason })))?;
            return Ok(LoginOutcome::Refused);
        }
        if !matches {
            lockout::record(conn, Some(account), &origin, Attempt::Failure)?;
            audit::record(conn, event("customer.login_failed", json!({ "reason": "wrong password" })))?;
            if let Some(lockout) = lockout::after_failure(conn, account, lock)? {
                diesel::update(customers::table.find(customer.id))
                    .set((
                        customers::locked_until.eq(lockout.until),
                        customers::lockouts.eq(lockout.nth),
                        customers::last_lockout_at.eq(now),
                    ))
                    .execute(conn)?;
                audit::record(
                    conn,
                    event("customer.locked_out", json!({ "lockout": lockout.nth, "minutes": lockout.minutes })),
                )?;
            }
            return Ok(LoginOutcome::Refused);
        }
        if !customer.is_verified() {
            audit::record(conn, event("customer.login_unverified", json!({})))?;
            return Ok(LoginOutcome::Unverified(email));
        }
        lockout::record(conn, Some(account), &origin, Attempt::Success)?;
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
