//! Sending a stored KYC document to the browser that may see it.

use axum::body::Body;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{AppError, AppResult};
use crate::kyc::FileKind;
use crate::kyc::submissions::Document;

/// Streams `document` with the type its content was judged to have. The
/// stored client filename never reaches a header: the download is named by
/// the document's key and its detected type.
pub async fn serve(state: &AppState, document: &Document) -> AppResult<Response> {
    let kind = FileKind::from_mime(&document.content_type).ok_or(AppError::NotFound)?;
    let stream = state.documents.read(&document.storage_key).await.map_err(|e| AppError::Internal(e.into()))?;
    let extension = match kind {
        FileKind::Pdf => "pdf",
        FileKind::Jpeg => "jpg",
        FileKind::Png => "png",
    };
    let disposition = format!("inline; filename=\"{}.{extension}\"", document.doc_key);
    Ok(([(CONTENT_TYPE, kind.mime().to_string()), (CONTENT_DISPOSITION, disposition)], Body::from_stream(stream))
        .into_response())
}
