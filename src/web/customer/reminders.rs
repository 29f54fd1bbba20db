//! `/reminders/stop`: the link in every reminder email. Opening it asks
//! first (mail scanners open links too); confirming stops the reminders.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::jobs::reminders;
use crate::web::AppState;
use crate::web::client::Client;
use crate::web::error::AppResult;
use crate::web::session::Session;
use crate::web::view;

#[derive(Deserialize)]
pub struct StopLink {
    #[serde(default)]
    c: Option<i64>,
    #[serde(default)]
    t: String,
}

#[derive(Serialize)]
struct StopPage {
    /// "ask", "stopped" or "invalid".
    state: &'static str,
    c: i64,
    t: String,
}

fn render(state: &AppState, session: &Session, page: StopPage) -> AppResult<Response> {
    let status = if page.state == "invalid" { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Ok((status, view::render_form(state, session, "customer/reminders_stop.html", &page)?).into_response())
}

/// The customer the link is for, when its signature holds.
fn genuine(state: &AppState, link: &StopLink) -> Option<i64> {
    link.c.filter(|&id| reminders::stop_link_is_genuine(&state.config.secret_key, id, &link.t))
}

pub async fn ask(State(state): State<AppState>, session: Session, Query(link): Query<StopLink>) -> AppResult<Response> {
    let page = match genuine(&state, &link) {
        Some(c) => StopPage { state: "ask", c, t: link.t },
        None => StopPage { state: "invalid", c: 0, t: String::new() },
    };
    render(&state, &session, page)
}

pub async fn confirm(
    State(state): State<AppState>,
    session: Session,
    Client(origin): Client,
    Form(link): Form<StopLink>,
) -> AppResult<Response> {
    let Some(customer_id) = genuine(&state, &link) else {
        return render(&state, &session, StopPage { state: "invalid", c: 0, t: String::new() });
    };
    reminders::stop(&state.db, customer_id, origin).await?;
    render(&state, &session, StopPage { state: "stopped", c: customer_id, t: String::new() })
}
