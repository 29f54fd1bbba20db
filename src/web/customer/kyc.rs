//! `/settings/kyc`: choose the entity type, upload its documents, submit.

use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::CurrentCustomer;
use crate::accounts::Customer;
use crate::domain::AccountType;
use crate::kyc::entity_types::{EntityType, Requirement};
use crate::kyc::submissions::{self, ChangeRequest, Document, KycError, Submission};
use crate::kyc::upload::{Refusal, Upload, UploadError};
use crate::kyc::{FileKind, KycStatus};
use crate::web::client::Client;
use crate::web::error::{AppError, AppResult};
use crate::web::forms::FieldErrors;
use crate::web::session::{FlashLevel, Session};
use crate::web::{AppState, documents, view};

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct UploadedView {
    id: i64,
    name: String,
    size: String,
    kind: &'static str,
    uploaded_at: String,
}

#[derive(Serialize)]
struct DocumentView {
    key: String,
    label: String,
    accepted: String,
    accept_attr: String,
    max_mb: u64,
    uploaded: Option<UploadedView>,
    can_change: bool,
    change_reason: Option<String>,
}

#[derive(Serialize)]
struct Section {
    title: String,
    explanation: Option<String>,
    documents: Vec<DocumentView>,
}

#[derive(Serialize)]
struct KycPage {
    status: &'static str,
    status_label: String,
    choices: Vec<Choice>,
    chosen: Option<String>,
    chosen_label: Option<String>,
    can_choose: bool,
    editable: bool,
    sections: Vec<Section>,
    missing: Vec<String>,
    decision_reason: Option<String>,
    rejection_final: bool,
    errors: FieldErrors,
}

fn status_label(submission: Option<&Submission>) -> (&'static str, String) {
    let Some(s) = submission else { return ("none", "Not submitted".into()) };
    let status = s.status();
    let label = match status {
        KycStatus::Draft => "Not submitted".to_string(),
        KycStatus::Submitted => {
            format!("Submitted on {}: waiting for review", s.submitted_at.map(view::date).unwrap_or_default())
        }
        KycStatus::InReview => "In review".to_string(),
        KycStatus::ChangesRequested => "Changes requested".to_string(),
        KycStatus::Approved => format!("Approved on {}", s.decided_at.map(view::date).unwrap_or_default()),
        KycStatus::Rejected => "Rejected".to_string(),
    };
    (status.as_str(), label)
}

fn sections(
    entity_type: &EntityType,
    submission: &Submission,
    documents: &[Document],
    requests: &[ChangeRequest],
) -> Vec<Section> {
    let status = submission.status();
    let view = |spec: &crate::kyc::entity_types::DocumentSpec| {
        let uploaded = documents.iter().rev().find(|d| d.doc_key == spec.key).map(|d| UploadedView {
            id: d.id,
            name: d.original_name.clone(),
            size: view::human_size(d.size_bytes),
            kind: FileKind::from_mime(&d.content_type).map_or("", FileKind::label),
            uploaded_at: view::date(d.uploaded_at),
        });
        let change_reason = requests.iter().find(|r| r.doc_key == spec.key).map(|r| r.reason.clone());
        let can_change =
            status == KycStatus::Draft || (status == KycStatus::ChangesRequested && change_reason.is_some());
        let kinds: Vec<&str> = spec.accepted.iter().map(|k| k.label()).collect();
        DocumentView {
            key: spec.key.clone(),
            label: spec.label.clone(),
            accepted: kinds.join(", "),
            accept_attr: spec.accepted.iter().map(|k| k.mime()).collect::<Vec<_>>().join(","),
            max_mb: spec.max_bytes / (1024 * 1024),
            uploaded,
            can_change,
            change_reason,
        }
    };
    let with = |requirement: &Requirement| -> Vec<DocumentView> {
        entity_type.documents.iter().filter(|d| d.requirement == *requirement).map(view).collect()
    };
    let mut sections = vec![Section {
        title: "Required documents".into(),
        explanation: None,
        documents: with(&Requirement::Required),
    }];
    for group in &entity_type.groups {
        sections.push(Section {
            title: "Choose one".into(),
            explanation: Some(group.label.clone()),
            documents: with(&Requirement::OneOf(group.key.clone())),
        });
    }
    sections.push(Section {
        title: "Optional documents".into(),
        explanation: None,
        documents: with(&Requirement::Optional),
    });
    sections.retain(|s| !s.documents.is_empty());
    sections
}

