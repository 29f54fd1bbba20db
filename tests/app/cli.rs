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
