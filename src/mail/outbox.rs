//! The outbox table: emails waiting for, or done with, delivery.

use diesel::prelude::*;

use super::Email;
use crate::db::schema::outbox;
use crate::db::{self, DbConnection};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Pending,
    Sending,
    Sent,
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Sending => "sending",
            State::Sent => "sent",
            State::Failed => "failed",
        }
    }
}

/// Queues `email`. Call it inside the transaction of the change that causes
/// the email, so both commit together.
pub fn enqueue(conn: &mut DbConnection, email: &Email) -> QueryResult<i64> {
    let now = db::now();
    diesel::insert_into(outbox::table)
        .values((
            outbox::message_id.eq(&email.message_id),
            outbox::template.eq(email.template),
            outbox::recipient.eq(email.to.address.to_string()),
            outbox::recipient_name.eq(&email.to.name),
            outbox::subject.eq(&email.subject),
            outbox::text_body.eq(&email.text),
            outbox::html_body.eq(&email.html),
            outbox::sensitive.eq(email.sensitive),
            outbox::state.eq(State::Pending.as_str()),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
        ))
        .returning(outbox::id)
        .get_result(conn)
}

/// Messages per delivery state, for the metrics page.
pub fn count_by_state(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    outbox::table.group_by(outbox::state).select((outbox::state, diesel::dsl::count_star())).load(conn)
}

/// How many emails from `template` were queued for `recipient` since `since`.
pub fn queued_since(
    conn: &mut DbConnection,
    template: &str,
    recipient: &str,
    since: time::PrimitiveDateTime,
) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::template.eq(template))
        .filter(outbox::recipient.eq(recipient))
        .filter(outbox::created_at.gt(since))
        .count()
        .get_result(conn)
}
