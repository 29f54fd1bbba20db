//! Endpoints for operators and orchestrators: liveness, readiness, metrics.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use diesel::RunQueryDsl;

use super::AppState;
use super::error::AppResult;
use super::metrics::{StateLabels, StatusLabels};
use crate::accounts::support;
use crate::db::{count_for, migrations};
use crate::kyc::{KycStatus, submissions};
use crate::mail::outbox;

/// The process is up and answering.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// The database answers and its schema is current.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let check = state
        .db
        .run(|conn| -> Result<bool, anyhow::Error> {
            diesel::sql_query("SELECT 1").execute(conn)?;
            migrations::is_current(conn).map_err(|e| anyhow::anyhow!(e))
        })
        .await;
    match check {
        Ok(true) => (StatusCode::OK, "ready\n".to_string()),
        Ok(false) => (StatusCode::SERVICE_UNAVAILABLE, "migrations pending\n".to_string()),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n".to_string())
        }
    }
}

pub async fn metrics(State(state): State<AppState>) -> AppResult<impl IntoResponse> {
    let (outbox, kyc, support) = state
        .db
        .run(|conn| -> Result<_, crate::web::AppError> {
            Ok((outbox::count_by_state(conn)?, submissions::count_by_status(conn)?, support::open_count(conn)?))
        })
        .await?;
    for name in outbox::State::ALL.map(outbox::State::as_str) {
        state.metrics.outbox_messages.get_or_create(&StateLabels { state: name.into() }).set(count_for(&outbox, name));
    }
    for name in KycStatus::ALL.map(KycStatus::as_str) {
        state.metrics.kyc_submissions.get_or_create(&StatusLabels { status: name.into() }).set(count_for(&kyc, name));
    }
    state.metrics.open_support_requests.set(support);
    Ok(([(CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.encode()))
}
