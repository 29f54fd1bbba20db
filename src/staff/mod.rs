//! Staff members: their accounts, roles, second factor and sign-in.

pub mod admin;
pub mod login;
pub mod totp;

use diesel::prelude::*;
use serde::Serialize;
use time::PrimitiveDateTime;

use crate::db::DbConnection;
use crate::db::schema::{staff, staff_roles};
use crate::domain::Email;
use crate::lockout::LockState;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    SupportAgent,
    Reviewer,
    SeniorReviewer,
    Auditor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::SupportAgent, Role::Reviewer, Role::SeniorReviewer, Role::Auditor, Role::Admin];

    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SupportAgent => "support_agent",
            Role::Reviewer => "reviewer",
            Role::SeniorReviewer => "senior_reviewer",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::SupportAgent => "Support agent",
            Role::Reviewer => "Reviewer",
            Role::SeniorReviewer => "Senior reviewer",
            Role::Auditor => "Auditor",
            Role::Admin => "Admin",
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = staff)]
pub struct StaffMember {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub totp_confirmed_at: Option<PrimitiveDateTime>,
    pub totp_last_step: Option<i64>,
    pub disabled_at: Option<PrimitiveDateTime>,
    pub last_login_at: Option<PrimitiveDateTime>,
    pub locked_until: Option<PrimitiveDateTime>,
    pub lockouts: i32,
    pub last_lockout_at: Option<PrimitiveDateTime>,
    pub created_at: PrimitiveDateTime,
}

impl StaffMember {
    pub fn is_active(&self) -> bool {
        self.disabled_at.is_none()
    }

    pub fn has_totp(&self) -> bool {
        self.totp_confirmed_at.is_some()
    }

    pub fn lock_state(&self) -> LockState {
        LockState { locked_until: self.locked_until, lockouts: self.lockouts, last_lockout_at: self.last_lockout_at }
    }
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<StaffMember>> {
    staff::table.find(id).select(StaffMember::as_select()).first(conn).optional()
}

/// The names of the staff members with these ids.
pub fn names(conn: &mut DbConnection, ids: Vec<i64>) -> QueryResult<std::collections::HashMap<i64, String>> {
    Ok(staff::table.filter(staff::id.eq_any(ids)).select((staff::id, staff::name)).load(conn)?.into_iter().collect())
}

pub fn find_by_email(conn: &mut DbConnection, email: &Email) -> QueryResult<Option<StaffMember>> {
    staff::table.filter(staff::email.eq(email.as_str())).select(StaffMember::as_select()).first(conn).optional()
}

pub fn roles_of(conn: &mut DbConnection, staff_id: i64) -> QueryResult<Vec<Role>> {
    let names: Vec<String> =
        staff_roles::table.filter(staff_roles::staff_id.eq(staff_id)).select(staff_roles::role).load(conn)?;
    let mut roles: Vec<Role> = names.iter().filter_map(|n| Role::parse(n)).collect();
    roles.sort();
    Ok(roles)
}

/// Every staff member with their roles, by name.
pub fn all_with_roles(conn: &mut DbConnection) -> QueryResult<Vec<(StaffMember, Vec<Role>)>> {
    let members: Vec<StaffMember> =
        staff::table.order(staff::name.asc()).select(StaffMember::as_select()).load(conn)?;
    let rows: Vec<(i64, String)> = staff_roles::table.select((staff_roles::staff_id, staff_roles::role)).load(conn)?;
    let assignments: Vec<(i64, Role)> =
        rows.into_iter().filter_map(|(id, role)| Role::parse(&role).map(|r| (id, r))).collect();
    Ok(members
        .into_iter()
        .map(|m| {
            let mut roles: Vec<Role> = assignments.iter().filter(|(id, _)| *id == m.id).map(|(_, r)| *r).collect();
            roles.sort();
            (m, roles)
        })
        .collect())
}

fn write_roles(conn: &mut DbConnection, staff_id: i64, roles: &[Role]) -> QueryResult<()> {
    diesel::delete(staff_roles::table.filter(staff_roles::staff_id.eq(staff_id))).execute(conn)?;
    for role in roles {
        diesel::insert_into(staff_roles::table)
            .values((staff_roles::staff_id.eq(staff_id), staff_roles::role.eq(role.as_str())))
            .execute(conn)?;
    }
    Ok(())
}
