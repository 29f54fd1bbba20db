//! The staff console: TOTP sign-in, roles from policies/, staff management.

use std::collections::{HashMap, HashSet};

use crate::common::journeys::{INDIVIDUAL, PASSWORD};
use crate::common::{Backend, TestApp, table_rows};
use crate::on_both_backends;

on_both_backends!(
    staff_enrol_a_second_factor_and_each_code_works_once,
    every_console_route_answers_every_role_as_the_policy_says,
    disabling_or_re_roling_a_member_takes_effect_on_their_next_request,
    an_admin_invites_a_member_who_sets_a_password_and_enrols,
    admins_cannot_lock_themselves_out,
    the_outbox_lists_emails_and_texts_without_their_secrets,
);

async fn staff_enrol_a_second_factor_and_each_code_works_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.staff("root@kycdesk.test", &["admin"]).await;
    let console = admin.visitor.page("/console").await;
    assert_eq!(console.status, 200);
    assert!(
        crate::common::unescape_html(&console.body).contains(r#"href="/console/staff""#),
        "an admin sees the staff section"
    );
    assert_eq!(console.header("cache-control"), Some("no-store"));

    // A second session: the enrolment code is spent, the next one works once.
    let laptop = crate::common::journeys::StaffMember {
        visitor: app.visitor(),
        email: admin.email.clone(),
        totp: admin.totp.clone(),
        recovery_codes: vec![],
    };
    let replay = laptop.log_in_with(&admin.code(0)).await;
    assert_eq!(replay.status, 422, "the code used at enrolment is refused");
    let next = admin.code(1);
    assert_eq!(laptop.log_in_with(&next).await.location(), Some("/console"));
    let phone = crate::common::journeys::StaffMember {
        visitor: app.visitor(),
        email: admin.email.clone(),
        totp: admin.totp.clone(),
        recovery_codes: vec![],
    };
    assert_eq!(phone.log_in_with(&next).await.status, 422, "a code works once");

    // A recovery code works once.
    let recovery = admin.recovery_codes[3].clone();
    assert_eq!(phone.log_in_with(&recovery.to_lowercase()).await.location(), Some("/console"));
    let again = app.visitor();
    let third = crate::common::journeys::StaffMember {
        visitor: again,
        email: admin.email.clone(),
        totp: None,
        recovery_codes: vec![],
    };
    assert_eq!(third.log_in_with(&recovery).await.status, 422);

    // A customer session is not a console session.
    let customer = app.visitor();
    customer.onboard("customer@example.com").await;
    assert_eq!(customer.page("/console").await.location(), Some("/console/login"));
    assert_eq!(customer.page("/console/staff").await.location(), Some("/console/login"));

    let actions = app.audit_actions().await;
    for action in ["staff.created", "staff.totp_enrolled", "staff.logged_in", "staff.login_failed"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
}

/// What policy.csv grants each role: (role → {(resource, action)}), with
/// `g` inheritance folded in.
fn granted() -> HashMap<String, HashSet<(String, String)>> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/policies/policy.csv")).unwrap();
    let mut direct: HashMap<String, HashSet<(String, String)>> = HashMap::new();
    let mut parents: Vec<(String, String)> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let f: Vec<String> = line.split(',').map(|x| x.trim().to_string()).collect();
        match f[0].as_str() {
            "p" => {
                direct.entry(f[1].clone()).or_default().insert((f[2].clone(), f[3].clone()));
            }
            _ => parents.push((f[1].clone(), f[2].clone())),
        }
    }
    let mut all = direct.clone();
    for (child, parent) in parents {
        let inherited = direct.get(&parent).cloned().unwrap_or_default();
        all.entry(child).or_default().extend(inherited);
    }
    all
}

