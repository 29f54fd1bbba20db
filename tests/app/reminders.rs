//! The reminders job: one email per due step, the latest step only, one
//! reminder per customer per run, and a link that stops them.

use crate::common::email::ReceivedEmail;
use crate::common::journeys::PASSWORD;
use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(customers_stuck_in_onboarding_are_reminded_once_per_step_until_they_stop_it);

/// Moves a customer's `column` back by `hours`.
async fn age(app: &TestApp, email: &str, column: &str, hours: i64) {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let at = (kycdesk::db::now() - time::Duration::hours(hours)).format(&format).unwrap();
    app.sql(&format!("UPDATE customers SET {column} = '{at}' WHERE email = '{email}'")).await;
}

fn run_reminders(app: &TestApp) -> String {
    let output = app.run_cli(&["jobs", "run", "reminders"]);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
    stdout
}

async fn reminder_to(app: &TestApp, to: &str) -> ReceivedEmail {
    app.email_to(to, |e| e.text.contains("stop them here")).await
}

async fn customers_stuck_in_onboarding_are_reminded_once_per_step_until_they_stop_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let unverified = app.visitor();
    unverified.sign_up("unverified@example.com", PASSWORD).await;
    let verified = app.visitor();
    verified.sign_up("verified@example.com", PASSWORD).await;
    verified.verify_from_email("verified@example.com").await;
    let onboarded = app.visitor();
    onboarded.onboard("onboarded@example.com").await;
    app.visitor().sign_up("fresh@example.com", PASSWORD).await;

    age(&app, "unverified@example.com", "created_at", 100).await;
    age(&app, "verified@example.com", "email_verified_at", 30).await;
    age(&app, "onboarded@example.com", "details_saved_at", 50).await;
    let summary = run_reminders(&app);
    assert!(summary.contains(r#""unverified_email":1"#), "{summary}");
    assert!(summary.contains(r#""details_missing":1"#) && summary.contains(r#""kyc_not_submitted":1"#), "{summary}");
    assert!(summary.contains(r#""billing_missing":0"#), "one reminder per customer per run: {summary}");
    assert_eq!(app.count("outbox WHERE template = 'reminder'").await, 3, "the fresh sign-up is left alone");
    assert_eq!(
        app.count("reminder_sends WHERE stage = 'unverified_email' AND step = 72").await,
        1,
        "overdue for both steps, only the latest is sent"
    );
    assert_eq!(app.count("reminder_sends WHERE step = 24").await, 1, "the details reminder's first step");

    let email = reminder_to(&app, "unverified@example.com").await;
    assert_eq!(email.subject, "Please verify your email address");
    let verify = email.link(&format!("{}/verify-email?token=", app.base_url));
    assert_eq!(unverified.open(&verify).await.location(), Some("/login"), "the reminder carries a working link");
    let email = reminder_to(&app, "verified@example.com").await;
    assert!(email.text.contains(&app.url("/account/details")), "{}", email.text);
    assert!(email.html.contains("Fill in account details"));

    assert!(run_reminders(&app).contains(r#""kyc_not_submitted":0"#), "a step goes out once");
    assert_eq!(app.count("outbox WHERE template = 'reminder'").await, 3);

    let email = reminder_to(&app, "onboarded@example.com").await;
    assert_eq!(email.subject, "Complete your KYC to unlock kycdesk");
    let stop = email.link(&format!("{}/reminders/stop?", app.base_url));
    let forged = onboarded.open(&format!("{}0", &stop[..stop.len() - 1])).await;
    assert_eq!(forged.status, 400);
    let ask = onboarded.open(&stop).await;
    assert!(ask.body.contains("Stop reminder emails?"), "opening the link only asks");
    assert_eq!(app.count("customers WHERE reminders_stopped_at IS NOT NULL").await, 0);
    let stopped = onboarded.submit(&ask.form(Some("Stop reminders"))).await;
    assert!(stopped.body.contains("Reminders stopped"), "{}", stopped.body);

    age(&app, "onboarded@example.com", "details_saved_at", 200).await;
    age(&app, "verified@example.com", "email_verified_at", 100).await;
    let summary = run_reminders(&app);
    assert!(summary.contains(r#""kyc_not_submitted":0"#) && summary.contains(r#""billing_missing":0"#), "{summary}");
    assert!(summary.contains(r#""details_missing":1"#), "the next step is due: {summary}");
    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "reminder.sent").count(), 4);
    assert!(actions.iter().any(|a| a == "customer.reminders_stopped"));
}
