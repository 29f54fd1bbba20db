//! The cleanup job: removes what has outlived its use.

use std::time::Duration;

use serde_json::{Value, json};

use super::JobContext;
use crate::{captcha, kyc, web};

/// How old a document file without a row must be before it counts as left
/// behind by a crash rather than an upload still finishing.
const ORPHAN_GRACE: Duration = Duration::from_secs(3600);

/// Expired sessions, spent captchas, and document files no row names.
pub async fn run(ctx: &JobContext) -> anyhow::Result<Value> {
    let (sessions, captchas) = ctx
        .db
        .write(|conn| -> anyhow::Result<(usize, usize)> {
            Ok((web::session::delete_expired(conn)?, captcha::delete_expired(conn)?))
        })
        .await?;
    let files = kyc::submissions::sweep_orphan_files(&ctx.db, &ctx.documents, ORPHAN_GRACE).await?;
    if files > 0 {
        tracing::warn!(files, "removed document files that no row names");
    }
    Ok(json!({ "expired_sessions": sessions, "spent_captchas": captchas, "orphan_files": files }))
}
