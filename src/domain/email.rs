//! An email address: the customer's username.

use std::fmt;
use std::str::FromStr;

use super::Invalid;

/// Trimmed, lower-cased, at most 254 characters, with a syntax lettre's
/// RFC 5321 parser accepts and a domain that has a dot.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Email, Invalid> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(Invalid("Enter your email address."));
        }
        if email.chars().count() > Self::MAX_LEN {
            return Err(Invalid("An email address has at most 254 characters."));
        }
        let invalid = Invalid("Enter a valid email address, like name@example.com.");
        let address = lettre::Address::from_str(&email).map_err(|_| invalid.clone())?;
        let domain = address.domain();
        if !domain.contains('.') || domain.starts_with('[') || domain.ends_with('.') {
            return Err(invalid);
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or(&self.0, |(local, _)| local)
    }

    pub fn to_address(&self) -> lettre::Address {
        lettre::Address::from_str(&self.0).expect("an Email is a valid address")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        let email = Email::parse("  Asha.Rao@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "asha.rao@example.com");
        assert_eq!(email.local_part(), "asha.rao");
    }

    #[test]
    fn bad_addresses_are_refused() {
        let too_long = format!("{}@example.com", "a".repeat(250));
        for raw in [
            "",
            "   ",
            "plainaddress",
            "@example.com",
            "a@",
            "a@b",
            "a b@example.com",
            "a@exa mple.com",
            "a@[127.0.0.1]",
            "a@example.com\r\nBcc: x@y.z",
            &too_long,
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn ordinary_addresses_are_accepted() {
        for raw in ["help@phonon.io", "first.last+tag@sub.example.co.in", "o'brien@example.ie"] {
            assert!(Email::parse(raw).is_ok(), "{raw:?} was refused");
        }
    }
}
