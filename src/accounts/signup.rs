//! Creating an account, without revealing whether the address already has one.

use std::time::Duration;

use diesel::prelude::*;
use serde_json::json;

use super::email_tokens::{self, Purpose};
use super::recovery::link_email;
use super::{TERMS_VERSION, find_by_email};
use crate::audit::{self, Actor, Event, Origin};
use crate::config::Config;
use crate::db::schema::customers;
use crate::db::{self, Db, is_unique_violation};
use crate::domain::Email;
use crate::mail::{Mailer, Recipient, outbox};
use crate::tokens::random_token;

/// At most one "someone tried to sign up with your address" note per hour.
const EXISTING_NOTE_EVERY: Duration = Duration::from_secs(3600);

/// Creates an unverified account and queues its verification email; for an
/// address that already has an account, queues a note to that address
/// instead. Either way the caller shows the same page.
pub async fn sign_up(
    db: &Db,
    mailer: &Mailer,
    config: &Config,
    email: Email,
    password_hash: String,
    origin: Origin,
) -> anyhow::Result<()> {
    let token = random_token();
    let verify = link_email(mailer, config, &email, Purpose::VerifyEmail, &token)?;
    let note = mailer.compose(
        "signup_existing",
        Recipient { address: email.to_address(), name: None },
        &json!({ "login_link": config.link("/login"), "reset_link": config.link("/forgot-password") }),
        false,
    )?;
    let result = db
        .write(move |conn| -> anyhow::Result<()> {
            let now = db::now();
            if let Some(existing) = find_by_email(conn, &email)? {
                let noted = outbox::queued_since(conn, note.template, email.as_str(), now - EXISTING_NOTE_EVERY)?;
                if noted == 0 {
                    outbox::enqueue(conn, &note)?;
                }
                audit::record(
                    conn,
                    Event::new(Actor::Anonymous, "customer.signup_existing", &origin)
                        .subject("customer", existing.id)
                        .details(json!({ "email": email.as_str(), "note_sent": noted == 0 })),
                )?;
                return Ok(());
            }
            let id: i64 = diesel::insert_into(customers::table)
                .values((
                    customers::email.eq(email.as_str()),
                    customers::password_hash.eq(&password_hash),
                    customers::password_changed_at.eq(now),
                    customers::terms_version.eq(TERMS_VERSION),
                    customers::terms_accepted_at.eq(now),
                    customers::created_at.eq(now),
                ))
                .returning(customers::id)
                .get_result(conn)?;
            email_tokens::issue(conn, id, Purpose::VerifyEmail, &token)?;
            outbox::enqueue(conn, &verify)?;
            audit::record(
                conn,
                Event::new(Actor::Customer(id), "customer.signed_up", &origin)
                    .subject("customer", id)
                    .details(json!({ "email": email.as_str(), "terms_version": TERMS_VERSION })),
            )?;
            audit::record(
                conn,
                Event::new(Actor::Customer(id), "customer.verification_sent", &origin).subject("customer", id),
            )?;
            Ok(())
        })
        .await;
    match result {
        // Another sign-up with the same address committed first: the account
        // exists and its owner was emailed, which is all this one would do.
        Err(e) if e.downcast_ref::<diesel::result::Error>().is_some_and(is_unique_violation) => Ok(()),
        other => other,
    }
}
