//! The HTTP side: state, routes and the middleware every response passes.

pub mod client;
pub mod console;
pub mod csrf;
pub mod customer;
mod documents;
pub mod error;
pub mod forms;
pub mod metrics;
mod ops;
mod pages;
pub mod session;
pub mod view;

use std::any::Any;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::accounts::hashing::PasswordHasher;
use crate::authz::Authz;
use crate::captcha::Captcha;
use crate::config::Config;
use crate::db::Db;
use crate::kyc::EntityTypes;
use crate::kyc::storage::DocumentStore;
use crate::mail::Mailer;
use crate::sms::SmsSender;
use crate::templates::Templates;

pub use error::{AppError, AppResult};
pub use session::SessionKind;

/// The largest request body outside upload routes.
const BODY_LIMIT: usize = 1024 * 1024;
/// The largest upload request: the largest document a policy may allow,
/// plus room for the multipart framing.
const UPLOAD_BODY_LIMIT: usize = (crate::kyc::entity_types::MAX_DOCUMENT_MB as usize + 1) * 1024 * 1024;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub templates: Templates,
    pub mailer: Mailer,
    pub metrics: Arc<metrics::Metrics>,
    pub captcha: Arc<dyn Captcha>,
    pub hasher: PasswordHasher,
    pub sms: Arc<dyn SmsSender>,
    pub entity_types: Arc<EntityTypes>,
    pub documents: DocumentStore,
    pub authz: Arc<Authz>,
    pub schedule: Arc<crate::jobs::Schedule>,
    pub reminders: Arc<crate::jobs::Reminders>,
}

impl AppState {
    pub fn job_context(&self) -> crate::jobs::JobContext {
        crate::jobs::JobContext {
            db: self.db.clone(),
            documents: self.documents.clone(),
            mailer: self.mailer.clone(),
            config: self.config.clone(),
            reminders: self.reminders.clone(),
        }
    }
}

pub fn router(state: AppState) -> Router {
    // The body limit sits outside the session and CSRF layers, so an
    // oversized request is refused before anything reads it.
    let with_session = |router: Router<AppState>, kind: SessionKind| {
        router
            .layer(from_fn_with_state(state.clone(), csrf::layer))
            .layer(from_fn_with_state((state.clone(), kind), session::layer))
    };
    let customer_session = |router| with_session(router, SessionKind::Customer);
    let uploads = customer_session(customer::upload_routes().layer(DefaultBodyLimit::disable()))
        .layer(RequestBodyLimitLayer::new(UPLOAD_BODY_LIMIT));
    let customer = customer_session(
        Router::new().route("/", get(pages::home)).route("/terms", get(pages::terms)).merge(customer::routes()),
    )
    .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
    .merge(uploads);

    let console = with_session(console::routes(), SessionKind::Staff).layer(RequestBodyLimitLayer::new(BODY_LIMIT));

    let ops = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/captcha/challenge", get(pages::captcha_challenge))
        .route("/static/{file}", get(pages::static_file));

    let request_id = HeaderName::from_static("x-request-id");
    let hsts = state.config.is_https().then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains"));

    Router::new()
        .merge(customer)
        .merge(console)
        .merge(ops)
        .fallback(pages::not_found)
        .route_layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                    let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
                }))
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(from_fn_with_state(state.clone(), pages::error_page))
                .layer(CatchPanicLayer::custom(panicked))
                .layer(SetResponseHeaderLayer::overriding(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
                .layer(SetResponseHeaderLayer::overriding(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
                .layer(SetResponseHeaderLayer::overriding(X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
                .layer(SetResponseHeaderLayer::overriding(REFERRER_POLICY, HeaderValue::from_static("same-origin")))
                .layer(SetResponseHeaderLayer::overriding(
                    HeaderName::from_static("permissions-policy"),
                    HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    HeaderName::from_static("strict-transport-security"),
                    hsts,
                ))
                // Pages carry session data and CSRF tokens: nothing may keep a
                // copy unless a route says otherwise (static assets do).
                .layer(SetResponseHeaderLayer::if_not_present(CACHE_CONTROL, HeaderValue::from_static("no-store")))
                .layer(CompressionLayer::new())
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, state.config.request_timeout)),
        )
        .with_state(state)
}

fn panicked(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    AppError::Internal(anyhow::anyhow!("handler panicked")).into_response()
}
