//! Managing staff: creating (from the command line or by invitation),
//! changing roles, disabling, resetting the second factor. Every change is
//! audited with the before and after, and ends the member's sessions.

use std::time::Duration;

use diesel::prelude::*;
use serde_json::json;

use super::{Role, StaffMember, find, find_by_email, roles_of, write_roles};
use crate::audit::{self, Actor, Event, Origin};
use crate::config::Config;
use crate::db::schema::{staff, staff_invitations, staff_recovery_codes};
use crate::db::{self, Db, DbConnection, is_unique_violation};
use crate::domain::{Email, PersonName};
use crate::mail::{Mailer, Recipient, outbox};
use crate::tokens::{hash_token, random_token};
use crate::web::SessionKind;
use crate::web::session;

pub const INVITATION_LIFETIME: Duration = Duration::from_secs(48 * 3600);

#[derive(Clone, Debug)]
pub struct NewStaff {
    pub email: Email,
    pub name: PersonName,
    pub roles: Vec<Role>,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("A staff member with this email already exists.")]
    EmailTaken,
    #[error("Choose at least one role.")]
    NoRoles,
    #[error("You cannot remove your own admin role; ask another admin.")]
    OwnAdminRole,
    #[error("You cannot disable yourself; ask another admin.")]
    DisableSelf,
    #[error("No such staff member.")]
    NotFound,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<diesel::result::Error> for AdminError {
    fn from(e: diesel::result::Error) -> Self {
        if is_unique_violation(&e) { AdminError::EmailTaken } else { AdminError::Internal(e.into()) }
    }
}

impl From<db::DbError> for AdminError {
    fn from(e: db::DbError) -> Self {
        AdminError::Internal(e.into())
    }
}

fn role_names(roles: &[Role]) -> Vec<&'static str> {
    roles.iter().map(|r| r.as_str()).collect()
}

fn insert(conn: &mut DbConnection, new: &NewStaff, password_hash: Option<&str>) -> Result<i64, AdminError> {
    if new.roles.is_empty() {
        return Err(AdminError::NoRoles);
    }
    let id: i64 = diesel::insert_into(staff::table)
        .values((
            staff::email.eq(new.email.as_str()),
            staff::name.eq(new.name.as_str()),
            staff::password_hash.eq(password_hash),
            staff::created_at.eq(db::now()),
        ))
        .returning(staff::id)
        .get_result(conn)?;
    write_roles(conn, id, &new.roles)?;
    Ok(id)
}

/// `kycdesk staff add`: a member with a password, who enrols a second
/// factor at first sign-in.
pub async fn create(db: &Db, new: NewStaff, password_hash: String) -> Result<i64, AdminError> {
    db.write(move |conn| -> Result<i64, AdminError> {
        let id = insert(conn, &new, Some(&password_hash))?;
        audit::record(
            conn,
            Event::new(Actor::System, "staff.created", &Origin::default()).subject("staff", id).details(
                json!({ "email": new.email.as_str(), "roles": role_names(&new.roles), "via": "command line" }),
            ),
        )?;
        Ok(id)
    })
    .await
}

/// An admin adds a member: no password yet, an invitation link by email.
pub async fn invite(
    db: &Db,
    mailer: &Mailer,
    config: &Config,
    admin_id: i64,
    new: NewStaff,
    origin: Origin,
) -> Result<i64, AdminError> {
    let token = random_token();
    let email = mailer
        .compose(
            "staff_invitation",
            Recipient { address: new.email.to_address(), name: Some(new.name.as_str().to_string()) },
            &json!({ "name": new.name.as_str(), "link": config.link(&format!("/console/invite?token={token}")), "hours": 48 }),
            true,
        )
        .map_err(anyhow::Error::from)?;
    db.write(move |conn| -> Result<i64, AdminError> {
        let id = insert(conn, &new, None)?;
        let now = db::now();
        diesel::insert_into(staff_invitations::table)
            .values((
                staff_invitations::staff_id.eq(id),
                staff_invitations::token_hash.eq(hash_token(&token)),
                staff_invitations::created_at.eq(now),
                staff_invitations::expires_at.eq(now + INVITATION_LIFETIME),
            ))
            .execute(conn)?;
        outbox::enqueue(conn, &email)?;
        audit::record(
            conn,
            Event::new(Actor::Staff(admin_id), "staff.invited", &origin)
                .subject("staff", id)
                .details(json!({ "email": new.email.as_str(), "roles": role_names(&new.roles) })),
        )?;
        Ok(id)
    })
    .await
}

/// The member a live invitation belongs to.
pub async fn invitation_owner(db: &Db, token: String) -> anyhow::Result<Option<StaffMember>> {
    db.run(move |conn| -> anyhow::Result<Option<StaffMember>> {
        let id: Option<i64> = staff_invitations::table
            .filter(staff_invitations::token_hash.eq(hash_token(&token)))
            .filter(staff_invitations::used_at.is_null())
            .filter(staff_invitations::revoked_at.is_null())
            .filter(staff_invitations::expires_at.gt(db::now()))
            .select(staff_invitations::staff_id)
            .first(conn)
            .optional()?;
        Ok(match id {
            Some(id) => find(conn, id)?.filter(StaffMember::is_active),
            None => None,
        })
    })
    .await
}

