//! Staff review of KYC submissions: the queue, claims, and decisions.
//!
//! Every claim and decision is a conditional update of the submission row
//! (in review, claimed by the acting reviewer) inside one write transaction
//! with its history step, audit row and the customer's email, so a double
//! click or two reviewers racing cannot produce two decisions.

use std::collections::HashMap;
use std::sync::Arc;

use diesel::prelude::*;
use serde_json::json;
use time::PrimitiveDateTime;

use super::submissions::{Document, Submission, record_event};
use super::{EntityTypes, KycStatus};
use crate::accounts::{self, Customer};
use crate::audit::{self, Actor, Event, Origin};
use crate::config::Config;
use crate::db::schema::{customers, kyc_approvals, kyc_change_requests, kyc_documents, kyc_events, kyc_submissions};
use crate::db::{self, Db, DbConnection};
use crate::domain::Invalid;
use crate::mail::{Mailer, outbox};
use crate::staff;

/// The staff member acting on a submission.
#[derive(Clone, Debug)]
pub struct Reviewer {
    pub id: i64,
    pub email: String,
    /// May give the second approval of a four-eyes entity type.
    pub senior: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("No such submission.")]
    NotFound,
    #[error("You cannot review the account that uses your own email address.")]
    OwnAccount,
    #[error("This submission is not waiting for review.")]
    NotReviewable,
    #[error("{0} is reviewing this submission.")]
    ClaimedByOther(String),
    #[error("Claim the submission before deciding it; it may have been decided or released meanwhile.")]
    NotClaimed,
    #[error("This submission has its first approval; only a senior reviewer can give the second.")]
    NeedsSenior,
    #[error("You gave the first approval; a different senior reviewer must give the second.")]
    SameApprover,
    #[error("The entity type of this submission does not ask for that document.")]
    UnknownDocument,
    #[error("Only the reviewer who claimed it or a senior reviewer can release this submission.")]
    CannotRelease,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<diesel::result::Error> for ReviewError {
    fn from(e: diesel::result::Error) -> Self {
        ReviewError::Internal(e.into())
    }
}

impl From<db::DbError> for ReviewError {
    fn from(e: db::DbError) -> Self {
        ReviewError::Internal(e.into())
    }
}

/// Why a submission is rejected: the reason customers are told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectionReason {
    Illegible,
    Mismatch,
    Expired,
    Ineligible,
    SuspectedFraud,
    Other,
}

impl RejectionReason {
    pub const ALL: [RejectionReason; 6] = [
        RejectionReason::Illegible,
        RejectionReason::Mismatch,
        RejectionReason::Expired,
        RejectionReason::Ineligible,
        RejectionReason::SuspectedFraud,
        RejectionReason::Other,
    ];

    pub fn parse(raw: &str) -> Result<RejectionReason, Invalid> {
        RejectionReason::ALL.into_iter().find(|r| r.as_str() == raw).ok_or(Invalid("Choose a reason from the list."))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RejectionReason::Illegible => "illegible",
            RejectionReason::Mismatch => "mismatch",
            RejectionReason::Expired => "expired",
            RejectionReason::Ineligible => "ineligible",
            RejectionReason::SuspectedFraud => "suspected_fraud",
            RejectionReason::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RejectionReason::Illegible => "Documents are unreadable",
            RejectionReason::Mismatch => "Documents do not match the account details",
            RejectionReason::Expired => "Documents have expired",
            RejectionReason::Ineligible => "The business is not one we can serve",
            RejectionReason::SuspectedFraud => "Documents could not be verified",
            RejectionReason::Other => "Other",
        }
    }
}

/// A reviewer's free text to the customer: up to 1000 characters, line
/// breaks kept, no other control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewNote(String);

