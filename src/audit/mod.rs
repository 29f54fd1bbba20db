//! The append-only, hash-chained audit log. Rows are written inside the
//! transaction of the change they record; the database refuses UPDATE and
//! DELETE on the table.

mod chain;
pub mod query;
pub mod verify;

use diesel::prelude::*;
use serde_json::Value;

use crate::db::schema::audit_log;
use crate::db::{self, DbConnection};

pub use chain::GENESIS_HASH;

/// Key of the PostgreSQL transaction lock that keeps the chain linear when
/// several instances write at once (SQLite's IMMEDIATE transactions already do).
const CHAIN_LOCK: i64 = 0x6b79_6364_6573_6b02;

/// Who made a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A visitor not (yet) tied to an account, e.g. a failed login.
    Anonymous,
    Customer(i64),
    Staff(i64),
    Job(&'static str),
    System,
}

impl Actor {
    fn parts(&self) -> (&'static str, Option<String>) {
        match self {
            Actor::Anonymous => ("anonymous", None),
            Actor::Customer(id) => ("customer", Some(id.to_string())),
            Actor::Staff(id) => ("staff", Some(id.to_string())),
            Actor::Job(name) => ("job", Some((*name).to_string())),
            Actor::System => ("system", None),
        }
    }
}

/// Where a change came from: the client's address and user agent, when the
/// change came over HTTP.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// One thing that happened, about to be recorded.
pub struct Event<'a> {
    pub actor: Actor,
    pub action: &'a str,
    pub subject: Option<(&'a str, String)>,
    pub origin: &'a Origin,
    pub details: Value,
}

impl<'a> Event<'a> {
    pub fn new(actor: Actor, action: &'a str, origin: &'a Origin) -> Self {
        Event { actor, action, subject: None, origin, details: Value::Object(Default::default()) }
    }

    pub fn subject(mut self, kind: &'a str, id: impl ToString) -> Self {
        self.subject = Some((kind, id.to_string()));
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// A stored audit row.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub seq: i64,
    pub occurred_at: time::PrimitiveDateTime,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub subject_kind: Option<String>,
    pub subject_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Appends `event` to the chain. Call it inside the transaction that makes
/// the change it records.
pub fn record(conn: &mut DbConnection, event: Event<'_>) -> QueryResult<i64> {
    if let DbConnection::Postgres(_) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({CHAIN_LOCK})")).execute(conn)?;
    }
    let last: Option<(i64, String)> = audit_log::table
        .select((audit_log::seq, audit_log::hash))
        .order(audit_log::seq.desc())
        .first(conn)
        .optional()?;
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS_HASH.to_string()),
    };
    let (actor_kind, actor_id) = event.actor.parts();
    let mut row = AuditRow {
        seq,
        occurred_at: db::now(),
        actor_kind: actor_kind.to_string(),
        actor_id,
        action: event.action.to_string(),
        subject_kind: event.subject.as_ref().map(|(kind, _)| kind.to_string()),
        subject_id: event.subject.map(|(_, id)| id),
        ip: event.origin.ip.clone(),
        user_agent: event.origin.user_agent.clone(),
        details: event.details.to_string(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = chain::hash(&row);
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::seq.eq(row.seq),
            audit_log::occurred_at.eq(row.occurred_at),
            audit_log::actor_kind.eq(&row.actor_kind),
            audit_log::actor_id.eq(&row.actor_id),
            audit_log::action.eq(&row.action),
            audit_log::subject_kind.eq(&row.subject_kind),
            audit_log::subject_id.eq(&row.subject_id),
            audit_log::ip.eq(&row.ip),
            audit_log::user_agent.eq(&row.user_agent),
            audit_log::details.eq(&row.details),
            audit_log::prev_hash.eq(&row.prev_hash),
            audit_log::hash.eq(&row.hash),
        ))
        .execute(conn)?;
    Ok(seq)
}
