//! A customer's KYC submission: choosing the entity type, adding and removing
//! documents while it is editable, and submitting it for review. Every
//! version of every document is kept; a replaced one is only marked removed.

use std::collections::HashMap;
use std::time::Duration;

use diesel::prelude::*;
use serde_json::json;
use time::PrimitiveDateTime;

use super::storage::DocumentStore;
use super::upload::Stored;
use super::{EntityTypes, KycStatus};
use crate::audit::{self, Actor, Event, Origin};
use crate::db::schema::{kyc_change_requests, kyc_documents, kyc_events, kyc_submissions};
use crate::db::{self, Db, DbConnection};
use crate::domain::AccountType;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = kyc_submissions)]
pub struct Submission {
    pub id: i64,
    pub customer_id: i64,
    pub entity_type: String,
    pub status: String,
    pub created_at: PrimitiveDateTime,
    pub submitted_at: Option<PrimitiveDateTime>,
    pub decided_at: Option<PrimitiveDateTime>,
    pub decision_reason: Option<String>,
    pub rejection_final: bool,
    pub claimed_by: Option<i64>,
    pub claimed_at: Option<PrimitiveDateTime>,
    pub review_round: i32,
}

impl Submission {
    pub fn status(&self) -> KycStatus {
        KycStatus::parse(&self.status).unwrap_or(KycStatus::Draft)
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = kyc_documents)]
pub struct Document {
    pub id: i64,
    pub submission_id: i64,
    pub customer_id: i64,
    pub doc_key: String,
    pub storage_key: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub content_type: String,
    pub original_name: String,
    pub uploaded_at: PrimitiveDateTime,
    pub removed_at: Option<PrimitiveDateTime>,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = kyc_change_requests)]