impl ReviewNote {
    /// `None` for a blank note.
    pub fn parse(raw: &str) -> Result<Option<ReviewNote>, Invalid> {
        let text = raw.trim().replace("\r\n", "\n");
        if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(Invalid("Remove the control characters from the note."));
        }
        match text.chars().count() {
            0 => Ok(None),
            1..=1000 => Ok(Some(ReviewNote(text))),
            _ => Err(Invalid("Keep the note under 1000 characters.")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Debug)]
pub struct Rejection {
    pub reason: RejectionReason,
    pub note: Option<ReviewNote>,
    /// The customer may not start a new submission.
    pub is_final: bool,
}

impl Rejection {
    /// "Other" needs a note: the customer must be told something.
    pub fn new(reason: RejectionReason, note: Option<ReviewNote>, is_final: bool) -> Result<Rejection, Invalid> {
        if reason == RejectionReason::Other && note.is_none() {
            return Err(Invalid("Say why, for the customer."));
        }
        Ok(Rejection { reason, note, is_final })
    }

    /// What the customer reads.
    fn summary(&self) -> String {
        match (&self.reason, &self.note) {
            (RejectionReason::Other, Some(note)) => note.as_str().to_string(),
            (reason, Some(note)) => format!("{}. {}", reason.label(), note.as_str()),
            (reason, None) => reason.label().to_string(),
        }
    }
}

/// What a reviewer asks the customer to change about one document.
#[derive(Clone, Debug)]
pub struct ChangeRequest {
    pub doc_key: String,
    pub reason: ReviewNote,
}

#[derive(Clone, Debug)]
pub enum Decision {
    Approve,
    Reject(Rejection),
    RequestChanges(Vec<ChangeRequest>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A four-eyes submission has its first approval and waits for a senior.
    FirstApproval,
    Approved,
    Rejected,
    ChangesRequested,
}

/// Which submissions the queue lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueView {
    /// Submitted or in review: the work still to do.
    Waiting,
    Status(KycStatus),
    /// Everything a customer has submitted at some point.
    All,
}

#[derive(Clone, Debug)]
pub struct QueueFilter {
    pub view: QueueView,
    pub entity_type: Option<String>,
    /// Part of the customer's email, name or company name.
    pub search: Option<String>,
}

pub struct QueueItem {
    pub submission: Submission,
    pub customer: Customer,
    pub approvals: usize,
    pub claimed_by: Option<String>,
}

/// The submissions matching `filter`, oldest submission first.
pub fn queue(conn: &mut DbConnection, filter: &QueueFilter, limit: i64) -> QueryResult<Vec<QueueItem>> {
    let mut query = kyc_submissions::table
        .inner_join(customers::table)
        .filter(kyc_submissions::status.ne(KycStatus::Draft.as_str()))
        .select((Submission::as_select(), Customer::as_select()))
        .order((kyc_submissions::submitted_at.asc(), kyc_submissions::id.asc()))
        .limit(limit)
        .into_boxed();
    query = match filter.view {
        QueueView::Waiting => {
            query.filter(kyc_submissions::status.eq_any([KycStatus::Submitted.as_str(), KycStatus::InReview.as_str()]))
        }
        QueueView::Status(status) => query.filter(kyc_submissions::status.eq(status.as_str())),
        QueueView::All => query,
    };
    if let Some(entity_type) = &filter.entity_type {
        query = query.filter(kyc_submissions::entity_type.eq(entity_type.clone()));
    }
    if let Some(search) = &filter.search {
        query = query.filter(accounts::customer_matches!(search));
    }
    let rows: Vec<(Submission, Customer)> = query.load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|(s, _)| s.id).collect();
    let approvals: Vec<(i64, i32)> = kyc_approvals::table
        .filter(kyc_approvals::submission_id.eq_any(&ids))
        .select((kyc_approvals::submission_id, kyc_approvals::review_round))
        .load(conn)?;
    let names = staff::names(conn, rows.iter().filter_map(|(s, _)| s.claimed_by).collect())?;
    Ok(rows
        .into_iter()
        .map(|(submission, customer)| QueueItem {
            approvals: approvals
                .iter()
                .filter(|(id, round)| *id == submission.id && *round == submission.review_round)
                .count(),
            claimed_by: submission.claimed_by.and_then(|id| names.get(&id).cloned()),
            submission,
            customer,
        })
        .collect())
}