async fn page(
    state: &AppState,
    session: &Session,
    customer: &Customer,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<Response> {
    let customer_id = customer.id;
    let (submission, documents, requests) = state
        .db
        .run(move |conn| -> anyhow::Result<_> {
            let submission = submissions::current(conn, customer_id)?;
            let (documents, requests) = match &submission {
                Some(s) => (submissions::live_documents(conn, s.id)?, submissions::open_change_requests(conn, s.id)?),
                None => (Vec::new(), Vec::new()),
            };
            Ok((submission, documents, requests))
        })
        .await?;
    let account_type = customer.account_type().unwrap_or(AccountType::Individual);
    let chosen = submission.as_ref().and_then(|s| state.entity_types.get(&s.entity_type));
    let (status_key, status_text) = status_label(submission.as_ref());
    let status_now = submission.as_ref().map(Submission::status);
    let can_choose = match &submission {
        None => true,
        Some(s) => s.status() == KycStatus::Draft || (s.status() == KycStatus::Rejected && !s.rejection_final),
    };
    let present: Vec<&str> = documents.iter().map(|d| d.doc_key.as_str()).collect();
    let view = KycPage {
        status: status_key,
        status_label: status_text,
        choices: state
            .entity_types
            .for_account(account_type)
            .map(|t| Choice { value: t.key.clone(), label: t.label.clone() })
            .collect(),
        chosen: chosen.map(|t| t.key.clone()),
        chosen_label: chosen.map(|t| t.label.clone()),
        can_choose,
        editable: status_now.is_some_and(KycStatus::is_editable),
        sections: match (chosen, &submission) {
            (Some(t), Some(s)) if s.status() != KycStatus::Rejected => sections(t, s, &documents, &requests),
            _ => Vec::new(),
        },
        missing: chosen.map(|t| t.missing(&present)).unwrap_or_default(),
        decision_reason: submission.as_ref().and_then(|s| s.decision_reason.clone()),
        rejection_final: submission.as_ref().is_some_and(|s| s.rejection_final),
        errors,
    };
    Ok((status, view::render_form(state, session, "customer/kyc.html", &view)?).into_response())
}

pub async fn show(State(state): State<AppState>, CurrentCustomer(me): CurrentCustomer) -> AppResult<Response> {
    page(&state, &me.session, &me.customer, FieldErrors::default(), StatusCode::OK).await
}

pub async fn settings() -> Redirect {
    Redirect::to("/settings/kyc")
}

/// A refusal the customer can act on is shown beside `field`; anything else
/// is an internal error.
async fn refuse(state: &AppState, me: &super::SignedIn, field: &'static str, error: KycError) -> AppResult<Response> {
    match error {
        KycError::Internal(e) => Err(AppError::Internal(e)),
        other => {
            let mut errors = FieldErrors::default();
            errors.add(field, other.to_string());
            page(state, &me.session, &me.customer, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

#[derive(Deserialize)]
pub struct EntityTypeForm {
    #[serde(default)]
    entity_type: String,
}

pub async fn choose(
    State(state): State<AppState>,
    CurrentCustomer(me): CurrentCustomer,
    Client(origin): Client,
    Form(form): Form<EntityTypeForm>,
) -> AppResult<Response> {
    let account_type = me.customer.account_type().unwrap_or(AccountType::Individual);
    match submissions::choose_entity_type(
        &state.db,
        &state.entity_types,
        me.customer.id,
        account_type,
        form.entity_type,
        origin,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/settings/kyc").into_response()),
        Err(e) => refuse(&state, &me, "entity_type", e).await,
    }
}

/// The name a file was sent with, for display only: no directories, no
/// control characters, a sane length.
fn display_name(raw: Option<&str>) -> String {
    let base = raw.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    let clean = clean.trim();
    if clean.is_empty() { "document".into() } else { clean.to_string() }
}

pub async fn upload(
    State(state): State<AppState>,
    CurrentCustomer(me): CurrentCustomer,
    Client(origin): Client,
    Path(doc_key): Path<String>,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let spec = match submissions::check_upload(&state.db, &state.entity_types, me.customer.id, &doc_key).await {
        Ok(spec) => spec,
        Err(e) => return refuse(&state, &me, "upload", e).await,
    };
    let field_error = |message: String, status: StatusCode| {
        let mut errors = FieldErrors::default();
        errors.add("upload", format!("{}: {message}", spec.label));
        (errors, status)
    };
    let mut field = loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => break field,
            Ok(Some(_)) => continue,
            Ok(None) => {
                let (errors, status) = field_error("choose a file to upload.".into(), StatusCode::UNPROCESSABLE_ENTITY);
                return page(&state, &me.session, &me.customer, errors, status).await;
            }
            Err(e) => return Err(multipart_error(e)),
        }
    };
    let name = display_name(field.file_name());
    let claimed = field.content_type().map(str::to_string);
    let mut upload = Upload::begin(&state.documents, spec.max_bytes).await.map_err(|e| AppError::Internal(e.into()))?;
    loop {
        let chunk = match field.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                upload.abort().await;
                return Err(multipart_error(e));
            }
        };
        if let Err(refusal) = upload.write(&chunk).await {
            upload.abort().await;
            // Read what is left so the client gets the answer instead of a
            // reset connection; the route's body limit caps this.
            while let Ok(Some(_)) = field.chunk().await {}
            let status = if matches!(refusal, Refusal::TooLarge(_)) {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let (errors, status) = field_error(refusal.to_string(), status);
            return page(&state, &me.session, &me.customer, errors, status).await;
        }
    }
    let stored = match upload.finish(&spec.accepted, claimed.as_deref(), &name).await {
        Ok(stored) => stored,
        Err(UploadError::Refused(refusal)) => {
            let (errors, status) = field_error(refusal.to_string(), StatusCode::UNPROCESSABLE_ENTITY);
            return page(&state, &me.session, &me.customer, errors, status).await;
        }
        Err(UploadError::Storage(e)) => return Err(AppError::Internal(e.into())),
    };
    let key = stored.key.clone();
    match submissions::add_document(
        &state.db,
        me.customer.id,
        doc_key,
        stored,
        name.clone(),
        state.config.kyc_quota_bytes,
        origin,
    )
    .await
    {
        Ok(_) => {
            me.session.flash(FlashLevel::Success, format!("{} uploaded: {name}.", spec.label));
            Ok(Redirect::to("/settings/kyc").into_response())
        }
        Err(e) => {
            if let Err(delete) = state.documents.delete(&key).await {
                tracing::error!(error = %delete, key, "could not delete a refused upload; the sweeper will");
            }
            refuse(&state, &me, "upload", e).await
        }
    }
}

fn multipart_error(error: axum::extract::multipart::MultipartError) -> AppError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::Internal(anyhow::anyhow!("reading the upload failed: {error}"))
    }
}

