//! Who on the staff may do what: casbin, with the role permissions from
//! `policies/model.conf` and `policies/policy.csv`. A member's roles are read
//! from the database with every request, so a change an admin makes (on any
//! instance, or with the command line) takes effect on the next request.

use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};

use crate::policy::{self, PolicyError};
use crate::staff::Role;

const BUILT_IN_MODEL: &str = include_str!("../policies/model.conf");
const BUILT_IN_POLICY: &str = include_str!("../policies/policy.csv");

/// One (resource, action) pair a console route needs.
pub trait Permission: Send + Sync + 'static {
    const RESOURCE: &'static str;
    const ACTION: &'static str;
}

macro_rules! permissions {
    ($($name:ident = ($resource:literal, $action:literal);)*) => {$(
        pub struct $name;
        impl Permission for $name {
            const RESOURCE: &'static str = $resource;
            const ACTION: &'static str = $action;
        }
    )*};
}

permissions! {
    EnterConsole = ("console", "enter");
    ReadKyc = ("kyc", "read");
    ClaimKyc = ("kyc", "claim");
    DecideKyc = ("kyc", "decide");
    SecondApproval = ("kyc", "second_approval");
    ReassignKyc = ("kyc", "reassign");
    ViewDocuments = ("documents", "view");
    ReadCustomers = ("customers", "read");
    ResendEmail = ("customers", "resend_email");
    ReadSupport = ("support", "read");
    CloseSupport = ("support", "close");
    ReadAudit = ("audit", "read");
    ExportAudit = ("audit", "export");
    VerifyAudit = ("audit", "verify");
    ManageStaff = ("staff", "manage");
    ReadOutbox = ("outbox", "read");
    RunJobs = ("jobs", "run");
}

pub struct Authz {
    enforcer: Enforcer,
}

impl Authz {
    /// Loads the model and the role permissions.
    pub async fn load(dir: Option<&std::path::Path>) -> Result<Authz, PolicyError> {
        let (model_file, model_text) = policy::read(dir, policy::POLICIES, "model.conf", BUILT_IN_MODEL)?;
        let (policy_file, policy_text) = policy::read(dir, policy::POLICIES, "policy.csv", BUILT_IN_POLICY)?;
        let model = DefaultModel::from_str(&model_text).await.map_err(|e| PolicyError {
            file: model_file,
            line: 0,
            message: e.to_string(),
        })?;
        let (permissions, inheritance) = parse_policy(&policy_file, &policy_text)?;
        let mut enforcer = Enforcer::new(model, MemoryAdapter::default()).await.map_err(|e| PolicyError {
            file: policy_file.clone(),
            line: 0,
            message: e.to_string(),
        })?;
        let load_error = |e: casbin::Error| PolicyError { file: policy_file.clone(), line: 0, message: e.to_string() };
        enforcer.add_policies(permissions).await.map_err(load_error)?;
        if !inheritance.is_empty() {
            enforcer.add_grouping_policies(inheritance).await.map_err(load_error)?;
        }
        Ok(Authz { enforcer })
    }

    /// Whether any of `roles` may do `action` on `resource`. A failure
    /// inside the check denies.
    pub fn allows(&self, roles: &[Role], resource: &str, action: &str) -> bool {
        roles.iter().any(|role| match self.enforcer.enforce((role.as_str(), resource, action)) {
            Ok(allowed) => allowed,
            Err(e) => {
                tracing::error!(error = %e, role = role.as_str(), resource, action, "authorisation check failed; denying");
                false
            }
        })
    }
}

type Rules = Vec<Vec<String>>;

/// Reads `p, role, resource, action` and `g, role, parent role` lines.
fn parse_policy(file: &str, text: &str) -> Result<(Rules, Rules), PolicyError> {
    let mut permissions = Vec::new();
    let mut inheritance = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let error = |message: String| PolicyError { file: file.to_string(), line: number + 1, message };
        let fields: Vec<String> = line.split(',').map(|f| f.trim().to_string()).collect();
        if fields.iter().any(|f| f.is_empty() || !f.chars().all(|c| c.is_ascii_lowercase() || c == '_')) {
            return Err(error(format!("`{line}` has an empty or malformed field")));
        }
        let known_role = |name: &str| Role::parse(name).ok_or_else(|| error(format!("unknown role `{name}`")));
        match fields[0].as_str() {
            "p" if fields.len() == 4 => {
                known_role(&fields[1])?;
                permissions.push(fields[1..].to_vec());
            }
            "g" if fields.len() == 3 => {
                known_role(&fields[1])?;
                known_role(&fields[2])?;
                inheritance.push(fields[1..].to_vec());
            }
            _ => return Err(error(format!("expected `p, role, resource, action` or `g, role, role`, not `{line}`"))),
        }
    }
    if permissions.is_empty() {
        return Err(PolicyError { file: file.to_string(), line: 0, message: "no permissions are defined".into() });
    }
    Ok((permissions, inheritance))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn roles_grant_what_the_policy_says() {
        let authz = Authz::load(None).await.unwrap();
        assert!(authz.allows(&[Role::Admin], "staff", "manage"));
        assert!(!authz.allows(&[Role::SeniorReviewer], "staff", "manage"));
        assert!(
            authz.allows(&[Role::SeniorReviewer], "kyc", "decide"),
            "a senior reviewer inherits the reviewer's permissions"
        );
        assert!(authz.allows(&[Role::SeniorReviewer], "kyc", "second_approval"));
        assert!(!authz.allows(&[Role::Reviewer], "kyc", "second_approval"));
        assert!(authz.allows(&[Role::Auditor], "audit", "export") && !authz.allows(&[Role::Auditor], "kyc", "decide"));
        assert!(authz.allows(&[Role::Auditor, Role::Reviewer], "kyc", "decide"), "roles add up");
        assert!(!authz.allows(&[], "console", "enter"), "no roles, no access");
    }

    #[test]
    fn malformed_policy_lines_are_named() {
        let error =
            parse_policy("policy.csv", "# roles\np, admin, staff, manage\np, wizard, staff, manage\n").unwrap_err();
        assert_eq!(error.line, 3);
        assert!(error.message.contains("unknown role `wizard`"));
        let error = parse_policy("policy.csv", "p, admin, staff\n").unwrap_err();
        assert_eq!(error.line, 1);
        assert!(parse_policy("policy.csv", "# nothing\n").is_err());
    }
}
