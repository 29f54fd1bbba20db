//! `/console/support`: the requests customers sent through `/support`, the
//! open ones first, and closing them once answered.

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::Staff;
use crate::accounts::support;
use crate::authz::{CloseSupport, ReadCustomers, ReadSupport};
use crate::staff;
use crate::web::AppState;
use crate::web::client::Client;
use crate::web::error::AppResult;
use crate::web::session::FlashLevel;
use crate::web::view::{self, Console};

const LIMIT: i64 = 200;

#[derive(Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    view: String,
}

#[derive(Serialize)]
struct RequestView {
    id: i64,
    email: String,
    customer_id: Option<i64>,
    message: String,
    received: String,
    closed: Option<String>,
}

#[derive(Serialize)]
struct InboxPage {
    open: bool,
    requests: Vec<RequestView>,
    can_close: bool,
    can_open_customers: bool,
}

pub async fn inbox(
    State(state): State<AppState>,
    me: Staff<ReadSupport>,
    Query(query): Query<InboxQuery>,
) -> AppResult<Html<String>> {
    let open = query.view != "closed";
    let (requests, names) = state
        .db
        .run(move |conn| -> anyhow::Result<_> {
            let requests = support::inbox(conn, open, LIMIT)?;
            let closers = requests.iter().filter_map(|r| r.resolved_by).collect();
            Ok((requests, staff::names(conn, closers)?))
        })
        .await?;
    let page = InboxPage {
        open,
        requests: requests
            .into_iter()
            .map(|r| RequestView {
                closed: r.resolved_at.map(|at| {
                    let by = r.resolved_by.and_then(|id| names.get(&id).cloned());
                    format!("{} by {}", view::timestamp(at), by.as_deref().unwrap_or("a former staff member"))
                }),
                id: r.id,
                received: view::timestamp(r.created_at),
                email: r.email,
                customer_id: r.customer_id,
                message: r.message,
            })
            .collect(),
        can_close: me.may::<CloseSupport>(&state),
        can_open_customers: me.may::<ReadCustomers>(&state),
    };
    let console = Console { name: &me.member.name, nav: &me.nav };
    view::render_console(&state, &me.session, &console, "console/support.html", &page)
}

pub async fn close(
    State(state): State<AppState>,
    me: Staff<CloseSupport>,
    Client(origin): Client,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    if support::close(&state.db, me.member.id, id, origin).await? {
        me.session.flash(FlashLevel::Success, format!("Request #{id} closed."));
    } else {
        me.session.flash(FlashLevel::Info, format!("Request #{id} was already closed."));
    }
    Ok(Redirect::to("/console/support").into_response())
}
