//! `/console/kyc`: the review queue, one submission with its customer and
//! documents, and the reviewer's claim and decisions.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::Staff;
use crate::accounts::billing;
use crate::authz::{ClaimKyc, DecideKyc, Permission, ReadKyc, ReassignKyc, SecondApproval, ViewDocuments};
use crate::domain::Pan;
use crate::kyc::review::{
    self, ChangeRequest, Decision, Outcome, QueueFilter, QueueView, Rejection, RejectionReason, ReviewError,
    ReviewNote, Reviewer,
};
use crate::kyc::{FileKind, KycStatus};
use crate::web::client::Client;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::FieldErrors;
use crate::web::session::FlashLevel;
use crate::web::{AppState, documents, view};

/// How many submissions the queue lists at once.
const QUEUE_LIMIT: i64 = 200;

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct QueueRow {
    id: i64,
    customer: String,
    email: String,
    entity_type: String,
    submitted: String,
    status: &'static str,
    status_label: &'static str,
    claimed_by: Option<String>,
    approvals: String,
}

#[derive(Serialize)]
struct QueuePage {
    rows: Vec<QueueRow>,
    views: Vec<Choice>,
    view: String,
    entity_types: Vec<Choice>,
    entity_type: String,
    q: String,
    truncated: bool,
}

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    view: String,
    #[serde(default)]
    entity_type: String,
    #[serde(default)]
    q: String,
}