pub async fn remove(
    State(state): State<AppState>,
    CurrentCustomer(me): CurrentCustomer,
    Client(origin): Client,
    Path(document_id): Path<i64>,
) -> AppResult<Response> {
    match submissions::remove_document(&state.db, me.customer.id, document_id, origin).await {
        Ok(()) => {
            me.session.flash(FlashLevel::Info, "The document was removed.");
            Ok(Redirect::to("/settings/kyc").into_response())
        }
        Err(KycError::UnknownDocument) => Err(AppError::NotFound),
        Err(e) => refuse(&state, &me, "upload", e).await,
    }
}

pub async fn submit(
    State(state): State<AppState>,
    CurrentCustomer(me): CurrentCustomer,
    Client(origin): Client,
) -> AppResult<Response> {
    match submissions::submit(&state.db, &state.entity_types, me.customer.id, origin).await {
        Ok(()) => {
            me.session.flash(
                FlashLevel::Success,
                "Your KYC documents were submitted. We will email you when they have been reviewed.",
            );
            Ok(Redirect::to("/settings/kyc").into_response())
        }
        Err(e) => refuse(&state, &me, "submit", e).await,
    }
}

/// One of the customer's own documents; anyone else's id is a 404.
pub async fn document(
    State(state): State<AppState>,
    CurrentCustomer(me): CurrentCustomer,
    Path(document_id): Path<i64>,
) -> AppResult<Response> {
    let document =
        submissions::own_document(&state.db, me.customer.id, document_id).await?.ok_or(AppError::NotFound)?;
    documents::serve(&state, &document).await
}

#[cfg(test)]
mod tests {
    use super::display_name;

    #[test]
    fn client_filenames_are_only_for_display() {
        assert_eq!(display_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(display_name(Some("C:\\Users\\me\\pan.pdf")), "pan.pdf");
        assert_eq!(display_name(Some("a\u{0}b\r\n.pdf")), "ab.pdf");
        assert_eq!(display_name(None), "document");
        assert_eq!(display_name(Some("/")), "document");
    }
}
