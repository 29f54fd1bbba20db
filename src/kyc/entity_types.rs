//! The entity types customers choose from and the documents each needs, read
//! from `policies/entity_types.toml` and checked once at start-up.

use std::collections::HashSet;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::FileKind;
use crate::domain::{AccountType, Pan};
use crate::policy::{self, PolicyError, TomlFile};

const BUILT_IN: &str = include_str!("../../policies/entity_types.toml");

/// The largest file an operator may allow for one document.
pub const MAX_DOCUMENT_MB: u64 = 25;
const DEFAULT_DOCUMENT_MB: u64 = 10;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Requirement {
    Required,
    Optional,
    /// One document of the named group is enough.
    OneOf(String),
}

#[derive(Clone, Debug, Serialize)]
pub struct DocumentSpec {
    pub key: String,
    pub label: String,
    pub requirement: Requirement,
    pub accepted: Vec<FileKind>,
    pub max_bytes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct GroupSpec {
    pub key: String,
    pub label: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct EntityType {
    pub key: String,
    pub label: String,
    pub account_types: Vec<AccountType>,
    /// The fourth PAN letters this kind of holder has; empty without a PAN.
    pub pan_letters: Vec<char>,
    pub approvals: u8,
    pub groups: Vec<GroupSpec>,
    pub documents: Vec<DocumentSpec>,
}

impl EntityType {
    pub fn document(&self, key: &str) -> Option<&DocumentSpec> {
        self.documents.iter().find(|d| d.key == key)
    }

    pub fn allows(&self, account_type: AccountType) -> bool {
        self.account_types.contains(&account_type)
    }

    /// Whether `pan` is the kind of PAN this entity type has.
    pub fn fits_pan(&self, pan: &Pan) -> bool {
        self.pan_letters.is_empty() || self.pan_letters.contains(&pan.holder_kind())
    }

    /// What is still missing when `present` are the documents uploaded:
    /// the labels of missing required documents and unfilled groups.
    pub fn missing(&self, present: &[&str]) -> Vec<String> {
        let mut missing: Vec<String> = self
            .documents
            .iter()
            .filter(|d| d.requirement == Requirement::Required && !present.contains(&d.key.as_str()))
            .map(|d| d.label.clone())
            .collect();
        for group in &self.groups {
            let filled = self
                .documents
                .iter()
                .any(|d| d.requirement == Requirement::OneOf(group.key.clone()) && present.contains(&d.key.as_str()));
            if !filled {
                missing.push(group.label.clone());
            }
        }
        missing
    }
}

#[derive(Clone, Debug)]
pub struct EntityTypes(Vec<EntityType>);

impl EntityTypes {
    pub fn get(&self, key: &str) -> Option<&EntityType> {
        self.0.iter().find(|t| t.key == key)
    }

    pub fn for_account(&self, account_type: AccountType) -> impl Iterator<Item = &EntityType> {
        self.0.iter().filter(move |t| t.allows(account_type))
    }

    pub fn all(&self) -> &[EntityType] {
        &self.0
    }

    /// How many approvals a submission of entity type `key` needs. A type an
    /// operator has since removed from the policy gets the stricter review.
    pub fn approvals_needed(&self, key: &str) -> usize {
        self.get(key).map_or(2, |t| usize::from(t.approvals))
    }

    /// Parses and checks a policy file; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<EntityTypes, PolicyError> {
        let toml = TomlFile { file, text };
        let line_of = |span: Range<usize>| toml.line_of(span);
        let error = |line: usize, message: String| toml.error(line, message);
        let raw: RawFile = toml.parse()?;
        if raw.entity_type.is_empty() {
            return Err(error(1, "no [[entity_type]] is defined".into()));
        }
        let mut seen_types = HashSet::new();
        let mut types = Vec::new();
        for t in raw.entity_type {
            let line = line_of(t.key.span());
            let key = t.key.into_inner();
            check_key(&key).map_err(|m| error(line, m))?;
            if !seen_types.insert(key.clone()) {
                return Err(error(line, format!("entity type `{key}` is defined twice")));
            }
            let account_types = t
                .account_types
                .iter()
                .map(|a| {
                    AccountType::parse(a.get_ref()).map_err(|_| {
                        error(
                            line_of(a.span()),
                            format!("unknown account type `{}` (use individual or company)", a.get_ref()),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if account_types.is_empty() {
                return Err(error(line, format!("entity type `{key}` allows no account type")));
            }
            let mut pan_letters = Vec::new();
            for letter in &t.pan_letters {
                let valid =
                    crate::domain::tax::PAN_HOLDER_KINDS.iter().find(|(c, _)| c.to_string() == *letter.get_ref());
                match valid {
                    Some((c, _)) => pan_letters.push(*c),
                    None => {
                        return Err(error(
                            line_of(letter.span()),
                            format!("`{}` is not a PAN holder letter", letter.get_ref()),
                        ));
                    }
                }
            }
            if !(1..=2).contains(t.approvals.get_ref()) {
                return Err(error(line_of(t.approvals.span()), "approvals must be 1 or 2".into()));
            }
            let mut groups = Vec::new();
            let mut group_lines = Vec::new();
            for g in t.group {
                let line = line_of(g.key.span());
                let group_key = g.key.into_inner();
                check_key(&group_key).map_err(|m| error(line, m))?;
                if groups.iter().any(|existing: &GroupSpec| existing.key == group_key) {
                    return Err(error(line, format!("group `{group_key}` is defined twice in `{key}`")));
                }
                groups.push(GroupSpec { key: group_key, label: g.label });
                group_lines.push(line);
            }
            let mut documents: Vec<DocumentSpec> = Vec::new();
            for d in t.document {
                let line = line_of(d.key.span());
                let doc_key = d.key.into_inner();
                check_key(&doc_key).map_err(|m| error(line, m))?;
                if documents.iter().any(|existing| existing.key == doc_key) {
                    return Err(error(line, format!("document `{doc_key}` is listed twice in `{key}`")));
                }
                let requirement = match (d.required, d.group) {
                    (true, Some(_)) => {
                        return Err(error(line, format!("document `{doc_key}` is both required and in a group")));
                    }
                    (true, None) => Requirement::Required,
                    (false, Some(group)) => {
                        if !groups.iter().any(|g| g.key == group) {
                            return Err(error(line, format!("document `{doc_key}` names an unknown group `{group}`")));
                        }
                        Requirement::OneOf(group)
                    }
                    (false, None) => Requirement::Optional,
                };
                let accepted = match d.accepted {
                    None => FileKind::ALL.to_vec(),
                    Some(kinds) => kinds
                        .iter()
                        .map(|k| {
                            FileKind::parse(k).ok_or_else(|| {
                                error(line, format!("`{k}` is not an accepted type (use pdf, jpeg, png)"))
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                };
                let max_mb = d.max_mb.unwrap_or(DEFAULT_DOCUMENT_MB);
                if max_mb == 0 || max_mb > MAX_DOCUMENT_MB {
                    return Err(error(line, format!("max_mb must be between 1 and {MAX_DOCUMENT_MB}")));
                }
                documents.push(DocumentSpec {
                    key: doc_key,
                    label: d.label,
                    requirement,
                    accepted,
                    max_bytes: max_mb * 1024 * 1024,
                });
            }
            for (group, line) in groups.iter().zip(&group_lines) {
                if !documents.iter().any(|d| d.requirement == Requirement::OneOf(group.key.clone())) {
                    return Err(error(*line, format!("group `{}` of `{key}` has no documents", group.key)));
                }
            }
            if !documents.iter().any(|d| d.requirement != Requirement::Optional) {
                return Err(error(line, format!("entity type `{key}` requires no document")));
            }
            types.push(EntityType {
                key,
                label: t.label,
                account_types,
                pan_letters,
                approvals: *t.approvals.get_ref(),
                groups,
                documents,
            });
        }
        Ok(EntityTypes(types))
    }

    /// Reads `entity_types.toml` (see [`policy::read`] for where from).
    pub fn load(dir: Option<&std::path::Path>) -> Result<EntityTypes, PolicyError> {
        let (file, text) = policy::read(dir, policy::POLICIES, "entity_types.toml", BUILT_IN)?;
        EntityTypes::parse(&file, &text)
    }
}

fn check_key(key: &str) -> Result<(), String> {
    let valid = !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid { Ok(()) } else { Err(format!("`{key}` is not a valid key (use lower-case letters, digits and _)")) }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    entity_type: Vec<RawEntityType>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntityType {
    key: Spanned<String>,
    label: String,
    account_types: Vec<Spanned<String>>,
    pan_letters: Vec<Spanned<String>>,
    approvals: Spanned<u8>,
    #[serde(default)]
    group: Vec<RawGroup>,
    #[serde(default)]
    document: Vec<RawDocument>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    key: Spanned<String>,
    label: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    key: Spanned<String>,
    label: String,
    #[serde(default)]
    required: bool,
    group: Option<String>,
    accepted: Option<Vec<String>>,
    max_mb: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_policy_is_valid_and_complete() {
        let types = EntityTypes::parse("entity_types.toml", BUILT_IN).unwrap();
        for key in [
            "individual",
            "sole_proprietorship",
            "partnership_firm",
            "company",
            "llp",
            "trust_society_ngo",
            "government_body",
            "foreign_entity",
        ] {
            assert!(types.get(key).is_some(), "{key}");
        }
        let individual = types.get("individual").unwrap();
        assert_eq!(individual.missing(&[]), vec!["PAN card".to_string(), individual.groups[0].label.clone()]);
        assert!(individual.missing(&["pan_card", "passport"]).is_empty());
        assert!(types.get("foreign_entity").unwrap().pan_letters.is_empty());
        assert_eq!(types.for_account(AccountType::Individual).count(), 3);
    }

    fn error_for(text: &str) -> PolicyError {
        EntityTypes::parse("test.toml", text).unwrap_err()
    }

    const HEADER: &str = "[[entity_type]]\nkey = \"x\"\nlabel = \"X\"\naccount_types = [\"individual\"]\npan_letters = [\"P\"]\napprovals = 1\n";

    #[test]
    fn mistakes_are_reported_with_their_line() {
        let unknown = error_for(&format!("{HEADER}colour = \"red\"\n"));
        assert_eq!(unknown.line, 7, "{unknown}");
        assert!(unknown.message.contains("colour"), "{unknown}");

        let empty_group = error_for(&format!(
            "{HEADER}[[entity_type.group]]\nkey = \"id\"\nlabel = \"One of\"\n[[entity_type.document]]\nkey = \"pan\"\nlabel = \"PAN\"\nrequired = true\n"
        ));
        assert!(empty_group.message.contains("has no documents"), "{empty_group}");

        let duplicate = error_for(&format!(
            "{HEADER}[[entity_type.document]]\nkey = \"pan\"\nlabel = \"PAN\"\nrequired = true\n[[entity_type.document]]\nkey = \"pan\"\nlabel = \"PAN again\"\n"
        ));
        assert_eq!(duplicate.line, 12, "{duplicate}");
        assert!(duplicate.message.contains("listed twice"), "{duplicate}");

        let twice = error_for(&format!(
            "{HEADER}[[entity_type.document]]\nkey = \"pan\"\nlabel = \"PAN\"\nrequired = true\n{HEADER}"
        ));
        assert!(twice.message.contains("defined twice"), "{twice}");

        let bad_group =
            error_for(&format!("{HEADER}[[entity_type.document]]\nkey = \"pan\"\nlabel = \"PAN\"\ngroup = \"nope\"\n"));
        assert!(bad_group.message.contains("unknown group"), "{bad_group}");

        let bad_letter = error_for(&HEADER.replace("[\"P\"]", "[\"Q\"]"));
        assert_eq!(bad_letter.line, 5, "{bad_letter}");

        let syntax = error_for("[[entity_type]\n");
        assert_eq!(syntax.line, 1, "{syntax}");
    }
}
