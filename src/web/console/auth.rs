//! The signed-in staff member, and the permission a route needs, checked
//! before the handler runs.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Actor, Event};
use crate::authz::{self, Permission};
use crate::staff::{self, Role, StaffMember};
use crate::web::AppState;
use crate::web::client::Client;
use crate::web::error::AppError;
use crate::web::session::Session;

/// A signed-in, active staff member allowed `P`.
pub struct Staff<P: Permission> {
    pub member: StaffMember,
    pub roles: Vec<Role>,
    pub session: Session,
    pub nav: Vec<ConsoleNav>,
    _permission: PhantomData<P>,
}

impl<P: Permission> Staff<P> {
    /// Whether the member may also do `Q`, for what a page offers beyond the
    /// route's own permission.
    pub fn may<Q: Permission>(&self, state: &AppState) -> bool {
        state.authz.allows(&self.roles, Q::RESOURCE, Q::ACTION)
    }
}

/// A console section the member may open.
#[derive(Clone, Debug, Serialize)]
pub struct ConsoleNav {
    pub href: &'static str,
    pub label: &'static str,
}

/// The console's sections and what each needs to appear in the navigation.
const SECTIONS: &[(&str, &str, &str, &str)] = &[
    ("/console", "Overview", authz::EnterConsole::RESOURCE, authz::EnterConsole::ACTION),
    ("/console/kyc", "KYC review", authz::ReadKyc::RESOURCE, authz::ReadKyc::ACTION),
    ("/console/customers", "Customers", authz::ReadCustomers::RESOURCE, authz::ReadCustomers::ACTION),
    ("/console/support", "Support", authz::ReadSupport::RESOURCE, authz::ReadSupport::ACTION),
    ("/console/audit", "Audit log", authz::ReadAudit::RESOURCE, authz::ReadAudit::ACTION),
    ("/console/outbox", "Outbox", authz::ReadOutbox::RESOURCE, authz::ReadOutbox::ACTION),
    ("/console/jobs", "Jobs", authz::RunJobs::RESOURCE, authz::RunJobs::ACTION),
    ("/console/staff", "Staff", authz::ManageStaff::RESOURCE, authz::ManageStaff::ACTION),
];

impl<P: Permission> FromRequestParts<AppState> for Staff<P> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        let login = AppError::Redirect("/console/login".into());
        let Some(id) = session.subject() else { return Err(login) };
        let (member, roles) = state
            .db
            .run(move |conn| -> Result<_, AppError> { Ok((staff::find(conn, id)?, staff::roles_of(conn, id)?)) })
            .await?;
        let Some(member) = member.filter(StaffMember::is_active) else {
            session.sign_out();
            return Err(login);
        };
        if !state.authz.allows(&roles, P::RESOURCE, P::ACTION) {
            let Client(origin) = Client::from_request_parts(parts, state).await.expect("infallible");
            let path = parts.uri.path().to_string();
            let staff_id = member.id;
            state
                .db
                .write(move |conn| {
                    audit::record(
                        conn,
                        Event::new(Actor::Staff(staff_id), "console.access_denied", &origin).details(json!({
                            "path": path,
                            "resource": P::RESOURCE,
                            "action": P::ACTION,
                        })),
                    )
                    .map_err(AppError::from)
                })
                .await?;
            return Err(AppError::Forbidden);
        }
        let nav = SECTIONS
            .iter()
            .filter(|(_, _, resource, action)| state.authz.allows(&roles, resource, action))
            .map(|(href, label, _, _)| ConsoleNav { href, label })
            .collect();
        Ok(Staff { member, roles, session, nav, _permission: PhantomData })
    }
}
