//! Every state-changing request must come from our own origin and carry the
//! session's synchronizer token, in the `csrf_token` form field or the
//! `X-CSRF-Token` header (for scripts).

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, ORIGIN, REFERER};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::AppError;
use super::session::Session;

pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

/// Forms are small; a body larger than this cannot be a form we sent.
const FORM_LIMIT: usize = 256 * 1024;

pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    match check(&state, request).await {
        Ok(request) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

async fn check(state: &AppState, request: Request) -> Result<Request, AppError> {
    if !same_origin(request.headers(), &state.config.origin()) {
        tracing::warn!(origin = ?request.headers().get(ORIGIN), "cross-origin request refused");
        return Err(AppError::Csrf);
    }
    let session = request.extensions().get::<Session>().cloned().ok_or(AppError::Csrf)?;
    if let Some(token) = request.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        return if session.csrf_matches(token) { Ok(request) } else { Err(AppError::Csrf) };
    }
    if is_multipart(request.headers()) {
        // File uploads stream: the token rides in the form's action URL so
        // it is checked before a byte of the body is read.
        let token = request.uri().query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == FIELD).map(|(_, v)| v.into_owned())
        });
        return match token {
            Some(token) if session.csrf_matches(&token) => Ok(request),
            _ => Err(AppError::Csrf),
        };
    }
    if !is_form(request.headers()) {
        return Err(AppError::Csrf);
    }
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, FORM_LIMIT).await.map_err(|_| AppError::PayloadTooLarge)?;
    let token = url::form_urlencoded::parse(&bytes).find(|(key, _)| key == FIELD).map(|(_, value)| value.into_owned());
    match token {
        Some(token) if session.csrf_matches(&token) => Ok(Request::from_parts(parts, Body::from(bytes))),
        _ => Err(AppError::Csrf),
    }
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("multipart/form-data"))
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// Browsers send `Origin` on every cross-site and same-site POST; when it is
/// missing (an old browser or a non-browser client) `Referer` is checked, and
/// when both are missing the token alone decides.
fn same_origin(headers: &HeaderMap, expected: &str) -> bool {
    if let Some(origin) = headers.get(ORIGIN) {
        return origin.to_str().is_ok_and(|o| o == expected);
    }
    if let Some(referer) = headers.get(REFERER) {
        return referer
            .to_str()
            .ok()
            .and_then(|r| url::Url::parse(r).ok())
            .is_some_and(|r| r.origin().ascii_serialization() == expected);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(name: axum::http::HeaderName, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn origin_must_match_exactly() {
        let ours = "https://kyc.example.com";
        assert!(same_origin(&headers(ORIGIN, "https://kyc.example.com"), ours));
        assert!(!same_origin(&headers(ORIGIN, "https://evil.example"), ours));
        assert!(!same_origin(&headers(ORIGIN, "null"), ours));
        assert!(!same_origin(&headers(ORIGIN, "http://kyc.example.com"), ours));
        assert!(same_origin(&headers(REFERER, "https://kyc.example.com/signup"), ours));
        assert!(!same_origin(&headers(REFERER, "https://kyc.example.com.evil.example/"), ours));
        assert!(same_origin(&HeaderMap::new(), ours));
    }
}
