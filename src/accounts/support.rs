//! Support requests from the public form; staff read them in the console.

use diesel::prelude::*;
use serde_json::json;
use time::PrimitiveDateTime;

use super::find_by_email;
use crate::audit::{self, Actor, Event, Origin};
use crate::config::Config;
use crate::db::schema::support_requests;
use crate::db::{self, Db, DbConnection};
use crate::domain::Email;
use crate::mail::{Mailer, Recipient, outbox};

/// A message to support: 10 to 5000 characters, line breaks kept.
#[derive(Clone, Debug)]
pub struct SupportMessage(String);

impl SupportMessage {
    pub fn parse(raw: &str) -> Result<SupportMessage, crate::domain::Invalid> {
        let text = raw.trim();
        if text.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
            return Err(crate::domain::Invalid("Remove the control characters from your message."));
        }
        match text.chars().count() {
            0..10 => Err(crate::domain::Invalid("Tell us a little more (at least 10 characters).")),
            10..=5000 => Ok(SupportMessage(text.replace("\r\n", "\n"))),
            _ => Err(crate::domain::Invalid("Keep your message under 5000 characters.")),
        }
    }
}

/// Files the request, tied to the account with that address if there is one,
/// and acknowledges it by email.
pub async fn submit(
    db: &Db,
    mailer: &Mailer,
    config: &Config,
    email: Email,
    message: SupportMessage,
    origin: Origin,
) -> anyhow::Result<i64> {
    let (mailer, home_link) = (mailer.clone(), config.link("/"));
    db.write(move |conn| -> anyhow::Result<i64> {
        let customer_id = find_by_email(conn, &email)?.map(|c| c.id);
        let id: i64 = diesel::insert_into(support_requests::table)
            .values((
                support_requests::email.eq(email.as_str()),
                support_requests::customer_id.eq(customer_id),
                support_requests::message.eq(&message.0),
                support_requests::status.eq("open"),
                support_requests::created_at.eq(db::now()),
            ))
            .returning(support_requests::id)
            .get_result(conn)?;
        // The acknowledgement does not repeat the message, so the form cannot
        // be used to send arbitrary text to someone else's address.
        let ack = mailer.compose(
            "support_received",
            Recipient { address: email.to_address(), name: None },
            &json!({ "reference": id, "home_link": home_link }),
            false,
        )?;
        outbox::enqueue(conn, &ack)?;
        let actor = customer_id.map_or(Actor::Anonymous, Actor::Customer);
        audit::record(
            conn,
            Event::new(actor, "support.request_created", &origin)
                .subject("support_request", id)
                .details(json!({ "email": email.as_str() })),
        )?;
        Ok(id)
    })
    .await
}

/// A support request as staff read it.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = support_requests)]
pub struct SupportRequest {
    pub id: i64,
    pub email: String,
    pub customer_id: Option<i64>,
    pub message: String,
    pub status: String,
    pub created_at: PrimitiveDateTime,
    pub resolved_at: Option<PrimitiveDateTime>,
    pub resolved_by: Option<i64>,
}

impl SupportRequest {
    pub fn is_open(&self) -> bool {
        self.status == "open"
    }
}

/// How many requests wait for an answer.
pub fn open_count(conn: &mut DbConnection) -> QueryResult<i64> {
    support_requests::table.filter(support_requests::status.eq("open")).count().get_result(conn)
}

/// The open requests oldest first (the longest waiting on top), or the
/// closed ones newest first.
pub fn inbox(conn: &mut DbConnection, open: bool, limit: i64) -> QueryResult<Vec<SupportRequest>> {
    let query = support_requests::table.select(SupportRequest::as_select()).limit(limit).into_boxed();
    if open {
        query.filter(support_requests::status.eq("open")).order(support_requests::id.asc()).load(conn)
    } else {
        query.filter(support_requests::status.eq("closed")).order(support_requests::id.desc()).load(conn)
    }
}

/// The requests tied to the customer, or sent from their address, newest first.
pub fn from_customer(conn: &mut DbConnection, customer_id: i64, email: &str) -> QueryResult<Vec<SupportRequest>> {
    support_requests::table
        .filter(support_requests::customer_id.eq(customer_id).or(support_requests::email.eq(email.to_string())))
        .order(support_requests::id.desc())
        .select(SupportRequest::as_select())
        .load(conn)
}

/// Closes an open request. `false` when there is no such open request (it
/// may have been closed by someone else meanwhile).
pub async fn close(db: &Db, staff_id: i64, id: i64, origin: Origin) -> anyhow::Result<bool> {
    db.write(move |conn| -> anyhow::Result<bool> {
        let closed = diesel::update(
            support_requests::table.filter(support_requests::id.eq(id)).filter(support_requests::status.eq("open")),
        )
        .set((
            support_requests::status.eq("closed"),
            support_requests::resolved_at.eq(db::now()),
            support_requests::resolved_by.eq(staff_id),
        ))
        .execute(conn)?;
        if closed == 1 {
            audit::record(
                conn,
                Event::new(Actor::Staff(staff_id), "support.request_closed", &origin).subject("support_request", id),
            )?;
        }
        Ok(closed == 1)
    })
    .await
}
