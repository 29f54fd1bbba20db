//! One-time links sent by email: 256 random bits, stored hashed, single use,
//! expiring; issuing a new one revokes the older ones of the same purpose.

use std::time::Duration;

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::schema::email_tokens;
use crate::db::{self, DbConnection};
use crate::tokens::hash_token;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
        }
    }

    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail => Duration::from_secs(24 * 3600),
            Purpose::ResetPassword => Duration::from_secs(3600),
        }
    }
}

/// Stores `token`'s hash for `customer_id` and revokes every older unused
/// token of the same purpose.
pub fn issue(conn: &mut DbConnection, customer_id: i64, purpose: Purpose, token: &str) -> QueryResult<()> {
    let now = db::now();
    diesel::update(
        email_tokens::table
            .filter(email_tokens::customer_id.eq(customer_id))
            .filter(email_tokens::purpose.eq(purpose.as_str()))
            .filter(email_tokens::used_at.is_null())
            .filter(email_tokens::revoked_at.is_null()),
    )
    .set(email_tokens::revoked_at.eq(now))
    .execute(conn)?;
    diesel::insert_into(email_tokens::table)
        .values((
            email_tokens::customer_id.eq(customer_id),
            email_tokens::purpose.eq(purpose.as_str()),
            email_tokens::token_hash.eq(hash_token(token)),
            email_tokens::created_at.eq(now),
            email_tokens::expires_at.eq(now + purpose.lifetime()),
        ))
        .execute(conn)?;
    Ok(())
}

fn live(purpose: Purpose, token: &str) -> email_tokens::BoxedQuery<'static, db::MultiBackend> {
    email_tokens::table
        .filter(email_tokens::token_hash.eq(hash_token(token)))
        .filter(email_tokens::purpose.eq(purpose.as_str()))
        .filter(email_tokens::used_at.is_null())
        .filter(email_tokens::revoked_at.is_null())
        .filter(email_tokens::expires_at.gt(db::now()))
        .into_boxed()
}

/// The customer a live token belongs to, without using it up.
pub fn peek(conn: &mut DbConnection, purpose: Purpose, token: &str) -> QueryResult<Option<i64>> {
    live(purpose, token).select(email_tokens::customer_id).first(conn).optional()
}

/// Uses the token up; `None` when it is unknown, used, revoked or expired.
pub fn redeem(conn: &mut DbConnection, purpose: Purpose, token: &str) -> QueryResult<Option<i64>> {
    let Some((id, customer_id)) = live(purpose, token)
        .select((email_tokens::id, email_tokens::customer_id))
        .first::<(i64, i64)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let taken = diesel::update(email_tokens::table.find(id).filter(email_tokens::used_at.is_null()))
        .set(email_tokens::used_at.eq(db::now()))
        .execute(conn)?;
    Ok((taken == 1).then_some(customer_id))
}

/// When tokens of `purpose` were issued to `customer_id` since `since`, newest first.
pub fn issued_since(
    conn: &mut DbConnection,
    customer_id: i64,
    purpose: Purpose,
    since: PrimitiveDateTime,
) -> QueryResult<Vec<PrimitiveDateTime>> {
    email_tokens::table
        .filter(email_tokens::customer_id.eq(customer_id))
        .filter(email_tokens::purpose.eq(purpose.as_str()))
        .filter(email_tokens::created_at.gt(since))
        .order(email_tokens::created_at.desc())
        .select(email_tokens::created_at)
        .load(conn)
}