/// Sets the invited member's password; `false` if the link is spent.
pub async fn accept_invitation(
    db: &Db,
    token: String,
    staff_id: i64,
    password_hash: String,
    origin: Origin,
) -> anyhow::Result<bool> {
    db.write(move |conn| -> anyhow::Result<bool> {
        let now = db::now();
        let used = diesel::update(
            staff_invitations::table
                .filter(staff_invitations::token_hash.eq(hash_token(&token)))
                .filter(staff_invitations::staff_id.eq(staff_id))
                .filter(staff_invitations::used_at.is_null())
                .filter(staff_invitations::revoked_at.is_null())
                .filter(staff_invitations::expires_at.gt(now)),
        )
        .set(staff_invitations::used_at.eq(now))
        .execute(conn)?;
        if used != 1 {
            return Ok(false);
        }
        diesel::update(staff::table.find(staff_id)).set(staff::password_hash.eq(&password_hash)).execute(conn)?;
        audit::record(
            conn,
            Event::new(Actor::Staff(staff_id), "staff.invitation_accepted", &origin).subject("staff", staff_id),
        )?;
        Ok(true)
    })
    .await
}

fn end_sessions(conn: &mut DbConnection, staff_id: i64) -> QueryResult<usize> {
    session::end_all_for(conn, SessionKind::Staff, staff_id)
}

pub async fn change_roles(
    db: &Db,
    admin_id: i64,
    staff_id: i64,
    roles: Vec<Role>,
    origin: Origin,
) -> Result<(), AdminError> {
    if roles.is_empty() {
        return Err(AdminError::NoRoles);
    }
    if staff_id == admin_id && !roles.contains(&Role::Admin) {
        return Err(AdminError::OwnAdminRole);
    }
    db.write(move |conn| -> Result<(), AdminError> {
        find(conn, staff_id)?.ok_or(AdminError::NotFound)?;
        let before = roles_of(conn, staff_id)?;
        write_roles(conn, staff_id, &roles)?;
        if staff_id != admin_id {
            end_sessions(conn, staff_id)?;
        }
        audit::record(
            conn,
            Event::new(Actor::Staff(admin_id), "staff.roles_changed", &origin)
                .subject("staff", staff_id)
                .details(json!({ "before": role_names(&before), "after": role_names(&roles) })),
        )?;
        Ok(())
    })
    .await
}

pub async fn set_active(
    db: &Db,
    admin_id: Option<i64>,
    staff_id: i64,
    active: bool,
    origin: Origin,
) -> Result<(), AdminError> {
    if admin_id == Some(staff_id) && !active {
        return Err(AdminError::DisableSelf);
    }
    db.write(move |conn| -> Result<(), AdminError> {
        let member = find(conn, staff_id)?.ok_or(AdminError::NotFound)?;
        let disabled_at = if active { None } else { Some(member.disabled_at.unwrap_or_else(db::now)) };
        diesel::update(staff::table.find(staff_id)).set(staff::disabled_at.eq(disabled_at)).execute(conn)?;
        let ended = end_sessions(conn, staff_id)?;
        let actor = admin_id.map_or(Actor::System, Actor::Staff);
        let action = if active { "staff.enabled" } else { "staff.disabled" };
        audit::record(
            conn,
            Event::new(actor, action, &origin).subject("staff", staff_id).details(json!({ "sessions_ended": ended })),
        )?;
        Ok(())
    })
    .await
}

/// `kycdesk staff disable`: for emergencies, without the console.
pub async fn disable_by_email(db: &Db, email: Email) -> Result<(), AdminError> {
    let id = db
        .run(move |conn| find_by_email(conn, &email).map_err(AdminError::from))
        .await?
        .ok_or(AdminError::NotFound)?
        .id;
    set_active(db, None, id, false, Origin::default()).await
}

/// Forgets the member's second factor; they enrol again at next sign-in.
pub async fn reset_totp(db: &Db, admin_id: i64, staff_id: i64, origin: Origin) -> Result<(), AdminError> {
    db.write(move |conn| -> Result<(), AdminError> {
        find(conn, staff_id)?.ok_or(AdminError::NotFound)?;
        diesel::update(staff::table.find(staff_id))
            .set((
                staff::totp_secret.eq(None::<String>),
                staff::totp_confirmed_at.eq(None::<time::PrimitiveDateTime>),
                staff::totp_last_step.eq(None::<i64>),
            ))
            .execute(conn)?;
        diesel::delete(staff_recovery_codes::table.filter(staff_recovery_codes::staff_id.eq(staff_id)))
            .execute(conn)?;
        let ended = if staff_id == admin_id { 0 } else { end_sessions(conn, staff_id)? };
        audit::record(
            conn,
            Event::new(Actor::Staff(admin_id), "staff.totp_reset", &origin)
                .subject("staff", staff_id)
                .details(json!({ "sessions_ended": ended })),
        )?;
        Ok(())
    })
    .await
}
