//! Endpoints for operators and orchestrators: liveness, readiness, metrics.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use diesel::RunQueryDsl;

use super::AppState;
use super::error::AppResult;
use super::metrics::StateLabels;
use crate::db::migrations;
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
    let counts = state.db.run(|conn| outbox::count_by_state(conn).map_err(crate::web::AppError::from)).await?;
    for name in ["pending", "sending", "sent", "failed"] {
        let count = counts.iter().find(|(state, _)| state == name).map_or(0, |(_, n)| *n);
        state.metrics.outbox_messages.get_or_create(&StateLabels { state: name.into() }).set(count);
    }
    Ok(([(CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.encode()))
}
