//! The hash that links each audit row to the one before it.

use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;

use super::AuditRow;

/// The `prev_hash` of the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 over the previous hash and a canonical encoding of the row: a JSON
/// array of every column but the hash, in a fixed order, with the time in
/// RFC 3339 at microsecond precision. `details` is hashed as the stored text.
pub fn hash(row: &AuditRow) -> String {
    let occurred_at = row.occurred_at.assume_utc().format(&Rfc3339).expect("a stored timestamp formats as RFC 3339");
    let canonical = serde_json::json!([
        row.seq,
        occurred_at,
        row.actor_kind,
        row.actor_id,
        row.action,
        row.subject_kind,
        row.subject_id,
        row.ip,
        row.user_agent,
        row.details,
    ]);
    let mut hasher = Sha256::new();
    hasher.update(row.prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical.to_string().as_bytes());
    hex::encode(hasher.finalize())
}
