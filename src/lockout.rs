//! Failed sign-ins, counted in the database (so every instance sees them)
//! per account and per client address, and the growing lockout they cause.
//! Customers and staff share the rules; each keeps its lock on its own row.

use std::time::Duration;

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::audit::Origin;
use crate::db::schema::login_attempts;
use crate::db::{self, DbConnection};

/// Failures within `WINDOW` that lock an account.
const ACCOUNT_FAILURES: i64 = 10;
/// Failures within `WINDOW` from one address that stop it signing anyone in.
const ADDRESS_FAILURES: i64 = 50;
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// The first lockout; each further one within a day doubles it.
const FIRST_LOCKOUT: Duration = Duration::from_secs(15 * 60);
const LONGEST_LOCKOUT: Duration = Duration::from_secs(24 * 3600);

/// Whose sign-in an attempt was.
#[derive(Clone, Copy, Debug)]
pub enum Account {
    Customer(i64),
    Staff(i64),
}

#[derive(Clone, Copy, Debug)]
pub enum Attempt {
    Success,
    Failure,
    /// Not checked: the account or address was locked.
    Refused,
}

impl Attempt {
    fn as_str(self) -> &'static str {
        match self {
            Attempt::Success => "success",
            Attempt::Failure => "failure",
            Attempt::Refused => "refused",
        }
    }
}

/// An account's lock, as kept on its row.
#[derive(Clone, Copy, Debug)]
pub struct LockState {
    pub locked_until: Option<PrimitiveDateTime>,
    pub lockouts: i32,
    pub last_lockout_at: Option<PrimitiveDateTime>,
}

/// A new lockout to store on the account's row.
#[derive(Clone, Copy, Debug)]
pub struct Lockout {
    pub until: PrimitiveDateTime,
    pub nth: i32,
    pub minutes: u64,
}

impl LockState {
    pub fn is_locked(&self, now: PrimitiveDateTime) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}

pub fn record(conn: &mut DbConnection, account: Option<Account>, origin: &Origin, attempt: Attempt) -> QueryResult<()> {
    let (customer_id, staff_id) = match account {
        Some(Account::Customer(id)) => (Some(id), None),
        Some(Account::Staff(id)) => (None, Some(id)),
        None => (None, None),
    };
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::customer_id.eq(customer_id),
            login_attempts::staff_id.eq(staff_id),
            login_attempts::ip.eq(&origin.ip),
            login_attempts::outcome.eq(attempt.as_str()),
            login_attempts::created_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether the client's address has failed too often lately.
pub fn address_blocked(conn: &mut DbConnection, origin: &Origin) -> QueryResult<bool> {
    let Some(ip) = &origin.ip else { return Ok(false) };
    let failures: i64 = login_attempts::table
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::outcome.eq(Attempt::Failure.as_str()))
        .filter(login_attempts::created_at.gt(db::now() - WINDOW))
        .count()
        .get_result(conn)?;
    Ok(failures >= ADDRESS_FAILURES)
}

/// Called after a failure has been recorded: the lockout to apply, if the
/// account has now failed too often since its last lockout ended.
pub fn after_failure(conn: &mut DbConnection, account: Account, lock: LockState) -> QueryResult<Option<Lockout>> {
    let now = db::now();
    let since = match lock.locked_until {
        Some(until) if until > now - WINDOW => until,
        _ => now - WINDOW,
    };
    let mut query = login_attempts::table
        .filter(login_attempts::outcome.eq(Attempt::Failure.as_str()))
        .filter(login_attempts::created_at.gt(since))
        .into_boxed();
    query = match account {
        Account::Customer(id) => query.filter(login_attempts::customer_id.eq(id)),
        Account::Staff(id) => query.filter(login_attempts::staff_id.eq(id)),
    };
    let failures: i64 = query.count().get_result(conn)?;
    if failures < ACCOUNT_FAILURES {
        return Ok(None);
    }
    let recent = lock.last_lockout_at.is_some_and(|at| now - at < LONGEST_LOCKOUT);
    let nth = if recent { lock.lockouts + 1 } else { 1 };
    let length = lockout_length(nth);
    Ok(Some(Lockout { until: now + length, nth, minutes: length.as_secs() / 60 }))
}

/// The length of the `nth` lockout in a row (1-based).
fn lockout_length(nth: i32) -> Duration {
    let doublings = u32::try_from(nth.saturating_sub(1)).unwrap_or(0).min(10);
    FIRST_LOCKOUT.saturating_mul(1 << doublings).min(LONGEST_LOCKOUT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockouts_grow_and_are_capped() {
        assert_eq!(lockout_length(1), Duration::from_secs(15 * 60));
        assert_eq!(lockout_length(2), Duration::from_secs(30 * 60));
        assert_eq!(lockout_length(3), Duration::from_secs(60 * 60));
        assert_eq!(lockout_length(20), LONGEST_LOCKOUT);
    }
}
