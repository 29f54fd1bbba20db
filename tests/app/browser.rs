//! The main customer journey in a real headless Chromium: forms found by
//! their labels, the captcha solved by our script, CSRF tokens and the
//! Origin check exercised by a real browser.

use std::net::SocketAddr;

use axum::response::Html;
use axum::routing::get;

use crate::common::browser::Browser;
use crate::common::journeys::{INDIVIDUAL, PASSWORD};
use crate::common::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_onboards_submits_kyc_and_billing_in_a_real_browser_and_a_cross_site_form_is_refused() {
    let Some(browser) = Browser::start().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;

    browser.goto(&app.url("/")).await;
    browser.client.find(fantoccini::Locator::LinkText("Create an account")).await.unwrap().click().await.unwrap();
    browser.wait_for_path("/signup").await;
    browser.fill("Email", "priya@example.com").await;
    browser.fill("Password", PASSWORD).await;
    browser.fill("Confirm password", PASSWORD).await;
    browser.pass_captcha().await;
    browser.tick("I agree to the Terms & Conditions").await;
    browser.press("Submit").await;
    browser.wait_for_path("/signup/check-email").await;
    assert!(browser.text().await.contains("We've sent a verification link to priya@example.com"));

    let (_, email) = app.smtp.wait_for("priya@example.com").await;
    browser.goto(&email.link(&format!("{}/verify-email?token=", app.base_url))).await;
    browser.wait_for_path("/login").await;
    assert!(browser.text().await.contains("Email verified"));

    browser.fill("Email", "priya@example.com").await;
    browser.fill("Password", PASSWORD).await;
    browser.press("Log in").await;
    browser.wait_for_path("/account/details").await;

    browser.choose("Account type", "company").await;
    browser.fill("First name", "Priya").await;
    browser.fill("Last name", "Nair").await;
    browser.fill("Company name", "Nair Logistics Pvt. Ltd.").await;
    browser.choose("Sector", "telecom").await;
    browser.choose("Phone type", "mobile").await;
    browser.fill("Phone number", "+91 91234 56789").await;
    browser.press("Send OTP").await;
    browser
        .client
        .wait()
        .for_element(fantoccini::Locator::XPath("//*[contains(., 'We sent a 6-digit code to +919123456789')]"))
        .await
        .expect("the code was sent");
    let sms = app.latest_sms().unwrap();
    let code = sms.split(|c: char| !c.is_ascii_digit()).find(|p| p.len() == 6).unwrap().to_string();
    browser.fill("OTP", &code).await;
    browser.press("Create").await;
    browser.wait_for_path("/dashboard").await;
    let dashboard = browser.text().await;
    assert!(dashboard.contains("Welcome, Priya"), "{dashboard}");
    assert!(dashboard.contains("Complete KYC to unlock"), "{dashboard}");

    // KYC: the upload script sends each file with a progress bar.
    let files = tempfile::tempdir().unwrap();
    let pdf = files.path().join("document.pdf");
    std::fs::write(&pdf, crate::common::journeys::files::pdf()).unwrap();
    browser.goto(&app.url("/settings/kyc")).await;
    browser.choose("Entity type", "sole_proprietorship").await;
    browser.press("Continue").await;
    for label in ["Proprietor's PAN card", "Aadhaar card", "GST registration certificate"] {
        browser.labelled(label).await.send_keys(&pdf.display().to_string()).await.expect("choosing a file");
        let xpath = format!("//form[.//label[normalize-space(.)=\"{label}\"]]//button");
        browser.client.find(fantoccini::Locator::XPath(&xpath)).await.unwrap().click().await.unwrap();
        browser
            .client
            .wait()
            .for_element(fantoccini::Locator::XPath(&format!("//*[contains(., \"{label} uploaded: document.pdf\")]")))
            .await
            .expect("the upload finished");
    }
    browser.press("Submit").await;
    browser.client.wait().for_element(fantoccini::Locator::XPath("//*[contains(., 'Submitted on')]")).await.unwrap();

    browser.goto(&app.url("/settings/billing")).await;
    browser.fill("Billing name", "Nair Logistics").await;
    browser.fill("Address line 1", "4 Residency Road").await;
    browser.fill("City", "Bengaluru").await;
    browser.choose("Country", "IN").await;
    browser.choose("State", "29").await;
    browser.fill("PIN code", "560025").await;
    browser.fill("PAN", "aaapl1234c").await;
    browser.fill("GSTIN", "29AAAPL1234C1ZA").await;
    browser.press("Update").await;
    browser
        .client
        .wait()
        .for_element(fantoccini::Locator::XPath("//*[contains(., 'Your billing details were updated')]"))
        .await
        .unwrap();
    assert_eq!(app.count("billing_details WHERE gstin = '29AAAPL1234C1ZA' AND state = 'Karnataka'").await, 1);
    assert_eq!(
        app.count("kyc_submissions WHERE status = 'submitted' AND entity_type = 'sole_proprietorship'").await,
        1
    );

    // A page on another origin posts a form at us with the visitor's cookie:
    // the browser says where it came from, and the app refuses it.
    let evil = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let evil_url = format!("http://{}", evil.local_addr().unwrap());
    let target = app.url("/logout");
    let page = format!(
        "<!doctype html><form method=post action=\"{target}\"><input type=hidden name=csrf_token value=guess>\
         <button type=submit>Claim your prize</button></form>"
    );
    let router = axum::Router::new().route("/", get(move || async move { Html(page) }));
    tokio::spawn(async move {
        axum::serve(evil, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    browser.goto(&evil_url).await;
    browser.press("Claim your prize").await;
    browser.wait_for_path("/logout").await;
    let refused = browser.text().await;
    assert!(refused.contains("Access denied") && refused.contains("Request id"), "{refused}");

    browser.goto(&app.url("/dashboard")).await;
    assert_eq!(browser.path().await, "/dashboard", "still signed in");
    assert!(browser.text().await.contains("Billing details"));

    // The real Log out button, with its token, from our own page works.
    browser.press("Log out").await;
    browser.wait_for_path("/login").await;
    assert!(browser.text().await.contains("You have logged out"));

    browser.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_member_enrols_an_authenticator_reviews_kyc_and_works_the_console_in_a_real_browser() {
    let Some(browser) = Browser::start().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.add_staff("ops@kycdesk.test", &["admin", "reviewer"]);
    let customer = app.customer_with_kyc("priya@example.com", "individual", INDIVIDUAL).await;

    browser.goto(&app.url("/console/login")).await;
    browser.fill("Email", "ops@kycdesk.test").await;
    browser.fill("Password", PASSWORD).await;
    browser.press("Continue").await;
    browser.wait_for_path("/console/enroll").await;
    let uri = browser.client.find(fantoccini::Locator::Id("otpauth")).await.unwrap().text().await.unwrap();
    let totp = totp_rs::Totp::from_url(uri.trim()).expect("the page shows an otpauth URI");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    browser.fill("Authentication code", &totp.generate(now).to_string()).await;
    browser.press("Confirm").await;
    let next = fantoccini::Locator::LinkText("Continue to the console");
    let next = browser.client.wait().at_most(std::time::Duration::from_secs(20)).for_element(next).await.unwrap();
    assert!(browser.text().await.contains("Save your recovery codes"));
    next.click().await.unwrap();
    browser.wait_for_path("/console").await;

    browser.client.find(fantoccini::Locator::LinkText("KYC review")).await.unwrap().click().await.unwrap();
    browser.wait_for_path("/console/kyc").await;
    browser.client.find(fantoccini::Locator::LinkText("Asha Rao")).await.unwrap().click().await.unwrap();
    browser.wait_for_path("/console/kyc/1").await;
    browser.press("Claim").await;
    browser.wait_for_text("You are reviewing this submission").await;
    crate::common::eventually(std::time::Duration::from_secs(10), "the passport image to load inline", || async {
        let script =
            "const img = document.querySelector('img.document-image'); return img.complete && img.naturalWidth;";
        let width = browser.client.execute(script, vec![]).await.unwrap();
        (width == serde_json::json!(2)).then_some(())
    })
    .await;
    browser.press("Approve").await;
    browser.wait_for_text("Approved. The customer has been emailed").await;
    assert!(!customer.page("/dashboard").await.body.contains("Complete KYC to unlock"));

    browser.client.find(fantoccini::Locator::LinkText("Jobs")).await.unwrap().click().await.unwrap();
    browser.wait_for_path("/console/jobs").await;
    browser.press("Run now").await;
    browser.wait_for_text("cleanup started").await;
    crate::common::eventually(std::time::Duration::from_secs(10), "the run from the browser", || async {
        (app.count("job_runs WHERE triggered_by = 'console' AND state = 'succeeded'").await == 1).then_some(())
    })
    .await;

    browser.client.find(fantoccini::Locator::LinkText("Outbox")).await.unwrap().click().await.unwrap();
    browser.wait_for_path("/console/outbox").await;
    assert!(browser.text().await.contains("Text messages"));
    browser.press("Log out").await;
    browser.wait_for_path("/console/login").await;
}
