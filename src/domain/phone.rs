//! Phone numbers, parsed with libphonenumber's metadata (India by default).

use std::fmt;

use phonenumber::{Mode, Type};
use serde::Serialize;

use super::Invalid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PhoneType {
    Mobile,
    Landline,
}

impl PhoneType {
    pub const ALL: [PhoneType; 2] = [PhoneType::Mobile, PhoneType::Landline];

    pub fn parse(raw: &str) -> Result<PhoneType, Invalid> {
        match raw {
            "mobile" => Ok(PhoneType::Mobile),
            "landline" => Ok(PhoneType::Landline),
            _ => Err(Invalid("Choose Mobile or Landline.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PhoneType::Mobile => "mobile",
            PhoneType::Landline => "landline",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PhoneType::Mobile => "Mobile",
            PhoneType::Landline => "Landline",
        }
    }
}

/// A valid phone number of the stated type, kept in E.164 form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone {
    e164: String,
    kind: PhoneType,
}

impl Phone {
    /// Parses `raw` as typed (national numbers are read as Indian).
    pub fn parse(raw: &str, kind: PhoneType) -> Result<Phone, Invalid> {
        if raw.trim().is_empty() {
            return Err(Invalid("Enter a phone number."));
        }
        if raw.chars().any(char::is_control) {
            return Err(Invalid("Enter a valid phone number, like +91 98765 43210."));
        }
        let number = phonenumber::parse(Some(phonenumber::country::Id::IN), raw.trim())
            .map_err(|_| Invalid("Enter a valid phone number, like +91 98765 43210."))?;
        if !number.is_valid() {
            return Err(Invalid("This is not a valid phone number."));
        }
        let number_type = number.number_type(&phonenumber::metadata::DATABASE);
        match (kind, number_type) {
            (_, Type::FixedLineOrMobile | Type::Unknown) => {}
            (PhoneType::Mobile, Type::Mobile) | (PhoneType::Landline, Type::FixedLine) => {}
            (PhoneType::Mobile, _) => {
                return Err(Invalid("This is not a mobile number. Choose Landline, or enter a mobile number."));
            }
            (PhoneType::Landline, _) => {
                return Err(Invalid("This is not a landline number. Choose Mobile, or enter a landline number."));
            }
        }
        Ok(Phone { e164: number.format().mode(Mode::E164).to_string(), kind })
    }

    /// A number already stored in E.164 form.
    pub fn from_stored(e164: String, kind: PhoneType) -> Phone {
        Phone { e164, kind }
    }

    pub fn e164(&self) -> &str {
        &self.e164
    }

    pub fn kind(&self) -> PhoneType {
        self.kind
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.e164)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indian_numbers_become_e164() {
        for raw in ["98765 43210", "+91 98765-43210", "09876543210", "+919876543210"] {
            assert_eq!(Phone::parse(raw, PhoneType::Mobile).unwrap().e164(), "+919876543210", "{raw}");
        }
        assert_eq!(Phone::parse("011 2345 6789", PhoneType::Landline).unwrap().e164(), "+911123456789");
        assert_eq!(Phone::parse("+44 20 7946 0958", PhoneType::Landline).unwrap().e164(), "+442079460958");
    }

    #[test]
    fn the_type_must_fit_the_number() {
        assert!(Phone::parse("98765 43210", PhoneType::Landline).unwrap_err().0.contains("not a landline"));
        assert!(Phone::parse("011 2345 6789", PhoneType::Mobile).unwrap_err().0.contains("not a mobile"));
    }

    #[test]
    fn nonsense_is_refused() {
        for raw in ["", "12", "abcdefghij", "+91 12345", "98765\n43210"] {
            assert!(Phone::parse(raw, PhoneType::Mobile).is_err(), "{raw:?} was accepted");
        }
    }
}
