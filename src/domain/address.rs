//! Postal addresses: Indian states and union territories with their GST
//! codes, and PIN codes.

use serde::Serialize;

use super::Invalid;

/// An Indian state or union territory, as the GST system numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct IndianState {
    pub code: &'static str,
    pub name: &'static str,
}

pub const INDIAN_STATES: &[IndianState] = &[
    IndianState { code: "35", name: "Andaman and Nicobar Islands" },
    IndianState { code: "37", name: "Andhra Pradesh" },
    IndianState { code: "12", name: "Arunachal Pradesh" },
    IndianState { code: "18", name: "Assam" },
    IndianState { code: "10", name: "Bihar" },
    IndianState { code: "04", name: "Chandigarh" },
    IndianState { code: "22", name: "Chhattisgarh" },
    IndianState { code: "26", name: "Dadra and Nagar Haveli and Daman and Diu" },
    IndianState { code: "07", name: "Delhi" },
    IndianState { code: "30", name: "Goa" },
    IndianState { code: "24", name: "Gujarat" },
    IndianState { code: "06", name: "Haryana" },
    IndianState { code: "02", name: "Himachal Pradesh" },
    IndianState { code: "01", name: "Jammu and Kashmir" },
    IndianState { code: "20", name: "Jharkhand" },
    IndianState { code: "29", name: "Karnataka" },
    IndianState { code: "32", name: "Kerala" },
    IndianState { code: "38", name: "Ladakh" },
    IndianState { code: "31", name: "Lakshadweep" },
    IndianState { code: "23", name: "Madhya Pradesh" },
    IndianState { code: "27", name: "Maharashtra" },
    IndianState { code: "14", name: "Manipur" },
    IndianState { code: "17", name: "Meghalaya" },
    IndianState { code: "15", name: "Mizoram" },
    IndianState { code: "13", name: "Nagaland" },
    IndianState { code: "21", name: "Odisha" },
    IndianState { code: "34", name: "Puducherry" },
    IndianState { code: "03", name: "Punjab" },
    IndianState { code: "08", name: "Rajasthan" },
    IndianState { code: "11", name: "Sikkim" },
    IndianState { code: "33", name: "Tamil Nadu" },
    IndianState { code: "36", name: "Telangana" },
    IndianState { code: "16", name: "Tripura" },
    IndianState { code: "09", name: "Uttar Pradesh" },
    IndianState { code: "05", name: "Uttarakhand" },
    IndianState { code: "19", name: "West Bengal" },
];

impl IndianState {
    pub fn from_gst_code(code: &str) -> Option<IndianState> {
        INDIAN_STATES.iter().copied().find(|s| s.code == code)
    }

    /// The state chosen in the form, by its GST code.
    pub fn parse(raw: &str) -> Result<IndianState, Invalid> {
        if raw.trim().is_empty() {
            return Err(Invalid("Choose the state."));
        }
        IndianState::from_gst_code(raw.trim()).ok_or(Invalid("Choose the state from the list."))
    }
}

/// An Indian PIN code: six digits, the first not zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinCode(String);

impl PinCode {
    pub fn parse(raw: &str) -> Result<PinCode, Invalid> {
        let pin: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if pin.is_empty() {
            return Err(Invalid("Enter the PIN code."));
        }
        if pin.len() != 6 || !pin.chars().all(|c| c.is_ascii_digit()) || pin.starts_with('0') {
            return Err(Invalid("A PIN code has six digits and does not start with 0."));
        }
        Ok(PinCode(pin))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_codes() {
        assert_eq!(PinCode::parse("560 001").unwrap().as_str(), "560001");
        for bad in ["", "56001", "5600011", "060001", "56000A"] {
            assert!(PinCode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn states_are_chosen_by_gst_code() {
        assert_eq!(IndianState::parse("29").unwrap().name, "Karnataka");
        assert!(IndianState::parse("99").is_err());
        assert!(IndianState::parse("").is_err());
        let mut codes: Vec<_> = INDIAN_STATES.iter().map(|s| s.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), INDIAN_STATES.len());
    }
}

/// One line of printable text (a billing name, an address line, a city):
/// white space tidied, control and invisible characters refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line(String);

impl Line {
    pub fn parse(raw: &str, max: usize, missing: &'static str) -> Result<Line, Invalid> {
        use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
        if raw.chars().any(|c| c.is_control() || c.general_category_group() == GeneralCategoryGroup::Other) {
            return Err(Invalid("Remove the control characters."));
        }
        let line = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            return Err(Invalid(missing));
        }
        if line.chars().count() > max {
            return Err(Invalid("This is too long."));
        }
        Ok(Line(line))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A country, by its ISO 3166 two-letter code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Country(isocountry::CountryCode);

impl Country {
    pub const INDIA: Country = Country(isocountry::CountryCode::IND);

    pub fn parse(raw: &str) -> Result<Country, Invalid> {
        isocountry::CountryCode::for_alpha2(raw.trim())
            .map(Country)
            .map_err(|_| Invalid("Choose the country from the list."))
    }

    pub fn code(self) -> &'static str {
        self.0.alpha2()
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    pub fn is_india(self) -> bool {
        self == Country::INDIA
    }

    /// Every country, by name.
    pub fn all() -> Vec<Country> {
        let mut all: Vec<Country> = isocountry::CountryCode::iter().map(|c| Country(*c)).collect();
        all.sort_by_key(|c| c.name());
        all
    }
}

/// A postal code outside India: letters, digits, spaces and hyphens.
pub fn foreign_postal_code(raw: &str) -> Result<Line, Invalid> {
    let code = Line::parse(raw, 12, "Enter the postal code.")?;
    if !code.as_str().chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-') {
        return Err(Invalid("A postal code has letters, digits, spaces and hyphens only."));
    }
    Ok(code)
}
