//! The one error type of the web layer. Each variant knows its status; the
//! error-page middleware (see `pages::error_page`) turns the marked response
//! into a page carrying the request id and nothing else.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("the form expired or came from another site")]
    Csrf,
    #[error("too large")]
    PayloadTooLarge,
    /// Not an error for the visitor: the page they asked for is elsewhere
    /// for now (sign in first, finish your details first).
    #[error("redirect to {0}")]
    Redirect(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Marks a response whose body the error-page middleware should render.
#[derive(Clone, Copy, Debug)]
pub struct ErrorPage;

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Redirect(_) => StatusCode::SEE_OTHER,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Redirect(to) = &self {
            return axum::response::Redirect::to(to).into_response();
        }
        match &self {
            AppError::Internal(e) => tracing::error!(error = ?e, "request failed"),
            AppError::Csrf => tracing::warn!("refused a state-changing request: {self}"),
            _ => {}
        }
        let mut response = self.status().into_response();
        response.extensions_mut().insert(ErrorPage);
        response
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::NotFound => AppError::NotFound,
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<DbError> for AppError {
    fn from(error: DbError) -> Self {
        AppError::Internal(error.into())
    }
}

impl From<minijinja::Error> for AppError {
    fn from(error: minijinja::Error) -> Self {
        AppError::Internal(error.into())
    }
}

pub type AppResult<T> = Result<T, AppError>;
