//! `/console`: where a staff member lands: their roles, and the work waiting
//! in the parts of the console they may open.

use axum::extract::State;
use axum::response::Html;
use serde::Serialize;

use super::Staff;
use crate::accounts::support;
use crate::authz::{EnterConsole, ReadKyc, ReadOutbox, ReadSupport};
use crate::db::count_for;
use crate::kyc::{KycStatus, submissions};
use crate::mail::outbox;
use crate::web::AppState;
use crate::web::error::AppResult;
use crate::web::view::{self, Console};

/// One count of waiting work, with where to deal with it.
#[derive(Serialize)]
struct Waiting {
    count: i64,
    label: &'static str,
    href: &'static str,
}

#[derive(Serialize)]
struct Overview {
    roles: Vec<&'static str>,
    waiting: Vec<Waiting>,
}

pub async fn show(State(state): State<AppState>, me: Staff<EnterConsole>) -> AppResult<Html<String>> {
    let (kyc, support_open, outbox) = state
        .db
        .run(|conn| -> anyhow::Result<_> {
            Ok((submissions::count_by_status(conn)?, support::open_count(conn)?, outbox::count_by_state(conn)?))
        })
        .await?;
    let mut waiting = Vec::new();
    if me.may::<ReadKyc>(&state) {
        let unclaimed = count_for(&kyc, KycStatus::Submitted.as_str());
        waiting.push(Waiting {
            count: unclaimed,
            label: "KYC waiting for a reviewer",
            href: "/console/kyc?view=submitted",
        });
        let in_review = count_for(&kyc, KycStatus::InReview.as_str());
        waiting.push(Waiting { count: in_review, label: "KYC in review", href: "/console/kyc?view=in_review" });
    }
    if me.may::<ReadSupport>(&state) {
        waiting.push(Waiting { count: support_open, label: "Open support requests", href: "/console/support" });
    }
    if me.may::<ReadOutbox>(&state) {
        let failed = count_for(&outbox, outbox::State::Failed.as_str());
        waiting.push(Waiting { count: failed, label: "Undelivered emails", href: "/console/outbox?state=failed" });
    }
    let page = Overview { roles: me.roles.iter().map(|r| r.label()).collect(), waiting };
    let console = Console { name: &me.member.name, nav: &me.nav };
    view::render_console(&state, &me.session, &console, "console/overview.html", &page)
}