async fn every_console_route_answers_every_role_as_the_policy_says(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_staff("target@kycdesk.test", &["support_agent"]);
    let target: i64 = 1;
    // A submitted KYC, so review routes answer about a real case.
    app.customer_with_kyc("customer@example.com", "individual", INDIVIDUAL).await;
    let (case, document) = (1, 1);
    let policy = granted();
    // (method, path, resource, action)
    let routes: Vec<(&str, String, &str, &str)> = vec![
        ("GET", "/console".into(), "console", "enter"),
        ("GET", "/console/staff".into(), "staff", "manage"),
        ("POST", "/console/staff".into(), "staff", "manage"),
        ("POST", format!("/console/staff/{target}/roles"), "staff", "manage"),
        ("POST", format!("/console/staff/{target}/reset-totp"), "staff", "manage"),
        ("POST", format!("/console/staff/{target}/enable"), "staff", "manage"),
        ("POST", format!("/console/staff/{target}/disable"), "staff", "manage"),
        ("GET", "/console/kyc".into(), "kyc", "read"),
        ("GET", format!("/console/kyc/{case}"), "kyc", "read"),
        ("POST", format!("/console/kyc/{case}/claim"), "kyc", "claim"),
        ("GET", format!("/console/kyc/{case}/documents/{document}"), "documents", "view"),
        ("POST", format!("/console/kyc/{case}/request-changes"), "kyc", "decide"),
        ("POST", format!("/console/kyc/{case}/reject"), "kyc", "decide"),
        ("POST", format!("/console/kyc/{case}/approve"), "kyc", "decide"),
        ("POST", format!("/console/kyc/{case}/release"), "kyc", "claim"),
        ("GET", "/console/customers".into(), "customers", "read"),
        ("GET", format!("/console/customers/{target}"), "customers", "read"),
        ("POST", format!("/console/customers/{target}/resend-verification"), "customers", "resend_email"),
        ("POST", format!("/console/customers/{target}/resend-approval"), "customers", "resend_email"),
        ("GET", "/console/support".into(), "support", "read"),
        ("POST", "/console/support/1/close".into(), "support", "close"),
        ("GET", "/console/audit".into(), "audit", "read"),
        ("GET", "/console/audit/export.csv".into(), "audit", "export"),
        ("POST", "/console/audit/verify".into(), "audit", "verify"),
        ("GET", "/console/outbox".into(), "outbox", "read"),
        ("GET", "/console/jobs".into(), "jobs", "run"),
        ("POST", "/console/jobs/cleanup/run".into(), "jobs", "run"),
    ];
    let anonymous = app.visitor();
    for (method, path, _, _) in &routes {
        let response = match *method {
            "GET" => anonymous.client.get(app.url(path)).send().await.unwrap(),
            _ => anonymous.client.post(app.url(path)).form(&[("roles", "admin")]).send().await.unwrap(),
        };
        let status = response.status().as_u16();
        let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_string());
        assert!(
            status == 403 || location.as_deref() == Some("/console/login"),
            "anonymous {method} {path}: {status} {location:?}"
        );
    }
    for role in ["support_agent", "reviewer", "senior_reviewer", "auditor", "admin"] {
        let member = app.staff(&format!("{role}@kycdesk.test"), &[role]).await;
        let csrf = member.csrf().await;
        let grants = policy.get(role).cloned().unwrap_or_default();
        for (method, path, resource, action) in &routes {
            let allowed = grants.contains(&(resource.to_string(), action.to_string()));
            let response = match *method {
                "GET" => member.visitor.client.get(app.url(path)).send().await.unwrap(),
                _ => member
                    .visitor
                    .client
                    .post(app.url(path))
                    .form(&[("csrf_token", csrf.as_str()), ("roles", "support_agent")])
                    .send()
                    .await
                    .unwrap(),
            };
            let status = response.status().as_u16();
            if allowed {
                assert!(matches!(status, 200 | 303 | 422), "{role} {method} {path} should be allowed, got {status}");
            } else {
                assert_eq!(status, 403, "{role} {method} {path} should be refused");
            }
        }
    }
    assert!(app.audit_actions().await.iter().any(|a| a == "console.access_denied"));
}