/// One step of a submission's history.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = kyc_events)]
pub struct HistoryStep {
    pub status: String,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub note: Option<String>,
    pub occurred_at: PrimitiveDateTime,
}

/// A change a reviewer asked for, in any round.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = kyc_change_requests)]
pub struct AskedChange {
    pub doc_key: String,
    pub reason: String,
    pub requested_at: PrimitiveDateTime,
    pub resolved_at: Option<PrimitiveDateTime>,
}

/// Everything a reviewer sees about one submission.
pub struct Case {
    pub submission: Submission,
    pub customer: Customer,
    /// Every version of every document, oldest first; replaced ones carry
    /// `removed_at`.
    pub documents: Vec<Document>,
    pub changes: Vec<AskedChange>,
    pub history: Vec<HistoryStep>,
    /// Who approved in the current round.
    pub approvals: Vec<i64>,
    /// Names of the staff members the case mentions.
    pub staff_names: HashMap<i64, String>,
}

pub fn case(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Case>> {
    let Some((submission, customer)) = load(conn, id)? else { return Ok(None) };
    let documents = kyc_documents::table
        .filter(kyc_documents::submission_id.eq(id))
        .order(kyc_documents::id.asc())
        .select(Document::as_select())
        .load(conn)?;
    let changes = kyc_change_requests::table
        .filter(kyc_change_requests::submission_id.eq(id))
        .order(kyc_change_requests::id.asc())
        .select(AskedChange::as_select())
        .load(conn)?;
    let history: Vec<HistoryStep> = kyc_events::table
        .filter(kyc_events::submission_id.eq(id))
        .order(kyc_events::id.asc())
        .select(HistoryStep::as_select())
        .load(conn)?;
    let approvals = approvals_in_round(conn, &submission)?;
    let mut mentioned: Vec<i64> =
        history.iter().filter(|h| h.actor_kind == "staff").filter_map(|h| h.actor_id).collect();
    mentioned.extend(&approvals);
    mentioned.extend(submission.claimed_by);
    let staff_names = staff::names(conn, mentioned)?;
    Ok(Some(Case { submission, customer, documents, changes, history, approvals, staff_names }))
}

fn load(conn: &mut DbConnection, id: i64) -> QueryResult<Option<(Submission, Customer)>> {
    kyc_submissions::table
        .inner_join(customers::table)
        .filter(kyc_submissions::id.eq(id))
        .filter(kyc_submissions::status.ne(KycStatus::Draft.as_str()))
        .select((Submission::as_select(), Customer::as_select()))
        .first(conn)
        .optional()
}

/// The submission and its customer, refusing a reviewer who is that customer.
fn load_for(conn: &mut DbConnection, reviewer: &Reviewer, id: i64) -> Result<(Submission, Customer), ReviewError> {
    let (submission, customer) = load(conn, id)?.ok_or(ReviewError::NotFound)?;
    if customer.email.eq_ignore_ascii_case(&reviewer.email) {
        return Err(ReviewError::OwnAccount);
    }
    Ok((submission, customer))
}

fn approvals_in_round(conn: &mut DbConnection, submission: &Submission) -> QueryResult<Vec<i64>> {
    kyc_approvals::table
        .filter(kyc_approvals::submission_id.eq(submission.id))
        .filter(kyc_approvals::review_round.eq(submission.review_round))
        .order(kyc_approvals::approved_at.asc())
        .select(kyc_approvals::staff_id)
        .load(conn)
}

fn holder_name(conn: &mut DbConnection, staff_id: i64) -> QueryResult<String> {
    Ok(staff::names(conn, vec![staff_id])?.remove(&staff_id).unwrap_or_else(|| "Another reviewer".into()))
}

/// Queues the email that tells the customer the outcome.
fn tell(
    conn: &mut DbConnection,
    mailer: &Mailer,
    template: &'static str,
    customer: &Customer,
    context: &serde_json::Value,
) -> Result<(), ReviewError> {
    let email = mailer.compose(template, customer.recipient(), context, false).map_err(anyhow::Error::from)?;
    outbox::enqueue(conn, &email)?;
    Ok(())
}

fn tell_approved(conn: &mut DbConnection, mailer: &Mailer, customer: &Customer, link: &str) -> Result<(), ReviewError> {
    tell(conn, mailer, "kyc_approved", customer, &json!({ "name": customer.display_name(), "link": link }))
}

fn event<'a>(reviewer: &Reviewer, action: &'a str, origin: &'a Origin, submission_id: i64) -> Event<'a> {
    Event::new(Actor::Staff(reviewer.id), action, origin).subject("kyc_submission", submission_id)
}

/// Takes a submission from the queue so no one else works on it. A four-eyes
/// submission with its first approval can be claimed by another senior
/// reviewer only.
pub async fn claim(db: &Db, reviewer: Reviewer, id: i64, origin: Origin) -> Result<(), ReviewError> {
    db.write(move |conn| -> Result<(), ReviewError> {
        let (submission, customer) = load_for(conn, &reviewer, id)?;
        match (submission.status(), submission.claimed_by) {
            (KycStatus::InReview, Some(holder)) if holder == reviewer.id => return Ok(()),
            (KycStatus::InReview, Some(holder)) => return Err(ReviewError::ClaimedByOther(holder_name(conn, holder)?)),
            (KycStatus::InReview, None) => {
                let approvals = approvals_in_round(conn, &submission)?;
                if approvals.contains(&reviewer.id) {
                    return Err(ReviewError::SameApprover);
                }
                if !reviewer.senior {
                    return Err(ReviewError::NeedsSenior);
                }
            }
            (KycStatus::Submitted, _) => {}
            _ => return Err(ReviewError::NotReviewable),
        }
        let now = db::now();
        let claimed = diesel::update(
            kyc_submissions::table
                .filter(kyc_submissions::id.eq(id))
                .filter(kyc_submissions::claimed_by.is_null())
                .filter(kyc_submissions::status.eq(submission.status.clone())),
        )
        .set((
            kyc_submissions::status.eq(KycStatus::InReview.as_str()),
            kyc_submissions::claimed_by.eq(reviewer.id),
            kyc_submissions::claimed_at.eq(now),
        ))
        .execute(conn)?;
        if claimed == 0 {
            // Someone claimed it since it was read (on PostgreSQL the update
            // waited for their commit): say who.
            let holder = load(conn, id)?.and_then(|(s, _)| s.claimed_by);
            return Err(match holder {
                Some(holder) => ReviewError::ClaimedByOther(holder_name(conn, holder)?),
                None => ReviewError::NotReviewable,
            });
        }
        if submission.status() == KycStatus::Submitted {
            record_event(conn, id, KycStatus::InReview, Actor::Staff(reviewer.id), None)?;
        }
        audit::record(
            conn,
            event(&reviewer, "kyc.claimed", &origin, id)
                .details(json!({ "customer_id": customer.id, "round": submission.review_round })),
        )?;
        Ok(())
    })
    .await
}

/// Gives a claimed submission back to the queue: the holder may, and so may a
/// senior reviewer (`may_reassign`) when the holder is away.
pub async fn release(
    db: &Db,
    reviewer: Reviewer,
    may_reassign: bool,
    id: i64,
    origin: Origin,
) -> Result<(), ReviewError> {
    db.write(move |conn| -> Result<(), ReviewError> {
        let (submission, _) = load(conn, id)?.ok_or(ReviewError::NotFound)?;
        let Some(holder) = submission.claimed_by.filter(|_| submission.status() == KycStatus::InReview) else {
            return Err(ReviewError::NotClaimed);
        };
        if holder != reviewer.id && !may_reassign {
            return Err(ReviewError::CannotRelease);
        }
        // Without an approval in this round it is plainly waiting again.
        let back_to =
            if approvals_in_round(conn, &submission)?.is_empty() { KycStatus::Submitted } else { KycStatus::InReview };
        let released = diesel::update(
            kyc_submissions::table.filter(kyc_submissions::id.eq(id)).filter(kyc_submissions::claimed_by.eq(holder)),
        )
        .set((
            kyc_submissions::status.eq(back_to.as_str()),
            kyc_submissions::claimed_by.eq(None::<i64>),
            kyc_submissions::claimed_at.eq(None::<PrimitiveDateTime>),
        ))
        .execute(conn)?;
        if released == 0 {
            return Err(ReviewError::NotClaimed);
        }
        if back_to == KycStatus::Submitted {
            record_event(conn, id, KycStatus::Submitted, Actor::Staff(reviewer.id), Some("Released to the queue"))?;
        }
        audit::record(conn, event(&reviewer, "kyc.released", &origin, id).details(json!({ "holder": holder })))?;
        Ok(())
    })
    .await
}

/// What the deciding transaction needs besides the database.
pub struct Notify {
    pub mailer: Mailer,
    pub config: Arc<Config>,
    pub entity_types: Arc<EntityTypes>,
}

/// Approves, rejects or sends back a submission the reviewer has claimed,
/// and emails the customer the outcome.
pub async fn decide(
    db: &Db,
    notify: Notify,
    reviewer: Reviewer,
    id: i64,
    decision: Decision,
    origin: Origin,
) -> Result<Outcome, ReviewError> {
    let Notify { mailer, config, entity_types: types } = notify;
    let (kyc_link, dashboard_link, support_link) =
        (config.link("/settings/kyc"), config.link("/dashboard"), config.link("/support"));
    db.write(move |conn| -> Result<Outcome, ReviewError> {
        let (submission, customer) = load_for(conn, &reviewer, id)?;
        match submission.status() {
            KycStatus::InReview => {}
            KycStatus::Submitted => return Err(ReviewError::NotClaimed),
            _ => return Err(ReviewError::NotReviewable),
        }
        match submission.claimed_by {
            Some(holder) if holder == reviewer.id => {}
            Some(holder) => return Err(ReviewError::ClaimedByOther(holder_name(conn, holder)?)),
            None => return Err(ReviewError::NotClaimed),
        }
        let entity_type = types.get(&submission.entity_type);
        let now = db::now();
        // Only the row still in review and claimed by this reviewer moves:
        // the second of two racing decisions finds nothing to update.
        let guarded = kyc_submissions::table
            .filter(kyc_submissions::id.eq(id))
            .filter(kyc_submissions::status.eq(KycStatus::InReview.as_str()))
            .filter(kyc_submissions::claimed_by.eq(reviewer.id));
        let unclaimed =
            (kyc_submissions::claimed_by.eq(None::<i64>), kyc_submissions::claimed_at.eq(None::<PrimitiveDateTime>));
        let greeting = customer.display_name().to_string();
        match decision {
            Decision::Approve => {
                let approvals = approvals_in_round(conn, &submission)?;
                if approvals.contains(&reviewer.id) {
                    return Err(ReviewError::SameApprover);
                }
                if !approvals.is_empty() && !reviewer.senior {
                    return Err(ReviewError::NeedsSenior);
                }
                let needed = types.approvals_needed(&submission.entity_type);
                let complete = approvals.len() + 1 >= needed;
                let moved = if complete {
                    diesel::update(guarded)
                        .set((
                            kyc_submissions::status.eq(KycStatus::Approved.as_str()),
                            kyc_submissions::decided_at.eq(now),
                            kyc_submissions::decision_reason.eq(None::<String>),
                            unclaimed,
                        ))
                        .execute(conn)?
                } else {
                    diesel::update(guarded).set(unclaimed).execute(conn)?
                };
                if moved == 0 {
                    return Err(ReviewError::NotClaimed);
                }
                diesel::insert_into(kyc_approvals::table)
                    .values((
                        kyc_approvals::submission_id.eq(id),
                        kyc_approvals::review_round.eq(submission.review_round),
                        kyc_approvals::staff_id.eq(reviewer.id),
                        kyc_approvals::approved_at.eq(now),
                    ))
                    .execute(conn)?;
                let mut approvers = approvals;
                approvers.push(reviewer.id);
                let details = json!({ "customer_id": customer.id, "approvers": approvers, "needed": needed });
                if !complete {
                    let note = "First approval; a senior reviewer gives the second";
                    record_event(conn, id, KycStatus::InReview, Actor::Staff(reviewer.id), Some(note))?;
                    audit::record(conn, event(&reviewer, "kyc.first_approval", &origin, id).details(details))?;
                    return Ok(Outcome::FirstApproval);
                }
                record_event(conn, id, KycStatus::Approved, Actor::Staff(reviewer.id), None)?;
                tell_approved(conn, &mailer, &customer, &dashboard_link)?;
                audit::record(conn, event(&reviewer, "kyc.approved", &origin, id).details(details))?;
                Ok(Outcome::Approved)
            }
            Decision::Reject(rejection) => {
                let summary = rejection.summary();
                let moved = diesel::update(guarded)
                    .set((
                        kyc_submissions::status.eq(KycStatus::Rejected.as_str()),
                        kyc_submissions::decided_at.eq(now),
                        kyc_submissions::decision_reason.eq(&summary),
                        kyc_submissions::rejection_final.eq(rejection.is_final),
                        unclaimed,
                    ))
                    .execute(conn)?;
                if moved == 0 {
                    return Err(ReviewError::NotClaimed);
                }
                record_event(conn, id, KycStatus::Rejected, Actor::Staff(reviewer.id), Some(&summary))?;
                tell(
                    conn,
                    &mailer,
                    "kyc_rejected",
                    &customer,
                    &json!({
                        "name": greeting,
                        "reason": summary,
                        "final": rejection.is_final,
                        "link": if rejection.is_final { support_link } else { kyc_link },
                    }),
                )?;
                audit::record(
                    conn,
                    event(&reviewer, "kyc.rejected", &origin, id).details(json!({
                        "customer_id": customer.id,
                        "reason": rejection.reason.as_str(),
                        "note": rejection.note.as_ref().map(ReviewNote::as_str),
                        "final": rejection.is_final,
                    })),
                )?;
                Ok(Outcome::Rejected)
            }
            Decision::RequestChanges(requests) => {
                if requests.iter().any(|r| entity_type.and_then(|t| t.document(&r.doc_key)).is_none()) {
                    return Err(ReviewError::UnknownDocument);
                }
                let moved = diesel::update(guarded)
                    .set((
                        kyc_submissions::status.eq(KycStatus::ChangesRequested.as_str()),
                        kyc_submissions::decided_at.eq(now),
                        unclaimed,
                    ))
                    .execute(conn)?;
                if moved == 0 {
                    return Err(ReviewError::NotClaimed);
                }
                for request in &requests {
                    diesel::insert_into(kyc_change_requests::table)
                        .values((
                            kyc_change_requests::submission_id.eq(id),
                            kyc_change_requests::doc_key.eq(&request.doc_key),
                            kyc_change_requests::reason.eq(request.reason.as_str()),
                            kyc_change_requests::requested_at.eq(now),
                        ))
                        .execute(conn)?;
                }
                record_event(conn, id, KycStatus::ChangesRequested, Actor::Staff(reviewer.id), None)?;
                let label = |key: &str| entity_type.and_then(|t| t.document(key)).map(|d| d.label.clone());
                let asked: Vec<_> = requests
                    .iter()
                    .map(|r| json!({ "document": label(&r.doc_key), "reason": r.reason.as_str() }))
                    .collect();
                tell(
                    conn,
                    &mailer,
                    "kyc_changes_requested",
                    &customer,
                    &json!({ "name": greeting, "requests": asked, "link": kyc_link }),
                )?;
                audit::record(
                    conn,
                    event(&reviewer, "kyc.changes_requested", &origin, id).details(json!({
                        "customer_id": customer.id,
                        "documents": requests.iter().map(|r| r.doc_key.as_str()).collect::<Vec<_>>(),
                    })),
                )?;
                Ok(Outcome::ChangesRequested)
            }
        }
    })
    .await
}

/// Sends the customer the approval email again (when the first never came).
/// `false` when their KYC is not approved.
pub async fn resend_approval(
    db: &Db,
    mailer: &Mailer,
    config: &Config,
    staff_id: i64,
    customer_id: i64,
    origin: Origin,
) -> Result<bool, ReviewError> {
    let (mailer, link) = (mailer.clone(), config.link("/dashboard"));
    db.write(move |conn| -> Result<bool, ReviewError> {
        let customer = accounts::find(conn, customer_id)?.ok_or(ReviewError::NotFound)?;
        let Some(submission) =
            super::submissions::current(conn, customer_id)?.filter(|s| s.status() == KycStatus::Approved)
        else {
            return Ok(false);
        };
        tell_approved(conn, &mailer, &customer, &link)?;
        audit::record(
            conn,
            Event::new(Actor::Staff(staff_id), "kyc.approval_resent", &origin)
                .subject("customer", customer_id)
                .details(json!({ "submission_id": submission.id })),
        )?;
        Ok(true)
    })
    .await
}

/// A document (any version) of submission `id` for a staff member allowed to
/// see documents; each look is audited, since these are identity papers.
pub async fn open_document(
    db: &Db,
    staff_id: i64,
    id: i64,
    document_id: i64,
    origin: Origin,
) -> anyhow::Result<Option<Document>> {
    db.write(move |conn| -> anyhow::Result<Option<Document>> {
        // Drafts are the customer's own until submitted, as on the case page.
        let document: Option<Document> = kyc_documents::table
            .inner_join(kyc_submissions::table)
            .filter(kyc_documents::id.eq(document_id))
            .filter(kyc_documents::submission_id.eq(id))
            .filter(kyc_submissions::status.ne(KycStatus::Draft.as_str()))
            .select(Document::as_select())
            .first(conn)
            .optional()?;
        if let Some(document) = &document {
            audit::record(
                conn,
                Event::new(Actor::Staff(staff_id), "kyc.document_viewed", &origin)
                    .subject("kyc_submission", id)
                    .details(json!({ "document_id": document.id, "doc_key": document.doc_key })),
            )?;
        }
        Ok(document)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(ReviewNote::parse("  \r\n ").unwrap(), None);
        assert_eq!(ReviewNote::parse(" Blurred\r\nphoto ").unwrap().unwrap().as_str(), "Blurred\nphoto");
        assert!(ReviewNote::parse("a\u{7}b").is_err());
        assert!(ReviewNote::parse(&"x".repeat(1001)).is_err());
    }

    #[test]
    fn a_rejection_for_another_reason_must_say_why() {
        assert!(Rejection::new(RejectionReason::Other, None, false).is_err());
        let note = ReviewNote::parse("Scanned upside down").unwrap();
        let other = Rejection::new(RejectionReason::Other, note.clone(), false).unwrap();
        assert_eq!(other.summary(), "Scanned upside down");
        let expired = Rejection::new(RejectionReason::Expired, note, true).unwrap();
        assert_eq!(expired.summary(), "Documents have expired. Scanned upside down");
        assert_eq!(
            Rejection::new(RejectionReason::Illegible, None, false).unwrap().summary(),
            "Documents are unreadable"
        );
    }
}