pub struct ChangeRequest {
    pub doc_key: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KycError {
    #[error("Your submission cannot be changed while it is being reviewed or after a decision.")]
    NotEditable,
    #[error("Choose an entity type from the list.")]
    UnknownEntityType,
    #[error("Choose your entity type first.")]
    NoSubmission,
    #[error("This entity type does not ask for that document.")]
    UnknownDocument,
    #[error("Only the documents the reviewer asked about can be changed now.")]
    NotRequested,
    #[error("Still missing: {}.", .0.join("; "))]
    Incomplete(Vec<String>),
    #[error("Your documents would take more than {0} MB in total. Remove a document you no longer need first.")]
    QuotaExceeded(u64),
    #[error("Your KYC was rejected with a final decision. Please contact support.")]
    RejectedFinally,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<diesel::result::Error> for KycError {
    fn from(e: diesel::result::Error) -> Self {
        KycError::Internal(e.into())
    }
}

impl From<db::DbError> for KycError {
    fn from(e: db::DbError) -> Self {
        KycError::Internal(e.into())
    }
}

/// The customer's latest submission.
pub fn current(conn: &mut DbConnection, customer_id: i64) -> QueryResult<Option<Submission>> {
    kyc_submissions::table
        .filter(kyc_submissions::customer_id.eq(customer_id))
        .order(kyc_submissions::id.desc())
        .select(Submission::as_select())
        .first(conn)
        .optional()
}

/// Every submission of the customer, newest first.
pub fn all_of(conn: &mut DbConnection, customer_id: i64) -> QueryResult<Vec<Submission>> {
    kyc_submissions::table
        .filter(kyc_submissions::customer_id.eq(customer_id))
        .order(kyc_submissions::id.desc())
        .select(Submission::as_select())
        .load(conn)
}

/// Submissions per status, for the metrics page and the console overview.
pub fn count_by_status(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    kyc_submissions::table
        .group_by(kyc_submissions::status)
        .select((kyc_submissions::status, diesel::dsl::count_star()))
        .load(conn)
}

/// The status of each listed customer's latest submission.
pub fn latest_statuses(conn: &mut DbConnection, customer_ids: &[i64]) -> QueryResult<HashMap<i64, KycStatus>> {
    let rows: Vec<(i64, String)> = kyc_submissions::table
        .filter(kyc_submissions::customer_id.eq_any(customer_ids))
        .order(kyc_submissions::id.asc())
        .select((kyc_submissions::customer_id, kyc_submissions::status))
        .load(conn)?;
    // Ascending ids: the last insert per customer is their latest.
    Ok(rows.into_iter().filter_map(|(customer, status)| Some((customer, KycStatus::parse(&status)?))).collect())
}

/// The documents in force in a submission (not replaced or removed).
pub fn live_documents(conn: &mut DbConnection, submission_id: i64) -> QueryResult<Vec<Document>> {
    kyc_documents::table
        .filter(kyc_documents::submission_id.eq(submission_id))
        .filter(kyc_documents::removed_at.is_null())
        .order(kyc_documents::uploaded_at.asc())
        .select(Document::as_select())
        .load(conn)
}

/// What the reviewer asked to change and the customer has not resubmitted yet.
pub fn open_change_requests(conn: &mut DbConnection, submission_id: i64) -> QueryResult<Vec<ChangeRequest>> {
    kyc_change_requests::table
        .filter(kyc_change_requests::submission_id.eq(submission_id))
        .filter(kyc_change_requests::resolved_at.is_null())
        .select(ChangeRequest::as_select())
        .load(conn)
}

/// Adds a step to the submission's history: its new status, who moved it
/// there and, for staff decisions, a note.
pub fn record_event(
    conn: &mut DbConnection,
    submission_id: i64,
    status: KycStatus,
    actor: Actor,
    note: Option<&str>,
) -> QueryResult<()> {
    let (actor_kind, actor_id) = match actor {
        Actor::Customer(id) => ("customer", Some(id)),
        Actor::Staff(id) => ("staff", Some(id)),
        Actor::Job(_) => ("job", None),
        Actor::Anonymous | Actor::System => ("system", None),
    };
    diesel::insert_into(kyc_events::table)
        .values((
            kyc_events::submission_id.eq(submission_id),
            kyc_events::status.eq(status.as_str()),
            kyc_events::actor_kind.eq(actor_kind),
            kyc_events::actor_id.eq(actor_id),
            kyc_events::note.eq(note),
            kyc_events::occurred_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

fn event<'a>(customer_id: i64, action: &'a str, origin: &'a Origin, submission_id: i64) -> Event<'a> {
    Event::new(Actor::Customer(customer_id), action, origin).subject("kyc_submission", submission_id)
}

/// Starts a submission with `entity_type`, or changes the type of a draft
/// (documents the new type does not ask for are set aside).
pub async fn choose_entity_type(
    db: &Db,
    types: &EntityTypes,
    customer_id: i64,
    account_type: AccountType,
    entity_type: String,
    origin: Origin,
) -> Result<(), KycError> {
    let chosen = types.get(&entity_type).filter(|t| t.allows(account_type)).ok_or(KycError::UnknownEntityType)?.clone();
    db.write(move |conn| -> Result<(), KycError> {
        let now = db::now();
        match current(conn, customer_id)? {
            Some(s) if s.status() == KycStatus::Draft => {
                if s.entity_type == chosen.key {
                    return Ok(());
                }
                diesel::update(kyc_submissions::table.find(s.id))
                    .set(kyc_submissions::entity_type.eq(&chosen.key))
                    .execute(conn)?;
                let keep: Vec<&str> = chosen.documents.iter().map(|d| d.key.as_str()).collect();
                diesel::update(
                    kyc_documents::table
                        .filter(kyc_documents::submission_id.eq(s.id))
                        .filter(kyc_documents::removed_at.is_null())
                        .filter(kyc_documents::doc_key.ne_all(keep)),
                )
                .set(kyc_documents::removed_at.eq(now))
                .execute(conn)?;
                audit::record(
                    conn,
                    event(customer_id, "kyc.entity_type_changed", &origin, s.id)
                        .details(json!({ "from": s.entity_type, "to": chosen.key })),
                )?;
                Ok(())
            }
            Some(s) if s.status() == KycStatus::Rejected && s.rejection_final => Err(KycError::RejectedFinally),
            Some(s) if s.status() != KycStatus::Rejected => Err(KycError::NotEditable),
            _ => {
                let id: i64 = diesel::insert_into(kyc_submissions::table)
                    .values((
                        kyc_submissions::customer_id.eq(customer_id),
                        kyc_submissions::entity_type.eq(&chosen.key),
                        kyc_submissions::status.eq(KycStatus::Draft.as_str()),
                        kyc_submissions::created_at.eq(now),
                    ))
                    .returning(kyc_submissions::id)
                    .get_result(conn)?;
                record_event(conn, id, KycStatus::Draft, Actor::Customer(customer_id), None)?;
                audit::record(
                    conn,
                    event(customer_id, "kyc.started", &origin, id).details(json!({ "entity_type": chosen.key })),
                )?;
                Ok(())
            }
        }
    })
    .await
}

/// Whether `doc_key` may be uploaded now, checked before any byte is read.
pub async fn check_upload(
    db: &Db,
    types: &EntityTypes,
    customer_id: i64,
    doc_key: &str,
) -> Result<super::entity_types::DocumentSpec, KycError> {
    let submission =
        db.run(move |conn| current(conn, customer_id).map_err(KycError::from)).await?.ok_or(KycError::NoSubmission)?;
    let spec = types
        .get(&submission.entity_type)
        .and_then(|t| t.document(doc_key))
        .cloned()
        .ok_or(KycError::UnknownDocument)?;
    if !submission.status().is_editable() {
        return Err(KycError::NotEditable);
    }
    if submission.status() == KycStatus::ChangesRequested {
        let id = submission.id;
        let requested = db.run(move |conn| open_change_requests(conn, id).map_err(KycError::from)).await?;
        if !requested.iter().any(|r| r.doc_key == spec.key) {
            return Err(KycError::NotRequested);
        }
    }
    Ok(spec)
}

/// Records a stored file as the customer's `doc_key` document, replacing
/// (and keeping) an earlier one. On any error the caller deletes the file.
pub async fn add_document(
    db: &Db,
    customer_id: i64,
    doc_key: String,
    stored: Stored,
    original_name: String,
    quota_bytes: u64,
    origin: Origin,
) -> Result<i64, KycError> {
    db.write(move |conn| -> Result<i64, KycError> {
        let submission = current(conn, customer_id)?.ok_or(KycError::NoSubmission)?;
        if !submission.status().is_editable() {
            return Err(KycError::NotEditable);
        }
        let sizes: Vec<i64> = kyc_documents::table
            .filter(kyc_documents::customer_id.eq(customer_id))
            .filter(kyc_documents::removed_at.is_null())
            .select(kyc_documents::size_bytes)
            .load(conn)?;
        if sizes.iter().map(|&s| s as u64).sum::<u64>() + stored.size > quota_bytes {
            return Err(KycError::QuotaExceeded(quota_bytes / (1024 * 1024)));
        }
        let now = db::now();
        diesel::update(
            kyc_documents::table
                .filter(kyc_documents::submission_id.eq(submission.id))
                .filter(kyc_documents::doc_key.eq(&doc_key))
                .filter(kyc_documents::removed_at.is_null()),
        )
        .set(kyc_documents::removed_at.eq(now))
        .execute(conn)?;
        let id: i64 = diesel::insert_into(kyc_documents::table)
            .values((
                kyc_documents::submission_id.eq(submission.id),
                kyc_documents::customer_id.eq(customer_id),
                kyc_documents::doc_key.eq(&doc_key),
                kyc_documents::storage_key.eq(&stored.key),
                kyc_documents::sha256.eq(&stored.sha256),
                kyc_documents::size_bytes.eq(stored.size as i64),
                kyc_documents::content_type.eq(stored.kind.mime()),
                kyc_documents::original_name.eq(&original_name),
                kyc_documents::uploaded_at.eq(now),
            ))
            .returning(kyc_documents::id)
            .get_result(conn)?;
        audit::record(
            conn,
            event(customer_id, "kyc.document_uploaded", &origin, submission.id).details(json!({
                "document_id": id,
                "doc_key": doc_key,
                "sha256": stored.sha256,
                "size": stored.size,
                "content_type": stored.kind.mime(),
                "original_name": original_name,
            })),
        )?;
        Ok(id)
    })
    .await
}

/// Sets a document aside (it stays in the history).
pub async fn remove_document(db: &Db, customer_id: i64, document_id: i64, origin: Origin) -> Result<(), KycError> {
    db.write(move |conn| -> Result<(), KycError> {
        let submission = current(conn, customer_id)?.ok_or(KycError::NoSubmission)?;
        let document: Document = kyc_documents::table
            .filter(kyc_documents::id.eq(document_id))
            .filter(kyc_documents::customer_id.eq(customer_id))
            .filter(kyc_documents::submission_id.eq(submission.id))
            .filter(kyc_documents::removed_at.is_null())
            .select(Document::as_select())
            .first(conn)
            .optional()?
            .ok_or(KycError::UnknownDocument)?;
        if !submission.status().is_editable() {
            return Err(KycError::NotEditable);
        }
        if submission.status() == KycStatus::ChangesRequested
            && !open_change_requests(conn, submission.id)?.iter().any(|r| r.doc_key == document.doc_key)
        {
            return Err(KycError::NotRequested);
        }
        diesel::update(kyc_documents::table.find(document.id))
            .set(kyc_documents::removed_at.eq(db::now()))
            .execute(conn)?;
        audit::record(
            conn,
            event(customer_id, "kyc.document_removed", &origin, submission.id)
                .details(json!({ "document_id": document.id, "doc_key": document.doc_key })),
        )?;
        Ok(())
    })
    .await
}

/// Sends the submission for review when every required document and one
/// of each group is there.
pub async fn submit(db: &Db, types: &EntityTypes, customer_id: i64, origin: Origin) -> Result<(), KycError> {
    let types = types.clone();
    db.write(move |conn| -> Result<(), KycError> {
        let submission = current(conn, customer_id)?.ok_or(KycError::NoSubmission)?;
        let status = submission.status();
        if !status.customer_can_submit() {
            return Err(KycError::NotEditable);
        }
        let entity_type = types.get(&submission.entity_type).ok_or(KycError::UnknownEntityType)?;
        let documents = live_documents(conn, submission.id)?;
        let present: Vec<&str> = documents.iter().map(|d| d.doc_key.as_str()).collect();
        let missing = entity_type.missing(&present);
        if !missing.is_empty() {
            return Err(KycError::Incomplete(missing));
        }
        if status == KycStatus::ChangesRequested {
            let requested = open_change_requests(conn, submission.id)?;
            let untouched: Vec<String> = requested
                .iter()
                .filter(|r| {
                    !documents
                        .iter()
                        .any(|d| d.doc_key == r.doc_key && submission.decided_at.is_none_or(|at| d.uploaded_at > at))
                })
                .filter_map(|r| entity_type.document(&r.doc_key).map(|d| d.label.clone()))
                .collect();
            if !untouched.is_empty() {
                return Err(KycError::Incomplete(untouched));
            }
        }
        let now = db::now();
        diesel::update(kyc_submissions::table.find(submission.id))
            .set((
                kyc_submissions::status.eq(KycStatus::Submitted.as_str()),
                kyc_submissions::submitted_at.eq(now),
                kyc_submissions::review_round.eq(kyc_submissions::review_round + 1),
            ))
            .execute(conn)?;
        diesel::update(
            kyc_change_requests::table
                .filter(kyc_change_requests::submission_id.eq(submission.id))
                .filter(kyc_change_requests::resolved_at.is_null()),
        )
        .set(kyc_change_requests::resolved_at.eq(now))
        .execute(conn)?;
        record_event(conn, submission.id, KycStatus::Submitted, Actor::Customer(customer_id), None)?;
        let action = if status == KycStatus::ChangesRequested { "kyc.resubmitted" } else { "kyc.submitted" };
        audit::record(
            conn,
            event(customer_id, action, &origin, submission.id)
                .details(json!({ "entity_type": submission.entity_type, "documents": present })),
        )?;
        Ok(())
    })
    .await
}

/// One of the customer's own documents (any version); `None` for anyone
/// else's, so another customer's id looks like a missing one.
pub async fn own_document(db: &Db, customer_id: i64, document_id: i64) -> anyhow::Result<Option<Document>> {
    db.run(move |conn| -> anyhow::Result<Option<Document>> {
        Ok(kyc_documents::table
            .filter(kyc_documents::id.eq(document_id))
            .filter(kyc_documents::customer_id.eq(customer_id))
            .select(Document::as_select())
            .first(conn)
            .optional()?)
    })
    .await
}

/// Files older than `grace` that no document row names: left by a crash
/// between writing a file and committing its row. They are deleted.
pub async fn sweep_orphan_files(db: &Db, store: &DocumentStore, grace: Duration) -> anyhow::Result<usize> {
    let cutoff = chrono::Utc::now() - grace;
    let candidates = store.keys_older_than(cutoff).await?;
    if candidates.is_empty() {
        return Ok(0);
    }
    let lookup = candidates.clone();
    let known: Vec<String> = db
        .run(move |conn| {
            kyc_documents::table
                .filter(kyc_documents::storage_key.eq_any(lookup))
                .select(kyc_documents::storage_key)
                .load(conn)
                .map_err(anyhow::Error::from)
        })
        .await?;
    let mut deleted = 0;
    for key in candidates.into_iter().filter(|k| !known.contains(k)) {
        store.delete(&key).await?;
        deleted += 1;
    }
    Ok(deleted)
}
