//! Form errors shown beside their fields.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::{Email, Invalid, Password};

/// Messages by field name; a form with any is rendered again with the
/// visitor's values.
#[derive(Debug, Default, Serialize)]
pub struct FieldErrors(BTreeMap<&'static str, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    /// The parsed value, or `None` with the error recorded against `field`.
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, Invalid>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(Invalid(message)) => {
                self.add(field, message);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A new password typed twice (fields `password` and `confirm_password`):
/// checked against the policy and against each other.
pub fn new_password(
    errors: &mut FieldErrors,
    typed: &str,
    confirmation: &str,
    email: Option<&Email>,
) -> Option<Password> {
    let password = errors.check("password", Password::parse(typed, email));
    if typed != confirmation {
        errors.add("confirm_password", "The passwords do not match.");
    }
    password
}

/// A login form's email, or the errors to show: the email must parse and a
/// password must be typed (it is checked against the account later).
pub fn login_email(email: &str, password: &str) -> Result<Email, FieldErrors> {
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(email));
    if password.is_empty() {
        errors.add("password", "Enter your password.");
    }
    email.filter(|_| errors.is_empty()).ok_or(errors)
}

/// A form that sets a password through a one-time link (a reset or an
/// invitation): the link's token and the new password typed twice.
#[derive(Debug, Default, Deserialize)]
pub struct LinkPasswordForm {
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub confirm_password: String,
}

impl LinkPasswordForm {
    /// The new password for the account of `email`, or the errors to show.
    pub fn new_password(&self, email: Option<&Email>) -> Result<Password, FieldErrors> {
        let mut errors = FieldErrors::default();
        let password = new_password(&mut errors, &self.password, &self.confirm_password, email);
        password.filter(|_| errors.is_empty()).ok_or(errors)
    }
}

/// Whether `next` is a path on this site (not `//host` or `/\host`), safe to
/// redirect to after signing in.
pub fn is_local_path(next: &str) -> bool {
    next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && !next.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert!(is_local_path("/dashboard"));
        assert!(is_local_path("/settings/kyc?x=1"));
        for bad in ["https://evil.example", "//evil.example", "/\\evil.example", "dashboard", "/a\nb"] {
            assert!(!is_local_path(bad), "{bad}");
        }
    }
}
