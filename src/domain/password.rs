//! The password policy: the guide's character classes, a length range, and
//! no common or email-derived passwords.

use std::collections::HashSet;
use std::sync::LazyLock;

use secrecy::{ExposeSecret, SecretString};

use super::{Email, Invalid};

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../policies/common-passwords.txt")
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
});

/// A password that meets the policy. It never prints.
#[derive(Clone)]
pub struct Password(SecretString);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(hidden)")
    }
}

impl Password {
    pub const MIN_LEN: usize = 8;
    pub const MAX_LEN: usize = 128;

    /// Checks a new password. `email` is the account's address, whose local
    /// part must not appear in the password.
    pub fn parse(raw: &str, email: Option<&Email>) -> Result<Password, Invalid> {
        let length = raw.chars().count();
        if length < Self::MIN_LEN {
            return Err(Invalid("Use at least 8 characters."));
        }
        if length > Self::MAX_LEN {
            return Err(Invalid("Use at most 128 characters."));
        }
        if !raw.chars().any(char::is_uppercase)
            || !raw.chars().any(char::is_lowercase)
            || !raw.chars().any(char::is_numeric)
            || !raw.chars().any(|c| !c.is_alphanumeric())
        {
            return Err(Invalid("Include an uppercase letter, a lowercase letter, a digit and a special character."));
        }
        let lower = raw.to_lowercase();
        let core = lower.trim_matches(|c: char| !c.is_alphabetic());
        if COMMON.contains(lower.as_str()) || COMMON.contains(core) {
            return Err(Invalid("This password is too common. Choose one that is harder to guess."));
        }
        if let Some(email) = email {
            let local = email.local_part();
            if local.chars().count() >= 3 && lower.contains(local) {
                return Err(Invalid("Your password must not contain your email address."));
            }
        }
        Ok(Password(SecretString::from(raw.to_string())))
    }

    /// A password as typed at login, checked against a stored hash only.
    pub fn typed(raw: &str) -> Password {
        Password(SecretString::from(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str) -> Result<Password, Invalid> {
        Password::parse(raw, Some(&Email::parse("asha.rao@example.com").unwrap()))
    }

    #[test]
    fn the_list_is_shipped_and_large() {
        assert!(COMMON.len() >= 10_000);
    }

    #[test]
    fn strong_passwords_pass() {
        for raw in [
            "Kestrel-Orbit-42",
            "Zx9!mQ2#vL",
            "Ünïcødé-Pässwörd-9",
            "Tr0ub4dor&3x",
            &format!("Aa1!{}", "x".repeat(124)),
        ] {
            assert!(check(raw).is_ok(), "{raw} was refused");
        }
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        let cases = [
            ("Ab1!", "at least 8"),
            ("alllowercase1!", "uppercase"),
            ("ALLUPPERCASE1!", "lowercase"),
            ("NoDigitsHere!", "digit"),
            ("NoSpecials123", "special"),
            ("Password123!", "too common"),
            ("!Dragon2024", "too common"),
            ("Asha.Rao-99!", "email"),
        ];
        for (raw, reason) in cases {
            let error = check(raw).unwrap_err();
            assert!(error.0.contains(reason), "{raw}: {error}");
        }
        let too_long = format!("Aa1!{}", "x".repeat(125));
        assert!(check(&too_long).unwrap_err().0.contains("at most 128"));
    }

    #[test]
    fn passwords_never_print() {
        assert_eq!(format!("{:?}", check("Kestrel-Orbit-42").unwrap()), "Password(hidden)");
    }
}
