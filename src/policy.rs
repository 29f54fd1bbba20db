//! The operator's files (`policies/`, `jobs/`): where they are read from,
//! and the error that names a file and line when one is wrong.

use std::ops::Range;
use std::path::Path;

use serde::de::DeserializeOwned;

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

/// An operator's TOML file being read: parsed whole, with mistakes named by
/// file and line.
pub struct TomlFile<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl TomlFile<'_> {
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, PolicyError> {
        toml::from_str(self.text).map_err(|e| self.error(e.span().map_or(1, |span| self.line_of(span)), e.message()))
    }

    /// The 1-based line a parsed value's span starts on.
    pub fn line_of(&self, span: Range<usize>) -> usize {
        self.text[..span.start.min(self.text.len())].matches('\n').count() + 1
    }

    pub fn error(&self, line: usize, message: impl Into<String>) -> PolicyError {
        PolicyError { file: self.file.to_string(), line, message: message.into() }
    }
}
