//! `/console/outbox`: what the product sent, or is still trying to send.
//! Emails come from the outbox table (subjects and delivery state, never the
//! bodies, which may hold a one-time link); text messages from the SMS
//! sender's own copies, so the phone check works end to end without a
//! provider.

use axum::extract::{Query, State};
use axum::response::Html;
use serde::{Deserialize, Serialize};

use super::Staff;
use crate::authz::ReadOutbox;
use crate::mail::outbox::{self, Listed};
use crate::web::AppState;
use crate::web::error::AppResult;
use crate::web::view::{self, Console};

/// How many rows of each kind the page lists.
const LIMIT: usize = 100;

#[derive(Deserialize)]
pub struct Filter {
    #[serde(default)]
    state: String,
    #[serde(default)]
    to: String,
}

#[derive(Serialize)]
struct EmailRow {
    queued: String,
    recipient: String,
    template: String,
    subject: String,
    state: String,
    attempts: i32,
    next_attempt: Option<String>,
    last_error: Option<String>,
    sent: Option<String>,
}

impl From<Listed> for EmailRow {
    fn from(row: Listed) -> EmailRow {
        let waiting = matches!(outbox::State::parse(&row.state), Some(outbox::State::Pending));
        EmailRow {
            queued: view::timestamp(row.created_at),
            next_attempt: (waiting && row.attempts > 0).then(|| view::timestamp(row.next_attempt_at)),
            sent: row.sent_at.map(view::timestamp),
            recipient: row.recipient,
            template: row.template,
            subject: row.subject,
            state: row.state,
            attempts: row.attempts,
            last_error: row.last_error,
        }
    }
}

#[derive(Serialize)]
struct SmsRow {
    sent: String,
    to: String,
    text: String,
}

#[derive(Serialize)]
struct OutboxPage {
    states: Vec<&'static str>,
    state: String,
    to: String,
    emails: Vec<EmailRow>,
    texts: Vec<SmsRow>,
    texts_unavailable: bool,
}

pub async fn show(
    State(state): State<AppState>,
    me: Staff<ReadOutbox>,
    Query(filter): Query<Filter>,
) -> AppResult<Html<String>> {
    let wanted = outbox::State::parse(&filter.state);
    let to = filter.to.trim().to_lowercase();
    let recipient = (!to.is_empty()).then(|| to.clone());
    let emails = state
        .db
        .run(move |conn| outbox::recent(conn, wanted, recipient.as_deref(), LIMIT as i64).map_err(anyhow::Error::from))
        .await?;
    // The page still shows the emails when the SMS copies cannot be read.
    let (texts, texts_unavailable) = match state.sms.recent(LIMIT).await {
        Ok(texts) => (texts, false),
        Err(e) => {
            tracing::error!(error = %e, "cannot list the kept text messages");
            (Vec::new(), true)
        }
    };
    let page = OutboxPage {
        states: outbox::State::ALL.iter().map(|s| s.as_str()).collect(),
        state: wanted.map_or("", |s| s.as_str()).to_string(),
        to,
        emails: emails.into_iter().map(EmailRow::from).collect(),
        texts: texts
            .into_iter()
            .map(|m| SmsRow { sent: view::timestamp(crate::db::to_stored(m.sent_at)), to: m.to, text: m.text })
            .collect(),
        texts_unavailable,
    };
    let console = Console { name: &me.member.name, nav: &me.nav };
    view::render_console(&state, &me.session, &console, "console/outbox.html", &page)
}
