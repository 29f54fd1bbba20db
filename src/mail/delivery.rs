//! The delivery worker: claims due outbox rows under a lease, sends them,
//! and records what the server answered. Temporary failures are retried with
//! exponential backoff; a 5xx answer marks the message failed; a row whose
//! lease ran out (its sender crashed) is claimed again.

use std::time::Duration;

use diesel::prelude::*;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use serde_json::json;
use time::PrimitiveDateTime;

use super::outbox::State;
use super::single_line;
use super::transport::{SendFailure, Transport};
use crate::audit::{self, Actor, Event, Origin};
use crate::config::OutboxSettings;
use crate::db::schema::outbox;
use crate::db::{self, Db, DbConnection, DbError};

/// At most this many messages are claimed per round.
const BATCH: i64 = 20;
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// After this long a message that never got through is marked failed.
const GIVE_UP_AFTER: time::Duration = time::Duration::days(3);

const JOB: &str = "mail_delivery";

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = outbox)]
struct Claimed {
    id: i64,
    message_id: String,
    template: String,
    recipient: String,
    recipient_name: Option<String>,
    subject: String,
    text_body: Option<String>,
    html_body: Option<String>,
    attempts: i32,
    created_at: PrimitiveDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// What one round of delivery did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

impl Round {
    pub fn claimed(&self) -> usize {
        self.sent + self.retrying + self.failed
    }
}

/// Delivers until the task is dropped, sleeping `poll_interval` whenever
/// nothing was due. Each round runs as its own task, so even a panic while
/// sending one message cannot stop delivery for good (that message's lease
/// runs out and it is tried again).
pub async fn run(db: Db, transport: Transport, from: Mailbox, settings: OutboxSettings) {
    loop {
        let round = tokio::spawn({
            let (db, transport, from, settings) = (db.clone(), transport.clone(), from.clone(), settings.clone());
            async move { deliver_due(&db, &transport, &from, &settings).await }
        });
        match round.await {
            Ok(Ok(round)) if round.claimed() > 0 => continue,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "mail delivery round failed"),
            Err(e) => tracing::error!(error = %e, "mail delivery round panicked"),
        }
        tokio::time::sleep(settings.poll_interval).await;
    }
}

/// Claims the messages that are due and tries each once.
pub async fn deliver_due(
    db: &Db,
    transport: &Transport,
    from: &Mailbox,
    settings: &OutboxSettings,
) -> Result<Round, DeliveryError> {
    let lease = settings.lease;
    let claimed = db.write(move |conn| claim(conn, lease).map_err(DeliveryError::from)).await?;
    let mut round = Round::default();
    for message in claimed {
        let result = match build(&message, from) {
            Ok(email) => transport.send(email).await,
            Err(failure) => Err(failure),
        };
        let retry_base = settings.retry_base;
        let outcome = db.write(move |conn| record_outcome(conn, &message, result, retry_base)).await?;
        match outcome {
            State::Sent => round.sent += 1,
            State::Failed => round.failed += 1,
            State::Pending | State::Sending => round.retrying += 1,
        }
    }
    Ok(round)
}

fn due(
    now: PrimitiveDateTime,
) -> Box<dyn BoxableExpression<outbox::table, db::MultiBackend, SqlType = diesel::sql_types::Bool>> {
    Box::new(
        outbox::state
            .eq(State::Pending.as_str())
            .and(outbox::next_attempt_at.le(now))
            .or(outbox::state.eq(State::Sending.as_str()).and(outbox::lease_until.lt(now).assume_not_null())),
    )
}

/// Takes a lease on each due row with a compare-and-set update, so two
/// workers (or two instances) never send the same row at once.
fn claim(conn: &mut DbConnection, lease: Duration) -> QueryResult<Vec<Claimed>> {
    let now = db::now();
    let lease_until = now + lease;
    let ids: Vec<i64> =
        outbox::table.filter(due(now)).order(outbox::id.asc()).limit(BATCH).select(outbox::id).load(conn)?;
    let mut claimed = Vec::with_capacity(ids.len());
    for id in ids {
        let taken = diesel::update(outbox::table.filter(outbox::id.eq(id)).filter(due(now)))
            .set((
                outbox::state.eq(State::Sending.as_str()),
                outbox::lease_until.eq(lease_until),
                outbox::attempts.eq(outbox::attempts + 1),
            ))
            .execute(conn)?;
        if taken == 1 {
            claimed.push(outbox::table.find(id).select(Claimed::as_select()).first(conn)?);
        }
    }
    Ok(claimed)
}

