//! Recomputes the audit chain and names the first row that does not fit.

use diesel::prelude::*;

use super::{AuditRow, GENESIS_HASH, chain};
use crate::db::DbConnection;
use crate::db::schema::audit_log;

const BATCH: i64 = 1000;

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Intact { rows: u64 },
    Broken { seq: i64, reason: String },
}

impl Outcome {
    pub fn is_intact(&self) -> bool {
        matches!(self, Outcome::Intact { .. })
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Intact { rows } => write!(f, "Audit log intact: {rows} rows verified"),
            Outcome::Broken { seq, reason } => write!(f, "Audit log broken at row {seq}: {reason}"),
        }
    }
}

pub fn verify(conn: &mut DbConnection) -> QueryResult<Outcome> {
    let mut expected_seq = 1i64;
    let mut prev_hash = GENESIS_HASH.to_string();
    loop {
        let rows: Vec<AuditRow> = audit_log::table
            .filter(audit_log::seq.ge(expected_seq))
            .order(audit_log::seq.asc())
            .limit(BATCH)
            .select(AuditRow::as_select())
            .load(conn)?;
        if rows.is_empty() {
            return Ok(Outcome::Intact { rows: (expected_seq - 1) as u64 });
        }
        for row in rows {
            if row.seq != expected_seq {
                return Ok(Outcome::Broken {
                    seq: expected_seq,
                    reason: format!("row {expected_seq} is missing (the next row is {})", row.seq),
                });
            }
            if row.prev_hash != prev_hash {
                return Ok(Outcome::Broken {
                    seq: row.seq,
                    reason: "its previous-hash does not match the row before it".into(),
                });
            }
            if chain::hash(&row) != row.hash {
                return Ok(Outcome::Broken { seq: row.seq, reason: "its contents do not match its hash".into() });
            }
            prev_hash = row.hash;
            expected_seq += 1;
        }
    }
}
