//! Email verification, resending it, and resetting a forgotten password.

use std::time::Duration;

use diesel::prelude::*;
use serde_json::json;

use super::email_tokens::{self, Purpose};
use super::hashing::PasswordHasher;
use super::{Customer, SendLimit, find, find_by_email};
use crate::audit::{self, Actor, Event, Origin};
use crate::config::Config;
use crate::db::schema::customers;
use crate::db::{self, Db, DbConnection};
use crate::domain::{Email, Password};
use crate::mail::{Email as OutgoingEmail, Mailer, outbox};
use crate::tokens::random_token;
use crate::web::SessionKind;
use crate::web::session;

/// Links a visitor may have sent to one account: one a minute, five an hour.
pub const LINK_LIMIT: SendLimit = SendLimit { cooldown: Duration::from_secs(60), per_hour: 5 };

/// Marks the email verified. `None` when the link is unknown, used, revoked
/// or expired.
pub async fn verify_email(db: &Db, token: String, origin: Origin) -> anyhow::Result<Option<i64>> {
    db.write(move |conn| -> anyhow::Result<Option<i64>> {
        let Some(customer_id) = email_tokens::redeem(conn, Purpose::VerifyEmail, &token)? else {
            audit::record(conn, Event::new(Actor::Anonymous, "customer.verification_link_refused", &origin))?;
            return Ok(None);
        };
        diesel::update(customers::table.find(customer_id).filter(customers::email_verified_at.is_null()))
            .set(customers::email_verified_at.eq(db::now()))
            .execute(conn)?;
        audit::record(
            conn,
            Event::new(Actor::Customer(customer_id), "customer.email_verified", &origin)
                .subject("customer", customer_id),
        )?;
        Ok(Some(customer_id))
    })
    .await
}

/// A link email for `purpose`, to be queued if the account qualifies.
pub(super) fn link_email(
    mailer: &Mailer,
    config: &Config,
    email: &Email,
    purpose: Purpose,
    token: &str,
) -> anyhow::Result<OutgoingEmail> {
    let template = match purpose {
        Purpose::VerifyEmail => "verify_email",
        Purpose::ResetPassword => "password_reset",
    };
    let to = crate::mail::Recipient { address: email.to_address(), name: None };
    let hours = purpose.lifetime().as_secs() / 3600;
    Ok(mailer.compose(template, to, &json!({ "link": link(config, purpose, token), "hours": hours }), true)?)
}

/// The page a one-time link for `purpose` opens, with its token.
pub fn link(config: &Config, purpose: Purpose, token: &str) -> String {
    let path = match purpose {
        Purpose::VerifyEmail => "/verify-email",
        Purpose::ResetPassword => "/reset-password",
    };
    config.link(&format!("{path}?token={token}"))
}

/// Queues a fresh link for `purpose` (verification: only for an account not
/// verified yet; password reset: for any account) within the send limit, and
/// audits the request either way. The visitor always sees the same answer.
pub async fn send_link(
    db: &Db,
    mailer: &Mailer,
    config: &Config,
    email: Email,
    purpose: Purpose,
    origin: Origin,
) -> anyhow::Result<()> {
    let eligible = move |c: &Customer| purpose == Purpose::ResetPassword || !c.is_verified();
    let token = random_token();
    let message = link_email(mailer, config, &email, purpose, &token)?;
    let action = match purpose {
        Purpose::VerifyEmail => "customer.verification_resend_requested",
        Purpose::ResetPassword => "customer.password_reset_requested",
    };
    db.write(move |conn| -> anyhow::Result<()> {
        let now = db::now();
        let customer = find_by_email(conn, &email)?;
        let outcome = match &customer {
            None => "no such account",
            Some(c) if !eligible(c) => "not applicable",
            Some(c) => {
                let recent = email_tokens::issued_since(conn, c.id, purpose, now - Duration::from_secs(3600))?;
                if LINK_LIMIT.allows(&recent, now) {
                    email_tokens::issue(conn, c.id, purpose, &token)?;
                    outbox::enqueue(conn, &message)?;
                    "sent"
                } else {
                    "rate limited"
                }
            }
        };
        let mut event =
            Event::new(customer.as_ref().map_or(Actor::Anonymous, |c| Actor::Customer(c.id)), action, &origin)
                .details(json!({ "email": email.as_str(), "outcome": outcome }));
        if let Some(c) = &customer {
            event = event.subject("customer", c.id);
        }
        audit::record(conn, event)?;
        Ok(())
    })
    .await
}