fn build(message: &Claimed, from: &Mailbox) -> Result<Message, SendFailure> {
    let permanent =
        |what: &str, e: &dyn std::fmt::Display| SendFailure { permanent: true, message: format!("{what}: {e}") };
    let address = message.recipient.parse().map_err(|e| permanent("the recipient address is not valid", &e))?;
    let (Some(text), Some(html)) = (&message.text_body, &message.html_body) else {
        return Err(SendFailure { permanent: true, message: "the message body was erased".into() });
    };
    Message::builder()
        .message_id(Some(message.message_id.clone()))
        .from(from.clone())
        .to(Mailbox::new(message.recipient_name.as_deref().map(single_line), address))
        .subject(single_line(&message.subject))
        .multipart(MultiPart::alternative_plain_html(text.clone(), html.clone()))
        .map_err(|e| permanent("the message could not be built", &e))
}

fn backoff(retry_base: Duration, attempts: i32) -> Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 20) as u32;
    retry_base.saturating_mul(2u32.saturating_pow(exponent)).min(MAX_BACKOFF)
}

/// Stores the result of one attempt, if this worker still holds the row's
/// lease (its attempt count is unchanged), and audits final outcomes.
fn record_outcome(
    conn: &mut DbConnection,
    message: &Claimed,
    result: Result<(), SendFailure>,
    retry_base: Duration,
) -> Result<State, DeliveryError> {
    let now = db::now();
    let ours = outbox::table
        .filter(outbox::id.eq(message.id))
        .filter(outbox::state.eq(State::Sending.as_str()))
        .filter(outbox::attempts.eq(message.attempts));
    let (state, error) = match result {
        Ok(()) => (State::Sent, None),
        Err(failure) if failure.permanent => (State::Failed, Some(failure.message)),
        Err(failure) if now - message.created_at > GIVE_UP_AFTER => {
            (State::Failed, Some(format!("gave up after {} attempts; last: {}", message.attempts, failure.message)))
        }
        Err(failure) => (State::Pending, Some(failure.message)),
    };
    let updated = match state {
        State::Pending => diesel::update(ours)
            .set((
                outbox::state.eq(state.as_str()),
                outbox::lease_until.eq(None::<PrimitiveDateTime>),
                outbox::next_attempt_at.eq(now + backoff(retry_base, message.attempts)),
                outbox::last_error.eq(&error),
            ))
            .execute(conn)?,
        _ => diesel::update(ours)
            .set((
                outbox::state.eq(state.as_str()),
                outbox::lease_until.eq(None::<PrimitiveDateTime>),
                outbox::last_error.eq(&error),
                outbox::sent_at.eq((state == State::Sent).then_some(now)),
            ))
            .execute(conn)?,
    };
    if updated == 0 {
        tracing::warn!(id = message.id, "outbox row changed hands during delivery; result not recorded");
        return Ok(state);
    }
    match state {
        State::Pending => {
            tracing::warn!(id = message.id, attempts = message.attempts, error = ?error, "mail delivery will be retried")
        }
        _ => finish(conn, message, state, error.as_deref())?,
    }
    Ok(state)
}

/// A message reached a final state: erase secret-bearing bodies and audit it.
fn finish(conn: &mut DbConnection, message: &Claimed, state: State, error: Option<&str>) -> QueryResult<()> {
    diesel::update(outbox::table.filter(outbox::id.eq(message.id)).filter(outbox::sensitive.eq(true)))
        .set((outbox::text_body.eq(None::<String>), outbox::html_body.eq(None::<String>)))
        .execute(conn)?;
    let action = if state == State::Sent { "mail.sent" } else { "mail.failed" };
    audit::record(
        conn,
        Event::new(Actor::Job(JOB), action, &Origin::default()).subject("outbox", message.id).details(json!({
            "template": message.template,
            "recipient": message.recipient,
            "message_id": message.message_id,
            "attempts": message.attempts,
            "error": error,
        })),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 1), Duration::from_secs(30));
        assert_eq!(backoff(base, 2), Duration::from_secs(60));
        assert_eq!(backoff(base, 4), Duration::from_secs(240));
        assert_eq!(backoff(base, 30), MAX_BACKOFF);
    }
}