async fn disabling_or_re_roling_a_member_takes_effect_on_their_next_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.staff("admin@kycdesk.test", &["admin"]).await;
    let auditor = app.staff("auditor@kycdesk.test", &["auditor"]).await;
    assert_eq!(auditor.visitor.page("/console/staff").await.status, 403);

    let staff_page = admin.visitor.page("/console/staff").await;
    let auditor_id = staff_page.body.split("id=\"staff-").nth(2).unwrap().split('"').next().unwrap().to_string();
    let csrf = admin.csrf().await;
    let changed = admin
        .visitor
        .client
        .post(app.url(&format!("/console/staff/{auditor_id}/roles")))
        .form(&[("csrf_token", csrf.as_str()), ("roles", "auditor"), ("roles", "admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 303);
    assert_eq!(auditor.visitor.page("/console").await.location(), Some("/console/login"), "the session ended");
    assert_eq!(auditor.log_in_with(&auditor.code(1)).await.location(), Some("/console"));
    assert_eq!(auditor.visitor.page("/console/staff").await.status, 200, "the new role applies");

    let disabled = admin
        .visitor
        .client
        .post(app.url(&format!("/console/staff/{auditor_id}/disable")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 303);
    assert_eq!(auditor.visitor.page("/console").await.location(), Some("/console/login"));
    assert_eq!(auditor.password_step().await.status, 422, "a disabled member cannot sign in");
    let actions = app.audit_actions().await;
    assert!(actions.iter().any(|a| a == "staff.roles_changed") && actions.iter().any(|a| a == "staff.disabled"));
}

async fn an_admin_invites_a_member_who_sets_a_password_and_enrols(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.staff("admin@kycdesk.test", &["admin"]).await;
    let form = admin
        .visitor
        .page("/console/staff")
        .await
        .form(Some("Send invitation"))
        .fill("Email", "new.reviewer@kycdesk.test")
        .fill("Name", "Neha Kapoor")
        .check("Reviewer");
    assert_eq!(admin.visitor.submit(&form).await.location(), Some("/console/staff"));
    let (_, email) = app.smtp.wait_for("new.reviewer@kycdesk.test").await;
    let link = email.link(&format!("{}/console/invite?token=", app.base_url));

    let neha = app.visitor();
    let page = neha.open(&link).await;
    assert!(page.body.contains("Welcome, Neha Kapoor"));
    let weak =
        page.form(Some("Set password")).fill("New password", "password").fill("Confirm new password", "password");
    assert_eq!(neha.submit(&weak).await.status, 422);
    let set = page.form(Some("Set password")).fill("New password", PASSWORD).fill("Confirm new password", PASSWORD);
    assert_eq!(neha.submit(&set).await.location(), Some("/console/login"));
    assert_eq!(neha.open(&link).await.status, 400, "the invitation works once");

    let mut member = crate::common::journeys::StaffMember {
        visitor: neha,
        email: "new.reviewer@kycdesk.test".into(),
        totp: None,
        recovery_codes: vec![],
    };
    assert_eq!(member.password_step().await.location(), Some("/console/enroll"));
    member.enrol().await;
    let console = member.visitor.page("/console").await;
    let shown = crate::common::unescape_html(&console.body);
    assert!(
        shown.contains("Reviewer")
            && shown.contains(r#"href="/console""#)
            && !shown.contains(r#"href="/console/staff""#)
    );
}

async fn admins_cannot_lock_themselves_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.staff("admin@kycdesk.test", &["admin"]).await;
    let csrf = admin.csrf().await;
    let demote = admin
        .visitor
        .client
        .post(app.url("/console/staff/1/roles"))
        .form(&[("csrf_token", csrf.as_str()), ("roles", "auditor")])
        .send()
        .await
        .unwrap();
    let page = crate::common::Page::from(demote).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("cannot remove your own admin role"));
    let disable = admin
        .visitor
        .client
        .post(app.url("/console/staff/1/disable"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(crate::common::Page::from(disable).await.body.contains("cannot disable yourself"));
    assert_eq!(app.count("staff_roles WHERE staff_id = 1 AND role = 'admin'").await, 1);
}

#[test]
fn a_malformed_policy_file_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["model.conf", "entity_types.toml"] {
        std::fs::copy(format!("{}/policies/{file}", env!("CARGO_MANIFEST_DIR")), dir.path().join(file)).unwrap();
    }
    std::fs::write(dir.path().join("policy.csv"), "p, admin, staff, manage\np, wizard, staff, manage\n").unwrap();
    let output = crate::common::start_with("KYCDESK_POLICY_DIR", dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("policy.csv:2") && stderr.contains("unknown role `wizard`"), "{stderr}");

    std::fs::remove_file(dir.path().join("model.conf")).unwrap();
    let output = crate::common::start_with("KYCDESK_POLICY_DIR", dir.path());
    assert!(String::from_utf8_lossy(&output.stderr).contains("model.conf"), "a missing model is named");
}

async fn the_outbox_lists_emails_and_texts_without_their_secrets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.visitor().onboard("ravi@example.com").await;
    assert_eq!(app.visitor().sign_up("meera@example.com", PASSWORD).await.status, 303);
    let code =
        app.latest_sms().unwrap().split(|c: char| !c.is_ascii_digit()).find(|p| p.len() == 6).unwrap().to_string();

    let agent = app.staff("agent@kycdesk.test", &["support_agent"]).await;
    let outbox = agent.visitor.page("/console/outbox").await;
    assert_eq!(outbox.status, 200);
    let emails = table_rows(&outbox.body, "emails");
    assert_eq!(emails.len(), 2, "{emails:?}");
    assert!(emails[0].contains("meera@example.com") && emails[0].contains("Verify your email address"), "newest first");
    assert!(emails[1].contains("ravi@example.com"));
    assert!(!outbox.body.contains("token="), "email bodies, with their one-time links, stay out of the console");
    let texts = table_rows(&outbox.body, "texts");
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(texts[0].contains("+919876543210") && texts[0].contains(&code), "{texts:?}");

    let meera = agent.visitor.page("/console/outbox?to=MEERA%40").await;
    let emails = table_rows(&meera.body, "emails");
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert!(emails[0].contains("meera@example.com"));
    let wildcard = agent.visitor.page("/console/outbox?to=%25").await;
    assert!(table_rows(&wildcard.body, "emails").is_empty(), "a % is a character, not a wildcard");
    let failed = agent.visitor.page("/console/outbox?state=failed").await;
    assert!(table_rows(&failed.body, "emails").is_empty());
    assert!(failed.body.contains("No emails match."));

    let link = r#"href="/console/outbox""#;
    assert!(crate::common::unescape_html(&agent.visitor.page("/console").await.body).contains(link));
    let reviewer = app.staff("reviewer@kycdesk.test", &["reviewer"]).await;
    let overview = crate::common::unescape_html(&reviewer.visitor.page("/console").await.body);
    assert!(!overview.contains(link), "no Outbox link without the role");
}