/// What came of a support agent's "resend verification".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffResend {
    Sent,
    AlreadyVerified,
    /// A link went out less than a minute ago, or five this hour: the
    /// customer's inbox is protected from staff too.
    RateLimited,
}

impl StaffResend {
    fn as_str(self) -> &'static str {
        match self {
            StaffResend::Sent => "sent",
            StaffResend::AlreadyVerified => "already verified",
            StaffResend::RateLimited => "rate limited",
        }
    }
}

/// Sends a fresh verification link on a support agent's request, revoking the
/// older ones. `None` when there is no such customer.
pub async fn staff_resend_verification(
    db: &Db,
    mailer: &Mailer,
    config: &Config,
    staff_id: i64,
    customer_id: i64,
    origin: Origin,
) -> anyhow::Result<Option<StaffResend>> {
    let token = random_token();
    let (mailer, config) = (mailer.clone(), config.clone());
    db.write(move |conn| -> anyhow::Result<Option<StaffResend>> {
        let Some(customer) = find(conn, customer_id)? else { return Ok(None) };
        let now = db::now();
        let outcome = if customer.is_verified() {
            StaffResend::AlreadyVerified
        } else if !LINK_LIMIT.allows(
            &email_tokens::issued_since(conn, customer.id, Purpose::VerifyEmail, now - Duration::from_secs(3600))?,
            now,
        ) {
            StaffResend::RateLimited
        } else {
            let email = Email::parse(&customer.email)?;
            email_tokens::issue(conn, customer.id, Purpose::VerifyEmail, &token)?;
            outbox::enqueue(conn, &link_email(&mailer, &config, &email, Purpose::VerifyEmail, &token)?)?;
            StaffResend::Sent
        };
        audit::record(
            conn,
            Event::new(Actor::Staff(staff_id), "customer.verification_resent_by_staff", &origin)
                .subject("customer", customer.id)
                .details(json!({ "outcome": outcome.as_str() })),
        )?;
        Ok(Some(outcome))
    })
    .await
}

/// The account a live reset link belongs to.
pub async fn reset_link_owner(db: &Db, token: String) -> anyhow::Result<Option<Customer>> {
    db.run(move |conn| -> anyhow::Result<Option<Customer>> {
        match email_tokens::peek(conn, Purpose::ResetPassword, &token)? {
            Some(id) => Ok(find(conn, id)?),
            None => Ok(None),
        }
    })
    .await
}

fn end_sessions(conn: &mut DbConnection, customer_id: i64) -> QueryResult<usize> {
    session::end_all_for(conn, SessionKind::Customer, customer_id)
}

/// Sets a new password through a reset link: the link is used up, every
/// session of the account ends, and the owner is told by email. `false` when
/// the link is no longer valid.
pub async fn reset_password(
    db: &Db,
    mailer: &Mailer,
    config: &Config,
    hasher: &PasswordHasher,
    token: String,
    customer: Customer,
    password: Password,
    origin: Origin,
) -> anyhow::Result<bool> {
    let hash = hasher.hash(&password).await?;
    let notice = mailer.compose(
        "password_changed",
        customer.recipient(),
        &json!({ "reset_link": config.link("/forgot-password"), "support_link": config.link("/support") }),
        false,
    )?;
    db.write(move |conn| -> anyhow::Result<bool> {
        match email_tokens::redeem(conn, Purpose::ResetPassword, &token)? {
            Some(id) if id == customer.id => {}
            _ => return Ok(false),
        }
        let now = db::now();
        diesel::update(customers::table.find(customer.id))
            .set((
                customers::password_hash.eq(&hash),
                customers::password_changed_at.eq(now),
                customers::locked_until.eq(None::<time::PrimitiveDateTime>),
            ))
            .execute(conn)?;
        // The link proved the mailbox is theirs.
        diesel::update(customers::table.find(customer.id).filter(customers::email_verified_at.is_null()))
            .set(customers::email_verified_at.eq(now))
            .execute(conn)?;
        let ended = end_sessions(conn, customer.id)?;
        outbox::enqueue(conn, &notice)?;
        audit::record(
            conn,
            Event::new(Actor::Customer(customer.id), "customer.password_reset", &origin)
                .subject("customer", customer.id)
                .details(json!({ "sessions_ended": ended })),
        )?;
        Ok(true)
    })
    .await
}
