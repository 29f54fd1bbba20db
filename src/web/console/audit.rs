//! `/console/audit`: auditors read the audit log with filters, export it as
//! CSV and recompute its hash chain.

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::PrimitiveDateTime;

use super::Staff;
use crate::audit::query::{self, AuditFilter};
use crate::audit::{self, Actor, AuditRow, Event, verify};
use crate::authz::{ExportAudit, Permission, ReadAudit, VerifyAudit};
use crate::db::Db;
use crate::domain::Invalid;
use crate::web::AppState;
use crate::web::client::Client;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::FieldErrors;
use crate::web::session::FlashLevel;
use crate::web::view::{self, Console};

/// Rows per page of the console, and per database read of an export.
const PAGE: i64 = 100;
const EXPORT_BATCH: i64 = 1000;

const ACTOR_KINDS: [(&str, &str); 5] =
    [("customer", "Customer"), ("staff", "Staff"), ("job", "Job"), ("system", "System"), ("anonymous", "Anonymous")];

/// The filter form as typed; `before` pages back through older rows.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    actor_id: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    subject_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    before: Option<i64>,
}

fn blank_to_none(raw: &str) -> Option<String> {
    Some(raw.trim().to_string()).filter(|s| !s.is_empty())
}

/// A `YYYY-MM-DD` day; the filter covers it whole, in UTC.
fn day(raw: &str) -> Result<Option<time::Date>, Invalid> {
    let Some(text) = blank_to_none(raw) else { return Ok(None) };
    time::Date::parse(&text, time::macros::format_description!("[year]-[month]-[day]"))
        .map(Some)
        .map_err(|_| Invalid("Enter a date as YYYY-MM-DD."))
}

impl AuditQuery {
    fn filter(&self) -> Result<AuditFilter, FieldErrors> {
        let mut errors = FieldErrors::default();
        let actor_kind = blank_to_none(&self.actor);
        if actor_kind.as_deref().is_some_and(|kind| !ACTOR_KINDS.iter().any(|(k, _)| *k == kind)) {
            errors.add("actor", "Choose an actor from the list.");
        }
        let from = errors.check("from", day(&self.from)).flatten();
        let to = errors.check("to", day(&self.to)).flatten();
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            errors.add("to", "The end date is before the start date.");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(AuditFilter {
            actor_kind,
            actor_id: blank_to_none(&self.actor_id),
            action: blank_to_none(&self.action).map(|a| a.to_lowercase()),
            subject_kind: blank_to_none(&self.subject),
            subject_id: blank_to_none(&self.subject_id),
            from: from.map(|d| PrimitiveDateTime::new(d, time::Time::MIDNIGHT)),
            until: to.and_then(|d| d.next_day()).map(|d| PrimitiveDateTime::new(d, time::Time::MIDNIGHT)),
        })
    }

    /// The filters as a query string, for the export and "Older" links.
    fn encoded(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        let fields = [
            ("actor", &self.actor),
            ("actor_id", &self.actor_id),
            ("action", &self.action),
            ("subject", &self.subject),
            ("subject_id", &self.subject_id),
            ("from", &self.from),
            ("to", &self.to),
        ];
        for (name, value) in fields.into_iter().filter(|(_, v)| !v.trim().is_empty()) {
            query.append_pair(name, value.trim());
        }
        query.finish()
    }
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
}

#[derive(Serialize)]
pub(super) struct RowView {
    seq: i64,
    when: String,
    actor: String,
    action: String,
    subject: String,
    ip: String,
    user_agent: String,
    details: String,
}

#[derive(Serialize)]
struct AuditPage {
    rows: Vec<RowView>,
    query: AuditQuery,
    actors: Vec<Choice>,
    filters: String,
    older: Option<i64>,
    can_export: bool,
    can_verify: bool,
    errors: FieldErrors,
}

pub(super) fn row_view(row: AuditRow) -> RowView {
    let who = |kind: String, id: Option<String>| match id {
        Some(id) => format!("{kind} {id}"),
        None => kind,
    };
    RowView {
        seq: row.seq,
        when: view::timestamp(row.occurred_at),
        actor: who(row.actor_kind, row.actor_id),
        subject: row.subject_kind.map(|kind| who(kind, row.subject_id)).unwrap_or_default(),
        action: row.action,
        ip: row.ip.unwrap_or_default(),
        user_agent: row.user_agent.unwrap_or_default(),
        details: if row.details == "{}" { String::new() } else { row.details },
    }
}

