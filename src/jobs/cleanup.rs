//! The cleanup job: removes what has outlived its use.

use std::time::{Duration, SystemTime};

use diesel::prelude::*;
use serde_json::{Value, json};

use super::JobContext;
use crate::db::{self, DbConnection, schema::job_runs};
use crate::{captcha, kyc, web};

/// How old a document file without a row must be before it counts as left
/// behind by a crash rather than an upload still finishing.
const ORPHAN_GRACE: Duration = Duration::from_secs(3600);
/// How long the record of a finished job run is kept (the audit log keeps
/// its outcome for good).
const RUN_HISTORY: time::Duration = time::Duration::days(90);

/// Expired sessions, spent captchas, old job run records, document files
/// no row names, and staging files of uploads a crash cut short.
pub async fn run(ctx: &JobContext) -> anyhow::Result<Value> {
    let (sessions, captchas, runs) = ctx
        .db
        .write(|conn| -> anyhow::Result<(usize, usize, usize)> {
            Ok((web::session::delete_expired(conn)?, captcha::delete_expired(conn)?, delete_old_runs(conn)?))
        })
        .await?;
    let files = kyc::submissions::sweep_orphan_files(&ctx.db, &ctx.documents, ORPHAN_GRACE).await?;
    let uploads = ctx.documents.remove_abandoned_uploads(SystemTime::now() - ORPHAN_GRACE).await?;
    if files + uploads > 0 {
        tracing::warn!(files, uploads, "removed document files a crash left behind");
    }
    Ok(json!({
        "expired_sessions": sessions,
        "spent_captchas": captchas,
        "old_job_runs": runs,
        "orphan_files": files,
        "abandoned_uploads": uploads,
    }))
}

fn delete_old_runs(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(job_runs::table.filter(job_runs::finished_at.lt(db::now() - RUN_HISTORY))).execute(conn)
}
