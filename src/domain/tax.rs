//! Indian tax identifiers: PAN and GSTIN.

use std::fmt;

use super::Invalid;
use super::address::IndianState;

/// Letters and digits only, upper-cased: what people paste often carries
/// spaces or lower case.
fn normalise(raw: &str) -> String {
    raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase()
}

/// A Permanent Account Number: five letters, four digits, a letter. The
/// fourth letter says what kind of holder it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pan(String);

/// The holder kinds the fourth letter of a PAN names.
pub const PAN_HOLDER_KINDS: &[(char, &str)] = &[
    ('A', "association of persons"),
    ('B', "body of individuals"),
    ('C', "company"),
    ('F', "firm or LLP"),
    ('G', "government"),
    ('H', "Hindu undivided family"),
    ('J', "artificial juridical person"),
    ('L', "local authority"),
    ('P', "individual"),
    ('T', "trust"),
];

impl Pan {
    pub fn parse(raw: &str) -> Result<Pan, Invalid> {
        let pan = normalise(raw);
        if pan.is_empty() {
            return Err(Invalid("Enter your PAN."));
        }
        let shape = pan.len() == 10
            && pan[..5].chars().all(|c| c.is_ascii_uppercase())
            && pan[5..9].chars().all(|c| c.is_ascii_digit())
            && pan[9..].chars().all(|c| c.is_ascii_uppercase());
        if !shape {
            return Err(Invalid("A PAN has five letters, four digits and a letter, like AAAPL1234C."));
        }
        if !PAN_HOLDER_KINDS.iter().any(|(letter, _)| *letter == pan.as_bytes()[3] as char) {
            return Err(Invalid("The fourth letter of this PAN does not name a kind of holder."));
        }
        Ok(Pan(pan))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The fourth letter: P for a person, C for a company, and so on.
    pub fn holder_kind(&self) -> char {
        self.0.as_bytes()[3] as char
    }
}

impl fmt::Display for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A GST Identification Number: state code, PAN, entity number, `Z`, and a
/// mod-36 check character.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gstin(String);

const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The check character of the first 14 characters: each character's value
/// (0-9, A-Z = 10-35) times 1, 2, 1, 2 … summed as quotient plus remainder
/// by 36; the check is what brings the sum to a multiple of 36.
fn check_character(first14: &str) -> Option<char> {
    let mut sum = 0u32;
    for (i, c) in first14.chars().enumerate() {
        let value = ALPHABET.iter().position(|&a| a as char == c)? as u32;
        let product = value * if i % 2 == 0 { 1 } else { 2 };
        sum += product / 36 + product % 36;
    }
    Some(ALPHABET[((36 - sum % 36) % 36) as usize] as char)
}

impl Gstin {
    /// Checks the GSTIN's own structure and check character, that it carries
    /// `pan`, and that its state code is `state`'s.
    pub fn parse(raw: &str, pan: Option<&Pan>, state: Option<IndianState>) -> Result<Gstin, Invalid> {
        let gstin = normalise(raw);
        if gstin.len() != 15 || !gstin.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Invalid("A GSTIN has 15 letters and digits, like 27AAPFU0939F1ZV."));
        }
        let code = &gstin[..2];
        let Some(code_state) = IndianState::from_gst_code(code) else {
            return Err(Invalid("The first two digits of this GSTIN are not an Indian state code."));
        };
        let embedded =
            Pan::parse(&gstin[2..12]).map_err(|_| Invalid("Characters 3 to 12 of a GSTIN must be a PAN."))?;
        let entity = gstin.as_bytes()[12] as char;
        if entity == '0' || gstin.as_bytes()[13] != b'Z' {
            return Err(Invalid("This is not a valid GSTIN: characters 13 and 14 are wrong."));
        }
        if check_character(&gstin[..14]) != Some(gstin.as_bytes()[14] as char) {
            return Err(Invalid("This GSTIN's check character is wrong; check it for typing mistakes."));
        }
        if pan.is_some_and(|pan| *pan != embedded) {
            return Err(Invalid("This GSTIN does not contain your PAN."));
        }
        if state.is_some_and(|state| state != code_state) {
            return Err(Invalid("This GSTIN is registered in another state than your billing address."));
        }
        Ok(Gstin(gstin))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pan(raw: &str) -> Pan {
        Pan::parse(raw).unwrap()
    }

    #[test]
    fn pans_are_normalised_and_checked() {
        assert_eq!(pan(" aapfu0939f ").as_str(), "AAPFU0939F");
        assert_eq!(pan("AAAPL1234C").holder_kind(), 'P');
        for bad in ["", "AAPFU0939", "AAPFU0939FF", "1APFU0939F", "AAPFUO939F", "AAPXU0939F", "AAPFU09 39"] {
            assert!(Pan::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn the_worked_example_checks_out() {
        assert_eq!(check_character("27AAPFU0939F1Z"), Some('V'));
        let maharashtra = IndianState::from_gst_code("27");
        assert!(Gstin::parse("27AAPFU0939F1ZV", Some(&pan("AAPFU0939F")), maharashtra).is_ok());
    }

    #[test]
    fn gstin_cases() {
        let maharashtra = IndianState::from_gst_code("27");
        let karnataka = IndianState::from_gst_code("29");
        let owner = pan("AAPFU0939F");
        let cases: &[(&str, Option<&Pan>, Option<IndianState>, Result<(), &str>)] = &[
            ("27AAPFU0939F1ZV", Some(&owner), maharashtra, Ok(())),
            ("27aapfu0939f1zv", Some(&owner), maharashtra, Ok(())),
            (" 27 AAPFU0939F 1ZV ", Some(&owner), maharashtra, Ok(())),
            ("27AAPFU0939F1ZW", Some(&owner), maharashtra, Err("check character")),
            ("27AAPFU0939F1ZV", Some(&pan("AAPFU0939G")), maharashtra, Err("does not contain your PAN")),
            ("27AAPFU0939F1ZV", Some(&owner), karnataka, Err("another state")),
            ("00AAPFU0939F1ZV", None, None, Err("state code")),
            ("27AAPFU0939F1YV", None, None, Err("characters 13 and 14")),
            ("27AAPFU0939F1Z", None, None, Err("15 letters")),
            ("27AAPF-0939F1ZV", None, None, Err("15 letters")),
        ];
        for (raw, pan, state, expected) in cases {
            match (Gstin::parse(raw, *pan, *state), expected) {
                (Ok(_), Ok(())) => {}
                (Err(e), Err(reason)) => assert!(e.0.contains(reason), "{raw}: {e}"),
                (got, _) => panic!("{raw}: got {got:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn computed_check_characters_validate() {
        // Build GSTINs for other states and PANs with the algorithm and
        // make sure parsing agrees with it.
        for (code, body) in [("29", "AABCT3518Q1Z"), ("07", "AAACR5055K1Z"), ("33", "AAAAA1234A1Z")] {
            let first14 = format!("{code}{}", &body[..12]);
            let gstin = format!("{first14}{}", check_character(&first14).unwrap());
            assert!(Gstin::parse(&gstin, None, IndianState::from_gst_code(code)).is_ok(), "{gstin}");
        }
    }
}
