//! Reading the audit log: filtered pages for the console and batches for the
//! CSV export.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::AuditRow;
use crate::db::schema::audit_log;
use crate::db::{self, DbConnection};

/// Which rows to read; every part is optional.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor_kind: Option<String>,
    pub actor_id: Option<String>,
    /// Part of the action, e.g. `kyc.` or `login`.
    pub action: Option<String>,
    pub subject_kind: Option<String>,
    pub subject_id: Option<String>,
    /// From this time on (inclusive).
    pub from: Option<PrimitiveDateTime>,
    /// Before this time (exclusive).
    pub until: Option<PrimitiveDateTime>,
}

type Boxed = audit_log::BoxedQuery<'static, <DbConnection as diesel::Connection>::Backend>;

fn filtered(filter: &AuditFilter) -> Boxed {
    let mut query = audit_log::table.into_boxed();
    if let Some(kind) = &filter.actor_kind {
        query = query.filter(audit_log::actor_kind.eq(kind.clone()));
    }
    if let Some(id) = &filter.actor_id {
        query = query.filter(audit_log::actor_id.eq(id.clone()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_log::action.like(db::contains_pattern(action)).escape('\\'));
    }
    if let Some(kind) = &filter.subject_kind {
        query = query.filter(audit_log::subject_kind.eq(kind.clone()));
    }
    if let Some(id) = &filter.subject_id {
        query = query.filter(audit_log::subject_id.eq(id.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::occurred_at.ge(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_log::occurred_at.lt(until));
    }
    query
}

/// Up to `limit` matching rows older than `before` (all when `None`), newest
/// first.
pub fn newest(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut query = filtered(filter).order(audit_log::seq.desc()).limit(limit);
    if let Some(before) = before {
        query = query.filter(audit_log::seq.lt(before));
    }
    query.select(AuditRow::as_select()).load(conn)
}

/// Up to `limit` matching rows after `after`, oldest first: one batch of an
/// export.
pub fn batch_after(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    filtered(filter)
        .filter(audit_log::seq.gt(after))
        .order(audit_log::seq.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
}

/// What happened to or by a customer, newest first: rows about the customer,
/// rows the customer made, and rows about their KYC submissions.
pub fn about_customer(
    conn: &mut DbConnection,
    customer_id: i64,
    submission_ids: &[i64],
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let id = customer_id.to_string();
    let submissions: Vec<String> = submission_ids.iter().map(i64::to_string).collect();
    audit_log::table
        .filter(
            (audit_log::subject_kind.eq("customer").and(audit_log::subject_id.eq(id.clone())))
                .or(audit_log::actor_kind.eq("customer").and(audit_log::actor_id.eq(id)))
                .or(audit_log::subject_kind.eq("kyc_submission").and(audit_log::subject_id.eq_any(submissions))),
        )
        .order(audit_log::seq.desc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
}
