//! The binary: configuration errors and migrations.

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

fn kycdesk(env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_kycdesk"))
        .args(args)
        .env_clear()
        .env("KYCDESK_DATA_DIR", dir.path())
        .envs(env.iter().copied())
        .output()
        .expect("kycdesk runs")
}

#[test]
fn invalid_configuration_stops_start_up_naming_the_setting() {
    let cases = [
        ("KYCDESK_BIND", "not-an-address"),
        ("KYCDESK_DATABASE_URL", "mysql://localhost/kyc"),
        ("KYCDESK_BASE_URL", "kyc.example.com"),
        ("KYCDESK_LOG_FORMAT", "yaml"),
        ("KYCDESK_SMTP_URL", "mailto:ops@example.com"),
    ];
    for (setting, value) in cases {
        let output = kycdesk(&[(setting, value)], &["migrate"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{setting}={value}: {stderr}");
        assert!(stderr.contains(setting), "{setting}={value} not named in: {stderr}");
    }
}

#[test]
fn an_unknown_key_in_the_config_file_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kycdesk.toml");
    std::fs::write(&file, "bind = \"127.0.0.1:0\"\ndatabse_url = \"sqlite://x.db\"\n").unwrap();
    let output = kycdesk(&[("KYCDESK_CONFIG", file.to_str().unwrap())], &["migrate"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("databse_url"), "{stderr}");
}

#[test]
fn an_unreachable_postgres_server_is_reported_with_its_own_error() {
    let output = kycdesk(&[("KYCDESK_DATABASE_URL", "postgres://postgres@127.0.0.1:1/nothing")], &["migrate"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("127.0.0.1") && stderr.to_lowercase().contains("connect"), "{stderr}");
}

on_both_backends!(migrate_applies_to_an_empty_database_and_again_to_a_migrated_one);

async fn migrate_applies_to_an_empty_database_and_again_to_a_migrated_one(backend: Backend) {
    // The app migrated its database on start; the CLI finds nothing to do,
    // and the app reports ready.
    let app = TestApp::spawn(backend).await;
    for _ in 0..2 {
        let output = app.run_cli(&["migrate"]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(String::from_utf8_lossy(&output.stdout).contains("up to date"));
    }
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[test]
fn migrate_creates_a_fresh_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/fresh.db");
    let url = format!("sqlite://{}", db.display());
    let output = kycdesk(&[("KYCDESK_DATABASE_URL", &url)], &["migrate"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(db.exists());
    let again = kycdesk(&[("KYCDESK_DATABASE_URL", &url)], &["migrate"]);
    assert!(again.status.success());
}

on_both_backends!(staff_are_added_and_disabled_from_the_command_line);

async fn staff_are_added_and_disabled_from_the_command_line(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let run = |args: &[&str], password: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kycdesk"))
            .args(args)
            .env_clear()
            .envs(app.cli_env())
            .env("KYCDESK_STAFF_PASSWORD", password)
            .output()
            .unwrap()
    };
    let weak = run(&["staff", "add", "ops@kycdesk.test", "--name", "Ops", "--role", "admin"], "password");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password:"), "{}", String::from_utf8_lossy(&weak.stderr));
    let unknown = run(&["staff", "add", "ops@kycdesk.test", "--name", "Ops", "--role", "wizard"], "Kestrel-Orbit-42");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown role `wizard`"));
    assert_eq!(app.count("staff").await, 0, "nothing was created");

    let member = app.staff("ops@kycdesk.test", &["admin", "auditor"]).await;
    assert_eq!(app.count("staff_roles WHERE role IN ('admin', 'auditor')").await, 2);
    assert_eq!(member.visitor.page("/console").await.status, 200);
    let disabled = run(&["staff", "disable", "ops@kycdesk.test"], "");
    assert!(disabled.status.success(), "{}", String::from_utf8_lossy(&disabled.stderr));
    assert_eq!(member.visitor.page("/console").await.location(), Some("/console/login"), "kicked out at once");
    assert!(app.audit_actions().await.iter().any(|a| a == "staff.disabled"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_forwarded_address_is_audited() {
    for (trust, expected) in [("true", "203.0.113.7"), ("", "127.0.0.1")] {
        let app = TestApp::spawn_with(Backend::Sqlite, &[("KYCDESK_TRUST_FORWARDED_FOR", trust)]).await;
        let visitor = app.visitor();
        let form =
            visitor.page("/login").await.form(Some("Log in")).fill("Email", "nobody@example.com").fill("Password", "x");
        visitor
            .client
            .post(&form.action)
            .header("x-forwarded-for", "198.51.100.1, 203.0.113.7")
            .form(&form.pairs())
            .send()
            .await
            .unwrap();
        let from = app.count(&format!("audit_log WHERE action = 'customer.login_failed' AND ip = '{expected}'")).await;
        assert_eq!(from, 1, "trust={trust:?}");
    }
}

on_both_backends!(demo_seed_fills_an_empty_database_once);

async fn demo_seed_fills_an_empty_database_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let seed = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_kycdesk"))
            .args(["demo", "seed"])
            .env_clear()
            .envs(app.cli_env())
            .env("KYCDESK_DEMO_PASSWORD", crate::common::journeys::PASSWORD)
            .output()
            .expect("kycdesk runs")
    };
    let output = seed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("rahul.individual@example.com"), "{stdout}");
    assert_eq!(app.count("customers").await, 6);
    assert_eq!(app.count("kyc_submissions WHERE status = 'submitted'").await, 2);
    assert_eq!(app.count("kyc_submissions WHERE status = 'approved'").await, 1);
    assert_eq!(app.count("kyc_submissions WHERE status = 'draft'").await, 1);
    assert_eq!(app.count("outbox").await, 0, "demo addresses are never emailed");
    let documents = std::fs::read_dir(app.data_dir.path().join("documents")).unwrap().count() as i64;
    assert_eq!(documents, app.count("kyc_documents").await, "every document row has its file");

    let approved = app.visitor();
    let login = approved.log_in("accounts@uday-associates.example.com", crate::common::journeys::PASSWORD).await;
    assert_eq!(login.location(), Some("/dashboard"), "{}", login.body);
    assert!(!approved.page("/dashboard").await.body.contains("Complete KYC to unlock"));
    assert!(approved.page("/settings/billing").await.body.contains("27AAPFU0939F1ZV"));
    let reviewer = app.staff("rev@kycdesk.test", &["reviewer"]).await;
    let queue = reviewer.visitor.page("/console/kyc").await;
    assert_eq!(crate::common::table_rows(&queue.body, "queue").len(), 2, "the console has work to show");

    let again = seed();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has 6 customers"));
    assert_eq!(app.count("customers").await, 6);
    assert!(app.run_cli(&["audit", "verify"]).status.success());
}