pub async fn list(
    State(state): State<AppState>,
    me: Staff<ReadAudit>,
    Query(typed): Query<AuditQuery>,
) -> AppResult<Response> {
    let (rows, errors) = match typed.filter() {
        Ok(filter) => {
            let before = typed.before;
            let rows = state
                .db
                .run(move |conn| query::newest(conn, &filter, before, PAGE).map_err(anyhow::Error::from))
                .await?;
            (rows, FieldErrors::default())
        }
        Err(errors) => (Vec::new(), errors),
    };
    let page = AuditPage {
        older: (rows.len() as i64 == PAGE).then(|| rows.last().map(|r| r.seq)).flatten(),
        rows: rows.into_iter().map(row_view).collect(),
        filters: typed.encoded(),
        query: typed,
        actors: ACTOR_KINDS.iter().map(|&(value, label)| Choice { value, label }).collect(),
        can_export: me.may::<ExportAudit>(&state),
        can_verify: me.may::<VerifyAudit>(&state),
        errors,
    };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let console = Console { name: &me.member.name, nav: &me.nav };
    Ok((status, view::render_console(&state, &me.session, &console, "console/audit.html", &page)?).into_response())
}

/// Records that a staff member did something with the log itself.
async fn record<P: Permission>(
    db: &Db,
    me: &Staff<P>,
    origin: audit::Origin,
    action: &'static str,
    details: serde_json::Value,
) -> AppResult<()> {
    let staff_id = me.member.id;
    db.write(move |conn| {
        audit::record(conn, Event::new(Actor::Staff(staff_id), action, &origin).details(details))
            .map_err(AppError::from)
    })
    .await?;
    Ok(())
}

/// A spreadsheet runs a cell that starts like a formula; such cells get a
/// leading apostrophe so an export opened in one cannot run anything.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() }
}

fn csv_rows(rows: &[AuditRow], header: bool) -> anyhow::Result<Bytes> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    if header {
        writer.write_record([
            "seq",
            "occurred_at",
            "actor_kind",
            "actor_id",
            "action",
            "subject_kind",
            "subject_id",
            "ip",
            "user_agent",
            "details",
            "prev_hash",
            "hash",
        ])?;
    }
    let rfc3339 = time::format_description::well_known::Rfc3339;
    for row in rows {
        let optional = |value: &Option<String>| cell(value.as_deref().unwrap_or(""));
        writer.write_record([
            row.seq.to_string(),
            row.occurred_at.assume_utc().format(&rfc3339)?,
            cell(&row.actor_kind),
            optional(&row.actor_id),
            cell(&row.action),
            optional(&row.subject_kind),
            optional(&row.subject_id),
            optional(&row.ip),
            optional(&row.user_agent),
            cell(&row.details),
            row.prev_hash.clone(),
            row.hash.clone(),
        ])?;
    }
    Ok(Bytes::from(writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?))
}

/// The matching rows as CSV, oldest first, read and sent in batches so a
/// long log never sits whole in memory.
pub async fn export(
    State(state): State<AppState>,
    me: Staff<ExportAudit>,
    Client(origin): Client,
    Query(typed): Query<AuditQuery>,
) -> AppResult<Response> {
    // A filter that does not parse is explained on the list page.
    let filter = typed.filter().map_err(|_| AppError::Redirect(format!("/console/audit?{}", typed.encoded())))?;
    record(&state.db, &me, origin, "audit.exported", json!({ "filters": typed.encoded() })).await?;
    let db = state.db.clone();
    let batches = futures_util::stream::try_unfold(Some(0i64), move |cursor| {
        let (db, filter) = (db.clone(), filter.clone());
        async move {
            let Some(after) = cursor else { return Ok(None) };
            let rows = db
                .run(move |conn| query::batch_after(conn, &filter, after, EXPORT_BATCH).map_err(anyhow::Error::from))
                .await?;
            let next = (rows.len() as i64 == EXPORT_BATCH).then(|| rows.last().map(|r| r.seq)).flatten();
            let bytes = csv_rows(&rows, after == 0)?;
            Ok::<_, anyhow::Error>(Some((bytes, next)))
        }
    });
    let name = format!("kycdesk-audit-{}.csv", crate::db::now().date());
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        Body::from_stream(batches),
    )
        .into_response())
}

/// Recomputes the chain and says where it breaks, if it does.
pub async fn verify(
    State(state): State<AppState>,
    me: Staff<VerifyAudit>,
    Client(origin): Client,
) -> AppResult<Response> {
    let outcome = state.db.run(|conn| verify::verify(conn).map_err(anyhow::Error::from)).await?;
    let details = match &outcome {
        verify::Outcome::Intact { rows } => json!({ "intact": true, "rows": rows }),
        verify::Outcome::Broken { seq, reason } => json!({ "intact": false, "seq": seq, "reason": reason }),
    };
    record(&state.db, &me, origin, "audit.verified", details).await?;
    let level = if outcome.is_intact() { FlashLevel::Success } else { FlashLevel::Error };
    me.session.flash(level, format!("{outcome}."));
    Ok(Redirect::to("/console/audit").into_response())
}
