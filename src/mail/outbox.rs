//! The outbox table: emails waiting for, or done with, delivery.

use diesel::prelude::*;

use time::PrimitiveDateTime;

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
    pub const ALL: [State; 4] = [State::Pending, State::Sending, State::Sent, State::Failed];

    pub fn parse(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == text)
    }

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

/// One outbox row as the console lists it: never the bodies, which may
/// carry a one-time link.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct Listed {
    pub id: i64,
    pub template: String,
    pub recipient: String,
    pub subject: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: PrimitiveDateTime,
    pub last_error: Option<String>,
    pub created_at: PrimitiveDateTime,
    pub sent_at: Option<PrimitiveDateTime>,
}

/// The newest `limit` messages to exactly `recipient`.
pub fn to_recipient(conn: &mut DbConnection, recipient: &str, limit: i64) -> QueryResult<Vec<Listed>> {
    outbox::table
        .filter(outbox::recipient.eq(recipient.to_string()))
        .order(outbox::id.desc())
        .limit(limit)
        .select(Listed::as_select())
        .load(conn)
}

/// The newest `limit` messages, optionally only those in `state` or to a
/// recipient whose address contains `recipient`.
pub fn recent(
    conn: &mut DbConnection,
    state: Option<State>,
    recipient: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Listed>> {
    let mut query = outbox::table.select(Listed::as_select()).order(outbox::id.desc()).limit(limit).into_boxed();
    if let Some(state) = state {
        query = query.filter(outbox::state.eq(state.as_str()));
    }
    if let Some(recipient) = recipient {
        query = query.filter(outbox::recipient.like(db::contains_pattern(recipient)).escape('\\'));
    }
    query.load(conn)
}
