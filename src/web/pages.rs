//! Public pages, static assets and error pages.

use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::error::{AppError, AppResult, ErrorPage};
use super::session::Session;
use super::view;

pub async fn home(State(state): State<AppState>, session: Session) -> AppResult<Html<String>> {
    view::render(&state, &session, "home.html", &())
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}

pub async fn terms(State(state): State<AppState>, session: Session) -> AppResult<Html<String>> {
    #[derive(Serialize)]
    struct TermsPage {
        version: &'static str,
    }
    view::render(&state, &session, "terms.html", &TermsPage { version: crate::accounts::TERMS_VERSION })
}

/// A fresh captcha challenge for the form's script.
pub async fn captcha_challenge(State(state): State<AppState>) -> AppResult<axum::Json<serde_json::Value>> {
    state.captcha.challenge().map(axum::Json).ok_or(AppError::NotFound)
}

/// The stylesheet and scripts, compiled into the binary.
const STATIC_FILES: [(&str, &str, &str); 5] = [
    ("app.css", "text/css; charset=utf-8", include_str!("../../templates/static/app.css")),
    ("captcha.js", "text/javascript; charset=utf-8", include_str!("../../templates/static/captcha.js")),
    ("details.js", "text/javascript; charset=utf-8", include_str!("../../templates/static/details.js")),
    ("upload.js", "text/javascript; charset=utf-8", include_str!("../../templates/static/upload.js")),
    ("billing.js", "text/javascript; charset=utf-8", include_str!("../../templates/static/billing.js")),
];

pub async fn static_file(axum::extract::Path(file): axum::extract::Path<String>) -> AppResult<impl IntoResponse> {
    let (_, content_type, body) = STATIC_FILES.iter().find(|(name, _, _)| *name == file).ok_or(AppError::NotFound)?;
    Ok(([(CONTENT_TYPE, *content_type), (CACHE_CONTROL, "public, max-age=3600")], *body))
}

#[derive(Serialize)]
struct ErrorView<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
    request_id: &'a str,
}

fn describe(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => ("Page not found", "There is nothing at this address."),
        StatusCode::FORBIDDEN => (
            "Access denied",
            "You cannot do this. If you were filling in a form, it may have expired: go back, reload the page and try again.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ("Too large", "What you sent is larger than we accept."),
        StatusCode::REQUEST_TIMEOUT => ("Timed out", "That took too long. Please try again."),
        StatusCode::METHOD_NOT_ALLOWED => ("Not allowed", "This address does not accept that kind of request."),
        s if s.is_client_error() => ("Bad request", "We could not understand that request."),
        _ => ("Something went wrong", "We could not complete your request. Please try again in a moment."),
    }
}

/// Middleware: gives every error response without a body of its own (our
/// `AppError`s, and the bare statuses of tower-http's limits, time-out and
/// panic catcher) a page that shows the request id and nothing else.
pub async fn error_page(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let response = next.run(request).await;
    let status = response.status();
    let marked = response.extensions().get::<ErrorPage>().is_some();
    let bare = (status.is_client_error() || status.is_server_error()) && !response.headers().contains_key(CONTENT_TYPE);
    if !marked && !bare {
        return response;
    }
    let (title, message) = describe(status);
    let view = ErrorView { status: status.as_u16(), title, message, request_id: &request_id };
    let body = match state.templates.render("error.html", &view) {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "rendering the error page failed");
            format!("{title} (request id {request_id})")
        }
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, body.into())
}
