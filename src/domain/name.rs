//! People's and companies' names.

use std::fmt;

use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

use super::Invalid;

/// Collapses runs of white space to one space and trims the ends.
fn tidy(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A first or last name: letters of any script (with their combining marks),
/// apostrophes, hyphens and spaces; 1 to 100 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_LEN: usize = 100;

    pub fn parse(raw: &str) -> Result<PersonName, Invalid> {
        if raw.chars().any(char::is_control) {
            return Err(Invalid("Use letters, apostrophes, hyphens and spaces only."));
        }
        let name = tidy(raw);
        if name.is_empty() {
            return Err(Invalid("Enter a name."));
        }
        if name.chars().count() > Self::MAX_LEN {
            return Err(Invalid("Use at most 100 characters."));
        }
        let allowed = |c: char| {
            matches!(c.general_category_group(), GeneralCategoryGroup::Letter | GeneralCategoryGroup::Mark)
                || matches!(c, ' ' | '-' | '\'' | '\u{2019}')
        };
        if !name.chars().all(allowed) || !name.chars().any(char::is_alphabetic) {
            return Err(Invalid("Use letters, apostrophes, hyphens and spaces only."));
        }
        Ok(PersonName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A company's registered name: any printable characters, 1 to 200.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanyName(String);

impl CompanyName {
    pub const MAX_LEN: usize = 200;

    pub fn parse(raw: &str) -> Result<CompanyName, Invalid> {
        if raw.chars().any(|c| c.is_control() || c.general_category_group() == GeneralCategoryGroup::Other) {
            return Err(Invalid("Remove the control characters from the company name."));
        }
        let name = tidy(raw);
        if name.is_empty() {
            return Err(Invalid("Enter the company name."));
        }
        if name.chars().count() > Self::MAX_LEN {
            return Err(Invalid("Use at most 200 characters."));
        }
        Ok(CompanyName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_any_script_are_accepted() {
        for raw in
            ["Asha", "O'Brien", "Jean-Luc", "अमित", "श्रीनिवास", "Nguyễn Văn", "José María", "D\u{2019}Souza", "Ørsted"]
        {
            assert!(PersonName::parse(raw).is_ok(), "{raw} was refused");
        }
        assert_eq!(PersonName::parse("  Mary   Ann ").unwrap().as_str(), "Mary Ann");
    }

    #[test]
    fn bad_names_are_refused() {
        let long = "a".repeat(101);
        for raw in ["", "   ", "R2D2", "Robert'); DROP TABLE", "<script>", "Asha\u{0}", "Asha\nRao", "--", &long] {
            assert!(PersonName::parse(raw).is_err(), "{raw:?} was accepted");
        }
        assert!(PersonName::parse(&"a".repeat(100)).is_ok());
    }

    #[test]
    fn company_names_allow_punctuation_but_not_controls() {
        assert!(CompanyName::parse("Tata Consultancy Services Ltd.").is_ok());
        assert!(CompanyName::parse("A&B (India) Pvt. Ltd. #2").is_ok());
        assert!(CompanyName::parse("Evil\r\nCorp").is_err());
        assert!(CompanyName::parse("Zero\u{200B}Width").is_err());
        assert!(CompanyName::parse(" ").is_err());
    }
}