/// The queue's status choices: what is still to do first.
const VIEWS: [(&str, &str); 7] = [
    ("waiting", "Waiting for review"),
    ("submitted", "Submitted, unclaimed"),
    ("in_review", "In review"),
    ("changes_requested", "Changes requested"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("all", "All"),
];

fn queue_view(raw: &str) -> QueueView {
    match raw {
        "all" => QueueView::All,
        other => KycStatus::parse(other).map_or(QueueView::Waiting, QueueView::Status),
    }
}

fn entity_label(state: &AppState, key: &str) -> String {
    state.entity_types.get(key).map_or_else(|| key.to_string(), |t| t.label.clone())
}

pub async fn queue(
    State(state): State<AppState>,
    me: Staff<ReadKyc>,
    Query(query): Query<QueueQuery>,
) -> AppResult<Html<String>> {
    let view = queue_view(&query.view);
    let filter = QueueFilter {
        view,
        entity_type: state.entity_types.get(&query.entity_type).map(|t| t.key.clone()),
        search: Some(query.q.trim().to_string()).filter(|q| !q.is_empty()),
    };
    let lookup = filter.clone();
    let items =
        state.db.run(move |conn| review::queue(conn, &lookup, QUEUE_LIMIT).map_err(anyhow::Error::from)).await?;
    let page = QueuePage {
        truncated: items.len() as i64 == QUEUE_LIMIT,
        rows: items
            .into_iter()
            .map(|item| {
                let s = &item.submission;
                let status = s.status();
                QueueRow {
                    id: s.id,
                    customer: item.customer.full_name(),
                    email: item.customer.email.clone(),
                    entity_type: entity_label(&state, &s.entity_type),
                    submitted: s.submitted_at.map(view::timestamp).unwrap_or_default(),
                    status: status.as_str(),
                    status_label: status.label(),
                    claimed_by: item.claimed_by.clone(),
                    approvals: format!("{} of {}", item.approvals, state.entity_types.approvals_needed(&s.entity_type)),
                }
            })
            .collect(),
        views: VIEWS
            .iter()
            .map(|(value, label)| Choice { value: value.to_string(), label: label.to_string() })
            .collect(),
        view: match view {
            QueueView::Waiting => "waiting".into(),
            QueueView::All => "all".into(),
            QueueView::Status(status) => status.as_str().into(),
        },
        entity_types: state
            .entity_types
            .all()
            .iter()
            .map(|t| Choice { value: t.key.clone(), label: t.label.clone() })
            .collect(),
        entity_type: filter.entity_type.unwrap_or_default(),
        q: query.q,
    };
    let console = view::Console { name: &me.member.name, nav: &me.nav };
    view::render_console(&state, &me.session, &console, "console/kyc_queue.html", &page)
}

#[derive(Serialize)]
struct CustomerView {
    email: String,
    name: String,
    account_type: String,
    company: Option<String>,
    sector: String,
    phone: String,
    verified: bool,
    joined: String,
}

#[derive(Serialize)]
struct BillingView {
    billing_name: String,
    address: String,
    pan: Option<String>,
    gstin: Option<String>,
    /// Whether the PAN's fourth letter is one the entity type expects.
    pan_fits: Option<bool>,
}

#[derive(Serialize)]
struct DocumentView {
    id: i64,
    label: String,
    name: String,
    kind: &'static str,
    image: bool,
    size: String,
    sha256: String,
    uploaded: String,
    replaced: Option<String>,
}

#[derive(Serialize)]
struct StepView {
    when: String,
    status: &'static str,
    who: String,
    note: Option<String>,
}

#[derive(Serialize)]
struct ChangeView {
    document: String,
    reason: String,
    requested: String,
    resolved: Option<String>,
}

/// What the reviewer typed into the decision forms, kept when a form is
/// shown again.
#[derive(Serialize, Default)]
struct Typed {
    reason: String,
    note: String,
    is_final: bool,
    changes: HashMap<String, String>,
}

#[derive(Serialize)]
struct CasePage {
    id: i64,
    status: &'static str,
    status_label: &'static str,
    entity_type: String,
    submitted: String,
    round: i32,
    approvals_needed: usize,
    approved_by: Vec<String>,
    claimed_by: Option<String>,
    claimed_by_me: bool,
    own_account: bool,
    customer: CustomerView,
    billing: Option<BillingView>,
    current: Vec<DocumentView>,
    earlier: Vec<DocumentView>,
    changes: Vec<ChangeView>,
    history: Vec<StepView>,
    can_claim: bool,
    can_release: bool,
    can_decide: bool,
    can_view_documents: bool,
    reasons: Vec<Choice>,
    requestable: Vec<Choice>,
    typed: Typed,
    errors: FieldErrors,
}

async fn case_page<P: Permission>(
    state: &AppState,
    me: &Staff<P>,
    id: i64,
    typed: Typed,
    errors: FieldErrors,
) -> AppResult<Response> {
    let (case, saved_billing) = state
        .db
        .run(move |conn| -> anyhow::Result<_> {
            let Some(case) = review::case(conn, id)? else { return Ok((None, None)) };
            let saved_billing = billing::find(conn, case.customer.id)?;
            Ok((Some(case), saved_billing))
        })
        .await?;
    let case = case.ok_or(AppError::NotFound)?;
    let s = &case.submission;
    let status = s.status();
    let entity_type = state.entity_types.get(&s.entity_type);
    let label_of =
        |key: &str| entity_type.and_then(|t| t.document(key)).map_or_else(|| key.to_string(), |d| d.label.clone());
    let staff_name = |id: i64| case.staff_names.get(&id).cloned().unwrap_or_else(|| "a former staff member".into());
    let document_view = |d: &crate::kyc::submissions::Document| {
        let kind = FileKind::from_mime(&d.content_type);
        DocumentView {
            id: d.id,
            label: label_of(&d.doc_key),
            name: d.original_name.clone(),
            kind: kind.map_or("", FileKind::label),
            image: matches!(kind, Some(FileKind::Jpeg | FileKind::Png)),
            size: view::human_size(d.size_bytes),
            sha256: d.sha256.clone(),
            uploaded: view::timestamp(d.uploaded_at),
            replaced: d.removed_at.map(view::timestamp),
        }
    };
    let own_account = case.customer.email.eq_ignore_ascii_case(&me.member.email);
    let claimed_by_me = s.claimed_by == Some(me.member.id);
    let awaiting_second = status == KycStatus::InReview && s.claimed_by.is_none();
    let customer = &case.customer;
    let page = CasePage {
        id: s.id,
        status: status.as_str(),
        status_label: status.label(),
        entity_type: entity_label(state, &s.entity_type),
        submitted: s.submitted_at.map(view::timestamp).unwrap_or_default(),
        round: s.review_round,
        approvals_needed: state.entity_types.approvals_needed(&s.entity_type),
        approved_by: case.approvals.iter().map(|&id| staff_name(id)).collect(),
        claimed_by: s.claimed_by.map(staff_name),
        claimed_by_me,
        own_account,
        customer: CustomerView {
            email: customer.email.clone(),
            name: customer.full_name(),
            account_type: customer.account_type().map_or("", |t| t.label()).to_string(),
            company: customer.company_name.clone(),
            sector: customer.sector().map_or("", |t| t.label()).to_string(),
            phone: customer.phone.clone().unwrap_or_default(),
            verified: customer.is_verified(),
            joined: view::date(customer.created_at),
        },
        billing: saved_billing.map(|b| BillingView {
            address: [
                Some(b.address_line1),
                b.address_line2,
                Some(b.city),
                Some(b.state),
                Some(b.postal_code),
                Some(b.country),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
            pan_fits: b
                .pan
                .as_deref()
                .and_then(|p| Pan::parse(p).ok())
                .and_then(|pan| entity_type.map(|t| t.fits_pan(&pan))),
            billing_name: b.billing_name,
            pan: b.pan,
            gstin: b.gstin,
        }),
        current: case.documents.iter().filter(|d| d.removed_at.is_none()).map(document_view).collect(),
        earlier: case.documents.iter().filter(|d| d.removed_at.is_some()).map(document_view).collect(),
        changes: case
            .changes
            .iter()
            .map(|c| ChangeView {
                document: label_of(&c.doc_key),
                reason: c.reason.clone(),
                requested: view::timestamp(c.requested_at),
                resolved: c.resolved_at.map(view::timestamp),
            })
            .collect(),
        history: case
            .history
            .iter()
            .map(|step| StepView {
                when: view::timestamp(step.occurred_at),
                status: KycStatus::parse(&step.status).map_or("", KycStatus::label),
                who: match (step.actor_kind.as_str(), step.actor_id) {
                    ("customer", _) => "Customer".into(),
                    ("staff", Some(id)) => staff_name(id),
                    (other, _) => other.to_string(),
                },
                note: step.note.clone(),
            })
            .collect(),
        can_claim: !own_account
            && me.may::<ClaimKyc>(state)
            && (status == KycStatus::Submitted
                || (awaiting_second && me.may::<SecondApproval>(state) && !case.approvals.contains(&me.member.id))),
        can_release: status == KycStatus::InReview
            && s.claimed_by.is_some()
            && ((claimed_by_me && me.may::<ClaimKyc>(state)) || me.may::<ReassignKyc>(state)),
        can_decide: !own_account && claimed_by_me && status == KycStatus::InReview && me.may::<DecideKyc>(state),
        can_view_documents: me.may::<ViewDocuments>(state),
        reasons: RejectionReason::ALL
            .iter()
            .map(|r| Choice { value: r.as_str().into(), label: r.label().into() })
            .collect(),
        requestable: case
            .documents
            .iter()
            .filter(|d| d.removed_at.is_none())
            .map(|d| Choice { value: d.doc_key.clone(), label: label_of(&d.doc_key) })
            .collect(),
        typed,
        errors,
    };
    let code = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let console = view::Console { name: &me.member.name, nav: &me.nav };
    Ok((code, view::render_console(state, &me.session, &console, "console/kyc_case.html", &page)?).into_response())
}

pub async fn show(State(state): State<AppState>, me: Staff<ReadKyc>, Path(id): Path<i64>) -> AppResult<Response> {
    case_page(&state, &me, id, Typed::default(), FieldErrors::default()).await
}

fn reviewer<P: Permission>(state: &AppState, me: &Staff<P>) -> Reviewer {
    Reviewer { id: me.member.id, email: me.member.email.clone(), senior: me.may::<SecondApproval>(state) }
}

/// A refusal is shown on the case page with what was typed; a missing case
/// is a 404 and anything else internal.
async fn refuse<P: Permission>(
    state: &AppState,
    me: &Staff<P>,
    id: i64,
    typed: Typed,
    error: ReviewError,
) -> AppResult<Response> {
    match error {
        ReviewError::NotFound => Err(AppError::NotFound),
        ReviewError::Internal(e) => Err(AppError::Internal(e)),
        other => {
            let mut errors = FieldErrors::default();
            errors.add("decision", other.to_string());
            case_page(state, me, id, typed, errors).await
        }
    }
}

fn to_case(id: i64) -> Response {
    Redirect::to(&format!("/console/kyc/{id}")).into_response()
}

pub async fn claim(
    State(state): State<AppState>,
    me: Staff<ClaimKyc>,
    Client(origin): Client,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    match review::claim(&state.db, reviewer(&state, &me), id, origin).await {
        Ok(()) => {
            me.session.flash(FlashLevel::Success, "You are reviewing this submission; no one else can decide it now.");
            Ok(to_case(id))
        }
        Err(e) => refuse(&state, &me, id, Typed::default(), e).await,
    }
}

pub async fn release(
    State(state): State<AppState>,
    me: Staff<ClaimKyc>,
    Client(origin): Client,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let may_reassign = me.may::<ReassignKyc>(&state);
    match review::release(&state.db, reviewer(&state, &me), may_reassign, id, origin).await {
        Ok(()) => {
            me.session.flash(FlashLevel::Info, "The submission is back in the queue.");
            Ok(to_case(id))
        }
        Err(e) => refuse(&state, &me, id, Typed::default(), e).await,
    }
}

async fn decide(
    state: &AppState,
    me: &Staff<DecideKyc>,
    origin: crate::audit::Origin,
    id: i64,
    decision: Decision,
    typed: Typed,
) -> AppResult<Response> {
    let notify = review::Notify {
        mailer: state.mailer.clone(),
        config: state.config.clone(),
        entity_types: state.entity_types.clone(),
    };
    match review::decide(&state.db, notify, reviewer(state, me), id, decision, origin).await {
        Ok(outcome) => {
            let message = match outcome {
                Outcome::FirstApproval => {
                    "First approval recorded. The submission now waits for a senior reviewer's second approval."
                }
                Outcome::Approved => "Approved. The customer has been emailed and their products are unlocked.",
                Outcome::Rejected => "Rejected. The customer has been emailed the reason.",
                Outcome::ChangesRequested => "Changes requested. The customer has been emailed what to change.",
            };
            me.session.flash(FlashLevel::Success, message);
            Ok(Redirect::to("/console/kyc").into_response())
        }
        Err(e) => refuse(state, me, id, typed, e).await,
    }
}

pub async fn approve(
    State(state): State<AppState>,
    me: Staff<DecideKyc>,
    Client(origin): Client,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    decide(&state, &me, origin, id, Decision::Approve, Typed::default()).await
}

#[derive(Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
    #[serde(default, rename = "final")]
    is_final: Option<String>,
}

pub async fn reject(
    State(state): State<AppState>,
    me: Staff<DecideKyc>,
    Client(origin): Client,
    Path(id): Path<i64>,
    Form(form): Form<RejectForm>,
) -> AppResult<Response> {
    let typed = Typed {
        reason: form.reason.clone(),
        note: form.note.clone(),
        is_final: form.is_final.is_some(),
        ..Typed::default()
    };
    let mut errors = FieldErrors::default();
    let reason = errors.check("reason", RejectionReason::parse(&form.reason));
    let note = errors.check("note", ReviewNote::parse(&form.note));
    let rejection = match (reason, note) {
        (Some(reason), Some(note)) => errors.check("note", Rejection::new(reason, note, typed.is_final)),
        _ => None,
    };
    let Some(rejection) = rejection.filter(|_| errors.is_empty()) else {
        return case_page(&state, &me, id, typed, errors).await;
    };
    decide(&state, &me, origin, id, Decision::Reject(rejection), typed).await
}

/// Fields `change_<document key>`: what to change about each document; the
/// blank ones are left alone.
pub async fn request_changes(
    State(state): State<AppState>,
    me: Staff<DecideKyc>,
    Client(origin): Client,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let mut requests: Vec<ChangeRequest> = Vec::new();
    let mut changes = HashMap::new();
    for (name, value) in fields {
        let Some(key) = name.strip_prefix("change_") else { continue };
        if let Some(Some(reason)) = errors.check("changes", ReviewNote::parse(&value)) {
            requests.push(ChangeRequest { doc_key: key.to_string(), reason });
        }
        changes.insert(key.to_string(), value);
    }
    if requests.is_empty() {
        errors.add("changes", "Say what the customer should change for at least one document.");
    }
    let typed = Typed { changes, ..Typed::default() };
    if !errors.is_empty() {
        return case_page(&state, &me, id, typed, errors).await;
    }
    decide(&state, &me, origin, id, Decision::RequestChanges(requests), typed).await
}

/// A document of the submission, shown inline; every look is audited.
pub async fn document(
    State(state): State<AppState>,
    me: Staff<ViewDocuments>,
    Client(origin): Client,
    Path((id, document_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let document =
        review::open_document(&state.db, me.member.id, id, document_id, origin).await?.ok_or(AppError::NotFound)?;
    documents::serve(&state, &document).await
}
