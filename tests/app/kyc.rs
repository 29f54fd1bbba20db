//! KYC: entity types, uploads checked by content, submission, ownership.

use crate::common::journeys::files;
use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_customer_uploads_the_documents_of_their_entity_type_and_submits,
    submitting_without_a_required_document_is_refused,
    uploads_are_judged_by_content_and_refusals_leave_nothing_behind,
    a_customer_cannot_see_another_customers_document,
);

fn stored_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.data_dir.path().join("documents")).map_or(0, |dir| dir.count())
}

async fn a_customer_uploads_the_documents_of_their_entity_type_and_submits(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let asha = app.visitor();
    asha.onboard("asha@example.com").await;

    let kyc = asha.page("/settings/kyc").await;
    assert!(kyc.body.contains("Not submitted"));
    let choices = kyc.form(Some("Continue"));
    assert!(kyc.body.contains(r#"<option value="individual""#));
    assert!(!kyc.body.contains(r#"<option value="company""#), "an individual account is not offered company types");
    drop(choices);

    assert_eq!(asha.choose_entity_type("individual").await.location(), Some("/settings/kyc"));
    let page = asha.page("/settings/kyc").await;
    assert!(page.body.contains("Proof of identity and address: one of Aadhaar, Passport, Voter ID or Driving licence"));
    for label in ["PAN card", "Aadhaar card", "Passport", "Voter ID", "Driving licence"] {
        assert!(page.body.contains(&format!(">{label}</label>")), "upload field for {label}");
    }

    assert_eq!(
        asha.upload("pan_card", files::pdf(), "pan.pdf", "application/pdf").await.location(),
        Some("/settings/kyc")
    );
    assert_eq!(
        asha.upload("passport", files::jpeg(), "passport.jpg", "image/jpeg").await.location(),
        Some("/settings/kyc")
    );
    let page = asha.page("/settings/kyc").await;
    assert!(page.body.contains("pan.pdf") && page.body.contains("passport.jpg"), "{}", page.body);
    assert!(page.body.contains("Remove"));

    assert_eq!(asha.submit_kyc().await.location(), Some("/settings/kyc"));
    let page = asha.page("/settings/kyc").await;
    assert!(page.body.contains("Submitted on"), "{}", page.body);
    assert!(!page.body.contains("action=\"/settings/kyc/upload/"), "nothing can be uploaded while in review");
    assert_eq!(app.count("kyc_submissions WHERE status = 'submitted'").await, 1);
    assert_eq!(stored_files(&app), 2);
    let actions = app.audit_actions().await;
    for action in ["kyc.started", "kyc.document_uploaded", "kyc.submitted"] {
        assert!(actions.iter().any(|a| a == action), "{action}");
    }

    // Still locked until approved.
    assert!(asha.page("/dashboard").await.body.contains("Complete KYC to unlock"));
}

async fn submitting_without_a_required_document_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ravi = app.visitor();
    ravi.onboard("ravi@example.com").await;
    ravi.choose_entity_type("individual").await;
    ravi.upload("aadhaar", files::pdf(), "aadhaar.pdf", "application/pdf").await;
    let refused = ravi.submit_kyc().await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("Still missing: PAN card"), "{}", refused.body);
    assert_eq!(app.count("kyc_submissions WHERE status = 'draft'").await, 1);
}

async fn uploads_are_judged_by_content_and_refusals_leave_nothing_behind(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mira = app.visitor();
    mira.onboard("mira@example.com").await;
    mira.choose_entity_type("individual").await;

    let mut polyglot = files::jpeg();
    polyglot.extend_from_slice(b"PK\x03\x04 a zip archive rides along");
    let html = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>".to_vec();
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec();
    let cases: Vec<(&str, Vec<u8>, &str, &str, u16, &str)> = vec![
        (
            "an oversized file",
            files::pdf_of(10 * 1024 * 1024 + 1),
            "big.pdf",
            "application/pdf",
            413,
            "larger than 10 MB",
        ),
        ("HTML named .pdf", html, "pan.pdf", "application/pdf", 422, "Only PDF, JPEG and PNG"),
        ("an SVG", svg, "pan.svg", "image/svg+xml", 422, "Only PDF, JPEG and PNG"),
        ("a JPEG with a ZIP appended", polyglot, "pan.jpg", "image/jpeg", 422, "damaged or contains something"),
        ("an empty file", Vec::new(), "pan.pdf", "application/pdf", 422, "empty"),
        ("a PNG-typed PDF", files::pdf(), "pan.png", "image/png", 422, "do not match"),
    ];
    for (what, bytes, name, mime, status, message) in cases {
        let page = mira.upload("pan_card", bytes, name, mime).await;
        assert_eq!(page.status.as_u16(), status, "{what}");
        assert!(page.body.contains(message), "{what}: {}", page.body);
        assert_eq!(stored_files(&app), 0, "{what} left a file behind");
        assert_eq!(app.count("kyc_documents").await, 0, "{what} left a row behind");
    }

    // A path in the filename is only ever a display name.
    let traversal = mira.upload("pan_card", files::pdf(), "../../../../etc/passwd.pdf", "application/pdf").await;
    assert_eq!(traversal.status, 303);
    let page = mira.page("/settings/kyc").await;
    assert!(page.body.contains(">passwd.pdf</a>"), "{}", page.body);
    assert!(!crate::common::unescape_html(&page.body).contains("../"));
    let names: Vec<String> = std::fs::read_dir(app.data_dir.path().join("documents"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1);
    assert!(names[0].len() == 32 && names[0].chars().all(|c| c.is_ascii_hexdigit()), "{names:?}");

    // An upload without the CSRF token is refused before it is read.
    let part = reqwest::multipart::Part::bytes(files::pdf()).file_name("pan.pdf").mime_str("application/pdf").unwrap();
    let forged = mira
        .client
        .post(app.url("/settings/kyc/upload/pan_card"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
}

async fn a_customer_cannot_see_another_customers_document(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.visitor();
    alice.onboard("alice@example.com").await;
    alice.choose_entity_type("individual").await;
    alice.upload("pan_card", files::pdf(), "alice-pan.pdf", "application/pdf").await;
    let page = alice.page("/settings/kyc").await;
    let link =
        page.body.split("href=\"/settings/kyc/documents/").nth(1).unwrap().split('"').next().unwrap().to_string();
    let own = alice.page(&format!("/settings/kyc/documents/{link}")).await;
    assert_eq!(own.status, 200);
    assert_eq!(own.header("content-type"), Some("application/pdf"));
    assert_eq!(own.body.as_bytes(), files::pdf().as_slice());
    assert_eq!(own.header("content-disposition"), Some("inline; filename=\"pan_card.pdf\""));

    let bob = app.visitor();
    bob.onboard("bob@example.com").await;
    assert_eq!(bob.page(&format!("/settings/kyc/documents/{link}")).await.status, 404);
    assert_eq!(bob.page("/settings/kyc/documents/999999").await.status, 404);
    let anonymous = app.visitor();
    assert_eq!(anonymous.page(&format!("/settings/kyc/documents/{link}")).await.status, 303);
}

#[test]
fn a_broken_entity_types_file_stops_start_up_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("entity_types.toml"),
        "[[entity_type]]\nkey = \"x\"\nlabel = \"X\"\naccount_types = [\"individual\"]\npan_letters = [\"P\"]\napprovals = 1\n\n  [[entity_type.group]]\n  key = \"identity\"\n  label = \"One of\"\n\n  [[entity_type.document]]\n  key = \"pan\"\n  label = \"PAN\"\n  required = true\n",
    )
    .unwrap();
    let output = crate::common::start_with("KYCDESK_POLICY_DIR", dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("entity_types.toml:9") && stderr.contains("group `identity` of `x` has no documents"),
        "{stderr}"
    );
}
