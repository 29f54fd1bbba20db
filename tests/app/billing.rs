//! Billing details, with the Indian PAN and GSTIN rules.

use crate::common::journeys::Visitor;
use crate::common::{Backend, Form, TestApp};
use crate::on_both_backends;

on_both_backends!(billing_details_are_saved_and_shown, gstin_and_pan_are_checked_beside_their_fields);

async fn billing_form(visitor: &Visitor<'_>) -> Form {
    visitor
        .page("/settings/billing")
        .await
        .form(Some("Update"))
        .fill("Billing name", "Asha Rao")
        .fill("Address line 1", "12 MG Road")
        .fill("City", "Mumbai")
        .fill("Country", "IN")
        .fill("State", "27")
        .fill("PIN code", "400001")
        .fill("PAN", "AAAPL1234C")
}

async fn billing_details_are_saved_and_shown(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let asha = app.visitor();
    asha.onboard("asha@example.com").await;
    asha.choose_entity_type("individual").await;

    let saved = asha.submit(&billing_form(&asha).await.fill("GSTIN", "27aaapl1234c1ze")).await;
    assert_eq!(saved.location(), Some("/settings/billing"), "{}", saved.body);
    let page = asha.page("/settings/billing").await;
    assert!(page.body.contains("Your billing details were updated"));
    for value in ["Asha Rao", "12 MG Road", "Mumbai", "400001", "AAAPL1234C", "27AAAPL1234C1ZE"] {
        assert!(page.body.contains(&format!("value=\"{value}\"")), "{value} is shown");
    }
    assert!(page.body.contains(r#"<option value="27" selected>Maharashtra</option>"#));
    assert!(asha.page("/dashboard").await.body.contains("Billing details"));

    // Outside India there is no PAN or GSTIN, and a postal code instead.
    let abroad = billing_form(&asha)
        .await
        .fill("Country", "GB")
        .fill("City", "London")
        .fill("State / region", "Greater London")
        .fill("Postal code", "SW1A 1AA")
        .fill("PAN", "not a pan");
    assert_eq!(asha.submit(&abroad).await.location(), Some("/settings/billing"));
    assert_eq!(app.count("billing_details WHERE country = 'GB' AND pan IS NULL AND gstin IS NULL").await, 1);
    assert!(app.audit_actions().await.iter().filter(|a| *a == "customer.billing_saved").count() == 2);
}

async fn gstin_and_pan_are_checked_beside_their_fields(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let visitor = app.visitor();
    visitor.onboard("firm@example.com").await;
    visitor.choose_entity_type("individual").await;

    let cases: &[(&str, &str, &str, &str, &str)] = &[
        // PAN, GSTIN, state, field, message
        ("AAAPL1234C", "27AAAPL1234C1ZF", "27", "gstin", "check character is wrong"),
        ("AAAPL1234C", "27AAPFU0939F1ZV", "27", "gstin", "does not contain your PAN"),
        ("AAAPL1234C", "29AAAPL1234C1ZA", "27", "gstin", "another state"),
        ("AAAPL1234", "", "27", "pan", "five letters, four digits"),
        ("AAPFU0939F", "", "27", "pan", "belongs to a firm or LLP, but your KYC entity type is Individual"),
        ("", "", "27", "pan", "Enter your PAN"),
        ("AAAPL1234C", "27AAAPL1234C1Z", "27", "gstin", "15 letters and digits"),
    ];
    for (pan, gstin, state, field, message) in cases {
        let form = billing_form(&visitor).await.fill("PAN", pan).fill("GSTIN", gstin).fill("State", state);
        let page = visitor.submit(&form).await;
        assert_eq!(page.status, 422, "{pan} {gstin}");
        let marker = format!(r#"<div class="error" id="{field}-error">"#);
        let at = page.body.find(&marker).unwrap_or_else(|| panic!("no {field} error for {pan}/{gstin}: {}", page.body));
        assert!(page.body[at..].contains(message), "{pan}/{gstin}: expected {message}");
        assert!(page.body.contains(r#"value="Asha Rao""#), "typed values are kept");
    }

    let bad_pin = visitor.submit(&billing_form(&visitor).await.fill("PIN code", "012345")).await;
    assert!(bad_pin.body.contains(r#"id="pin_code-error""#));
    let spaced = billing_form(&visitor).await.fill("PAN", " aaapl 1234c ").fill("GSTIN", "27 AAAPL1234C 1ZE");
    assert_eq!(visitor.submit(&spaced).await.location(), Some("/settings/billing"), "lower case and spaces are tidied");
    assert_eq!(app.count("billing_details WHERE pan = 'AAAPL1234C' AND gstin = '27AAAPL1234C1ZE'").await, 1);
}
