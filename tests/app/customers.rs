//! Support in the console: customer lookup with their emails and timeline,
//! resending the verification and approval emails, the support inbox.

use std::time::Duration;

use crate::common::journeys::{INDIVIDUAL, PASSWORD, StaffMember};
use crate::common::{Backend, Page, TestApp, eventually, table_rows};
use crate::on_both_backends;
use crate::review::{first_case, press};

on_both_backends!(
    a_support_agent_finds_a_customer_and_resends_their_verification_email,
    the_approval_email_is_resent_only_for_an_approved_kyc,
    support_requests_reach_the_inbox_and_are_closed_once,
);

async fn profile(agent: &StaffMember<'_>, id: i64) -> Page {
    let page = agent.visitor.page(&format!("/console/customers/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page
}

/// The id of the only customer a search for `q` finds.
async fn find_customer(agent: &StaffMember<'_>, q: &str) -> i64 {
    let found = agent.visitor.page(&format!("/console/customers?q={q}")).await;
    assert_eq!(table_rows(&found.body, "customers").len(), 1, "{}", found.body);
    let marker = "href=\"/console/customers/";
    let start = found.body.find(marker).unwrap() + marker.len();
    found.body[start..].split('"').next().unwrap().parse().unwrap()
}

async fn a_support_agent_finds_a_customer_and_resends_their_verification_email(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let late = app.visitor();
    assert_eq!(late.sign_up("late.mail@example.com", PASSWORD).await.status, 303);
    let first = eventually(Duration::from_secs(15), "the first verification email", || async {
        app.emails_to("late.mail@example.com").into_iter().next()
    })
    .await;
    let agent = app.staff("agent@kycdesk.test", &["support_agent"]).await;

    assert!(table_rows(&agent.visitor.page("/console/customers?q=nobody").await.body, "customers").is_empty());
    let id = find_customer(&agent, "LATE.MAIL").await;
    let page = profile(&agent, id).await;
    assert!(page.body.contains("Not yet"), "not verified yet");
    let emails = table_rows(&page.body, "emails");
    assert!(emails.len() == 1 && emails[0].contains("Verify your email address"), "{emails:?}");
    assert!(table_rows(&page.body, "timeline").iter().any(|r| r.contains("customer.signed_up")));

    // The cooldown covers staff too: a minute after the sign-up's link.
    app.sql("UPDATE email_tokens SET created_at = '2000-01-01 00:00:00'").await;
    let resent = agent.visitor.submit(&page.form(Some("Resend verification email"))).await;
    assert_eq!(resent.location(), Some(format!("/console/customers/{id}").as_str()));
    assert!(profile(&agent, id).await.body.contains("A new verification link is on its way"));
    let second = eventually(Duration::from_secs(15), "the resent verification email", || async {
        app.emails_to("late.mail@example.com").into_iter().nth(1)
    })
    .await;
    let again = agent.visitor.submit(&profile(&agent, id).await.form(Some("Resend verification email"))).await;
    assert_eq!(again.status, 303);
    assert!(profile(&agent, id).await.body.contains("less than a minute ago"), "staff cannot mail-bomb either");

    let prefix = format!("{}/verify-email?token=", app.base_url);
    let stale = late.open(&first.link(&prefix)).await;
    assert!(stale.status == 400 && stale.body.contains("This link no longer works"), "the old link is revoked");
    assert_eq!(late.open(&second.link(&prefix)).await.location(), Some("/login"));
    assert!(!profile(&agent, id).await.body.contains("Resend verification email"), "verified: nothing to resend");
    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "customer.verification_resent_by_staff").count(), 2);
}

async fn the_approval_email_is_resent_only_for_an_approved_kyc(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.customer_with_kyc("approved@example.com", "individual", INDIVIDUAL).await;
    let agent = app.staff("agent@kycdesk.test", &["support_agent"]).await;
    let id = find_customer(&agent, "approved@").await;
    let page = profile(&agent, id).await;
    assert!(!page.body.contains("Resend approval email") && page.body.contains("KYC: Submitted"));
    let csrf = agent.csrf().await;
    let early = agent.visitor.client.post(app.url(&format!("/console/customers/{id}/resend-approval")));
    assert_eq!(early.form(&[("csrf_token", csrf)]).send().await.unwrap().status(), 303);
    assert!(profile(&agent, id).await.body.contains("there is no approval to resend"));

    let reviewer = app.staff("rev@kycdesk.test", &["reviewer"]).await;
    let case = first_case(&reviewer).await;
    press(&reviewer, case, "Claim").await;
    press(&reviewer, case, "Approve").await;
    let page = profile(&agent, id).await;
    assert!(page.body.contains("KYC: Approved"));
    assert!(table_rows(&page.body, "timeline").iter().any(|r| r.contains("kyc.approved")), "staff decisions show too");
    agent.visitor.submit(&page.form(Some("Resend approval email"))).await;
    assert!(profile(&agent, id).await.body.contains("The approval email is on its way again"));
    assert_eq!(app.count("outbox WHERE template = 'kyc_approved'").await, 2);
    eventually(Duration::from_secs(15), "two approval emails", || async {
        (app.emails_to("approved@example.com").iter().filter(|e| e.subject.contains("approved")).count() == 2)
            .then_some(())
    })
    .await;
    assert!(app.audit_actions().await.iter().any(|a| a == "kyc.approval_resent"));
}

async fn support_requests_reach_the_inbox_and_are_closed_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = app.visitor();
    customer.onboard("stuck@example.com").await;
    for (email, message) in [
        ("stuck@example.com", "My KYC upload keeps failing with a timeout."),
        ("stranger@example.com", "Do you serve companies registered abroad?"),
    ] {
        assert_eq!(app.visitor().write_to_support(email, message).await.location(), Some("/support"));
    }
    let agent = app.staff("agent@kycdesk.test", &["support_agent"]).await;
    let inbox = agent.visitor.page("/console/support").await;
    assert_eq!(inbox.status, 200);
    assert!(inbox.body.contains("My KYC upload keeps failing") && inbox.body.contains("Do you serve companies"));
    assert!(inbox.body.contains("No account uses this address."), "the stranger has no account");
    assert!(inbox.body.find("#1 from").unwrap() < inbox.body.find("#2 from").unwrap(), "the longest waiting first");
    assert!(inbox.body.contains("href=\"/console/customers/"), "a request links to its customer");

    let close = inbox.form(Some("Close request #1"));
    assert_eq!(agent.visitor.submit(&close).await.location(), Some("/console/support"));
    let open = agent.visitor.page("/console/support").await;
    assert!(open.body.contains("Request #1 closed.") && !open.body.contains("My KYC upload keeps failing"));
    let closed = agent.visitor.page("/console/support?view=closed").await;
    assert!(closed.body.contains("My KYC upload keeps failing") && closed.body.contains("by Test Staff"));
    agent.visitor.submit(&close).await;
    assert!(agent.visitor.page("/console/support").await.body.contains("Request #1 was already closed."));
    let id = find_customer(&agent, "stuck@").await;
    assert!(profile(&agent, id).await.body.contains("My KYC upload keeps failing"), "the profile lists requests");
    assert_eq!(app.audit_actions().await.iter().filter(|a| *a == "support.request_closed").count(), 1);
}
