//! What kind of customer an account is, and the sector it works in.

use serde::Serialize;

use super::Invalid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountType {
    Individual,
    Company,
}

impl AccountType {
    pub const ALL: [AccountType; 2] = [AccountType::Individual, AccountType::Company];

    pub fn parse(raw: &str) -> Result<AccountType, Invalid> {
        match raw {
            "individual" => Ok(AccountType::Individual),
            "company" => Ok(AccountType::Company),
            _ => Err(Invalid("Choose Individual or Company.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AccountType::Individual => "individual",
            AccountType::Company => "company",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AccountType::Individual => "Individual",
            AccountType::Company => "Company",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Sector {
    Telecom,
    It,
    BankingFinance,
    Healthcare,
    Education,
    Retail,
    Government,
    Other,
}

impl Sector {
    pub const ALL: [Sector; 8] = [
        Sector::Telecom,
        Sector::It,
        Sector::BankingFinance,
        Sector::Healthcare,
        Sector::Education,
        Sector::Retail,
        Sector::Government,
        Sector::Other,
    ];

    pub fn parse(raw: &str) -> Result<Sector, Invalid> {
        Sector::ALL.into_iter().find(|s| s.as_str() == raw).ok_or(Invalid("Choose your sector from the list."))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sector::Telecom => "telecom",
            Sector::It => "it",
            Sector::BankingFinance => "banking_finance",
            Sector::Healthcare => "healthcare",
            Sector::Education => "education",
            Sector::Retail => "retail",
            Sector::Government => "government",
            Sector::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sector::Telecom => "Telecom",
            Sector::It => "IT",
            Sector::BankingFinance => "Banking & Finance",
            Sector::Healthcare => "Healthcare",
            Sector::Education => "Education",
            Sector::Retail => "Retail",
            Sector::Government => "Government",
            Sector::Other => "Other",
        }
    }
}
