//! The operator's files (`policies/`, `jobs/`): where they are read from,
//! and the error that names a file and line when one is wrong.

use std::path::Path;

/// What a policy file's mistake is, and on which line.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct PolicyError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Where the role, entity-type and password policies are by default.
pub const POLICIES: &str = "policies";
/// Where the job schedules are by default.
pub const JOBS: &str = "jobs";

/// The text of file `name`: from `dir` when one is configured, else from
/// `./<default_dir>` if it has the file, else the copy built into the
/// binary. Returns the name to show in errors and the text.
pub fn read(
    dir: Option<&Path>,
    default_dir: &str,
    name: &str,
    built_in: &'static str,
) -> Result<(String, String), PolicyError> {
    let path = dir.unwrap_or(Path::new(default_dir)).join(name);
    if dir.is_none() && !path.exists() {
        return Ok((format!("(built-in) {name}"), built_in.to_string()));
    }
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|e| PolicyError {
        file: shown.clone(),
        line: 0,
        message: e.to_string(),
    })?;
    Ok((shown, text))
}
