//! Console sign-in: a password, then an authentication code (or a recovery
//! code). Failures count toward the same growing lockout as customers'.

use diesel::prelude::*;
use serde_json::json;

use super::{StaffMember, find, find_by_email, totp};
use crate::accounts::hashing::PasswordHasher;
use crate::audit::{self, Actor, Event, Origin};
use crate::config::SecretKey;
use crate::db::schema::{staff, staff_recovery_codes};
use crate::db::{self, Db, DbConnection};
use crate::domain::{Email, Password};
use crate::lockout::{self, Account, Attempt};

fn event<'a>(staff_id: i64, action: &'a str, origin: &'a Origin, details: serde_json::Value) -> Event<'a> {
    Event::new(Actor::Staff(staff_id), action, origin).subject("staff", staff_id).details(details)
}

/// Records a failed step and locks the member out when it is one too many.
fn fail(conn: &mut DbConnection, member: &StaffMember, origin: &Origin, step: &str) -> anyhow::Result<()> {
    let account = Account::Staff(member.id);
    lockout::record(conn, Some(account), origin, Attempt::Failure)?;
    audit::record(conn, event(member.id, "staff.login_failed", origin, json!({ "step": step })))?;
    if let Some(lockout) = lockout::after_failure(conn, account, member.lock_state())? {
        diesel::update(staff::table.find(member.id))
            .set((
                staff::locked_until.eq(lockout.until),
                staff::lockouts.eq(lockout.nth),
                staff::last_lockout_at.eq(db::now()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            event(member.id, "staff.locked_out", origin, json!({ "lockout": lockout.nth, "minutes": lockout.minutes })),
        )?;
    }
    Ok(())
}

/// Whether the member may try at all; records and audits a refusal.
fn refused(conn: &mut DbConnection, member: &StaffMember, origin: &Origin) -> anyhow::Result<bool> {
    let blocked = lockout::address_blocked(conn, origin)?;
    let locked = member.lock_state().is_locked(db::now());
    if !(blocked || locked || !member.is_active()) {
        return Ok(false);
    }
    lockout::record(conn, Some(Account::Staff(member.id)), origin, Attempt::Refused)?;
    let reason = if !member.is_active() {
        "disabled"
    } else if locked {
        "locked"
    } else {
        "address blocked"
    };
    audit::record(conn, event(member.id, "staff.login_refused", origin, json!({ "reason": reason })))?;
    Ok(true)
}

/// The password step. `Some` means: go on to the second factor.
pub async fn check_password(
    db: &Db,
    hasher: &PasswordHasher,
    email: Email,
    password: Password,
    origin: Origin,
) -> anyhow::Result<Option<StaffMember>> {
    let lookup = email.clone();
    let member = db.run(move |conn| find_by_email(conn, &lookup).map_err(anyhow::Error::from)).await?;
    let matches = hasher.verify(&password, member.as_ref().and_then(|m| m.password_hash.as_deref())).await?;
    db.write(move |conn| -> anyhow::Result<Option<StaffMember>> {
        let Some(member) = member.map(|m| find(conn, m.id)).transpose()?.flatten() else {
            lockout::record(conn, None, &origin, Attempt::Failure)?;
            audit::record(
                conn,
                Event::new(Actor::Anonymous, "staff.login_failed", &origin)
                    .details(json!({ "email": email.as_str(), "step": "password" })),
            )?;
            return Ok(None);
        };
        if refused(conn, &member, &origin)? {
            return Ok(None);
        }
        if !matches {
            fail(conn, &member, &origin, "password")?;
            return Ok(None);
        }
        audit::record(conn, event(member.id, "staff.password_accepted", &origin, json!({})))?;
        Ok(Some(member))
    })
    .await
}

/// What the enrolment page shows: the secret as a URI and a QR code.
pub struct Enrolment {
    pub uri: String,
    pub qr_svg: String,
}

/// The member's pending secret, created on first view.
pub async fn enrolment(db: &Db, key: &SecretKey, member: &StaffMember) -> anyhow::Result<Enrolment> {
    let secret = match &member.totp_secret {
        Some(sealed) => totp::open(key, sealed)?,
        None => {
            let secret = totp::new_secret();
            let sealed = totp::seal(key, &secret);
            let id = member.id;
            db.run(move |conn| {
                diesel::update(staff::table.find(id).filter(staff::totp_secret.is_null()))
                    .set(staff::totp_secret.eq(sealed))
                    .execute(conn)
                    .map_err(anyhow::Error::from)
            })
            .await?;
            let stored = db.run(move |conn| find(conn, id).map_err(anyhow::Error::from)).await?;
            match stored.and_then(|m| m.totp_secret) {
                Some(sealed) => totp::open(key, &sealed)?,
                None => secret,
            }
        }
    };
    let uri = totp::otpauth_uri(&secret, &member.email)?;
    let qr_svg = totp::qr_svg(&uri)?;
    Ok(Enrolment { uri, qr_svg })
}

/// Confirms enrolment with a first code; returns the recovery codes to show
/// once, or `None` if the code was wrong.
pub async fn confirm_enrolment(
    db: &Db,
    key: &SecretKey,
    staff_id: i64,
    code: String,
    origin: Origin,
) -> anyhow::Result<Option<Vec<String>>> {
    let key = key.clone();
    db.write(move |conn| -> anyhow::Result<Option<Vec<String>>> {
        let member = find(conn, staff_id)?.ok_or_else(|| anyhow::anyhow!("staff member {staff_id} vanished"))?;
        if member.has_totp() || refused(conn, &member, &origin)? {
            return Ok(None);
        }
        let sealed = member.totp_secret.as_deref().ok_or_else(|| anyhow::anyhow!("no pending secret"))?;
        let Some(step) = totp::accept(&totp::open(&key, sealed)?, &member.email, &code, None)? else {
            fail(conn, &member, &origin, "enrolment")?;
            return Ok(None);
        };
        let now = db::now();
        diesel::update(staff::table.find(staff_id))
            .set((staff::totp_confirmed_at.eq(now), staff::totp_last_step.eq(step), staff::last_login_at.eq(now)))
            .execute(conn)?;
        let codes = totp::new_recovery_codes();
        diesel::delete(staff_recovery_codes::table.filter(staff_recovery_codes::staff_id.eq(staff_id)))
            .execute(conn)?;
        for code in &codes {
            diesel::insert_into(staff_recovery_codes::table)
                .values((
                    staff_recovery_codes::staff_id.eq(staff_id),
                    staff_recovery_codes::code_hash.eq(totp::recovery_hash(code)),
                ))
                .execute(conn)?;
        }
        lockout::record(conn, Some(Account::Staff(staff_id)), &origin, Attempt::Success)?;
        audit::record(conn, event(staff_id, "staff.totp_enrolled", &origin, json!({})))?;
        audit::record(conn, event(staff_id, "staff.logged_in", &origin, json!({ "method": "enrolment" })))?;
        Ok(Some(codes))
    })
    .await
}

/// The second step: an authentication code (each time step once) or an
/// unused recovery code.
pub async fn second_factor(
    db: &Db,
    key: &SecretKey,
    staff_id: i64,
    code: String,
    origin: Origin,
) -> anyhow::Result<bool> {
    let key = key.clone();
    db.write(move |conn| -> anyhow::Result<bool> {
        let member = find(conn, staff_id)?.ok_or_else(|| anyhow::anyhow!("staff member {staff_id} vanished"))?;
        if !member.has_totp() || refused(conn, &member, &origin)? {
            return Ok(false);
        }
        let now = db::now();
        let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let method = if digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()) {
            let sealed = member.totp_secret.as_deref().ok_or_else(|| anyhow::anyhow!("no secret"))?;
            match totp::accept(&totp::open(&key, sealed)?, &member.email, &digits, member.totp_last_step)? {
                Some(step) => {
                    diesel::update(staff::table.find(staff_id)).set(staff::totp_last_step.eq(step)).execute(conn)?;
                    Some("authentication code")
                }
                None => None,
            }
        } else {
            let used = diesel::update(
                staff_recovery_codes::table
                    .filter(staff_recovery_codes::staff_id.eq(staff_id))
                    .filter(staff_recovery_codes::code_hash.eq(totp::recovery_hash(&code)))
                    .filter(staff_recovery_codes::used_at.is_null()),
            )
            .set(staff_recovery_codes::used_at.eq(now))
            .execute(conn)?;
            (used == 1).then_some("recovery code")
        };
        let Some(method) = method else {
            fail(conn, &member, &origin, "second factor")?;
            return Ok(false);
        };
        diesel::update(staff::table.find(staff_id)).set(staff::last_login_at.eq(now)).execute(conn)?;
        lockout::record(conn, Some(Account::Staff(staff_id)), &origin, Attempt::Success)?;
        audit::record(conn, event(staff_id, "staff.logged_in", &origin, json!({ "method": method })))?;
        Ok(true)
    })
    .await
}
