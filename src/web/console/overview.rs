//! `/console`: where a staff member lands.

use axum::extract::State;
use axum::response::Html;
use serde::Serialize;

use super::Staff;
use crate::authz::EnterConsole;
use crate::staff;
use crate::web::AppState;
use crate::web::error::AppResult;
use crate::web::view::{self, Console};

#[derive(Serialize)]
struct Overview {
    roles: Vec<&'static str>,
}

pub async fn show(State(state): State<AppState>, me: Staff<EnterConsole>) -> AppResult<Html<String>> {
    let id = me.member.id;
    let roles = state.db.run(move |conn| staff::roles_of(conn, id).map_err(anyhow::Error::from)).await?;
    let console = Console { name: &me.member.name, nav: &me.nav };
    let page = Overview { roles: roles.iter().map(|r| r.label()).collect() };
    view::render_console(&state, &me.session, &console, "console/overview.html", &page)
}
