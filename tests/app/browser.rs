//! The main customer journey in a real headless Chromium: forms found by
//! their labels, the captcha solved by our script, CSRF tokens and the
//! Origin check exercised by a real browser.

use std::net::SocketAddr;

use axum::response::Html;
use axum::routing::get;

use crate::common::browser::Browser;
use crate::common::journeys::PASSWORD;
use crate::common::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_onboards_in_a_real_browser_and_a_cross_site_form_is_refused() {
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

    // The real Log out button, with its token, from our own page works.
    browser.press("Log out").await;
    browser.wait_for_path("/login").await;
    assert!(browser.text().await.contains("You have logged out"));

    browser.client.clone().close().await.unwrap();
}
