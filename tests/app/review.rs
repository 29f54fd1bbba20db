//! KYC review in the console: the queue, claims, approvals (four-eyes too),
//! rejections and change requests, and what the customer sees of each.

use crate::common::email::ReceivedEmail;
use crate::common::journeys::{INDIVIDUAL, StaffMember, files};
use crate::common::{Backend, Page, TestApp, unescape_html};
use crate::on_both_backends;

on_both_backends!(
    a_reviewer_claims_and_approves_and_the_customer_is_emailed_and_unlocked,
    requested_changes_are_uploaded_again_and_resubmitted_with_the_history_kept,
    a_rejection_needs_a_reason_and_only_a_final_one_ends_resubmission,
    four_eyes_types_need_a_second_approval_by_a_different_senior_reviewer,
    racing_reviewers_produce_one_claim_and_one_decision,
    reviewers_cannot_review_their_own_account_and_claims_can_be_released,
);

/// The case id of the first submission the queue lists.
pub(crate) async fn first_case(reviewer: &StaffMember<'_>) -> i64 {
    let queue = reviewer.visitor.page("/console/kyc").await;
    assert_eq!(queue.status, 200);
    let start = queue.body.find("href=\"/console/kyc/").expect("a queued submission") + "href=\"/console/kyc/".len();
    queue.body[start..].split('"').next().unwrap().parse().unwrap()
}

pub(crate) async fn case(reviewer: &StaffMember<'_>, id: i64) -> Page {
    let page = reviewer.visitor.page(&format!("/console/kyc/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page
}

/// Presses `button` on the case page.
pub(crate) async fn press(reviewer: &StaffMember<'_>, id: i64, button: &str) -> Page {
    let form = case(reviewer, id).await.form(Some(button));
    reviewer.visitor.submit(&form).await
}

/// A bare POST with the member's CSRF token, for actions the page does not
/// offer them.
async fn post(reviewer: &StaffMember<'_>, path: &str) -> Page {
    let csrf = reviewer.csrf().await;
    let response = reviewer
        .visitor
        .client
        .post(reviewer.visitor.app.url(path))
        .form(&[("csrf_token", csrf)])
        .send()
        .await
        .unwrap();
    Page::from(response).await
}

/// The newest email to `to` whose subject contains `subject`.
async fn email_about(app: &TestApp, to: &str, subject: &str) -> ReceivedEmail {
    app.email_to(to, |e| e.subject.contains(subject)).await
}

async fn a_reviewer_claims_and_approves_and_the_customer_is_emailed_and_unlocked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let asha = app.customer_with_kyc("asha@example.com", "individual", INDIVIDUAL).await;
    let reviewer = app.staff("rev@kycdesk.test", &["reviewer"]).await;

    let overview = reviewer.visitor.page("/console").await;
    assert!(unescape_html(&overview.body).contains(r#"href="/console/kyc""#), "reviewers see the queue");
    assert!(
        overview.body.contains("KYC waiting for a reviewer</a> <span class=\"state\">1</span>"),
        "{}",
        overview.body
    );
    assert!(!overview.body.contains("Open support requests"), "a reviewer is not shown support work");
    let metrics = app.get_page("/metrics").await;
    assert!(metrics.body.contains(r#"kycdesk_kyc_submissions{status="submitted"} 1"#), "{}", metrics.body);
    let queue = reviewer.visitor.page("/console/kyc").await;
    let rows = crate::common::table_rows(&queue.body, "queue");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains("asha@example.com") && rows[0].contains("Submitted") && rows[0].contains("0 of 1"));
    let id = first_case(&reviewer).await;
    for (query, expected) in [("q=ASHA", 1), ("q=nobody", 0), ("view=approved", 0), ("entity_type=company", 0)] {
        let found = reviewer.visitor.page(&format!("/console/kyc?{query}")).await;
        assert_eq!(crate::common::table_rows(&found.body, "queue").len(), expected, "{query}");
    }

    let page = case(&reviewer, id).await;
    assert!(page.body.contains("PAN card") && page.body.contains("passport.png"), "{}", page.body);
    assert!(page.body.contains("Asha Rao"), "the customer's details are shown");
    assert!(!page.body.contains(">Approve</button>"), "nothing can be decided before claiming");
    let early = post(&reviewer, &format!("/console/kyc/{id}/approve")).await;
    assert_eq!(early.status, 422);
    assert!(early.body.contains("Claim the submission before deciding it"), "{}", early.body);

    assert_eq!(press(&reviewer, id, "Claim").await.location(), Some(format!("/console/kyc/{id}").as_str()));
    let claimed = case(&reviewer, id).await;
    assert!(claimed.body.contains("In review") && claimed.body.contains(">Approve</button>"));
    assert!(asha.page("/settings/kyc").await.body.contains("In review"), "the customer sees the review start");

    // Documents open inline for the reviewer, and each look is audited.
    let link = format!("/console/kyc/{id}/documents/");
    let start = claimed.body.find(&link).unwrap() + link.len();
    let document: i64 = claimed.body[start..].split('"').next().unwrap().parse().unwrap();
    let opened = reviewer.visitor.client.get(app.url(&format!("{link}{document}"))).send().await.unwrap();
    assert_eq!(opened.status(), 200);
    assert!(opened.headers()["content-type"] == "application/pdf" || opened.headers()["content-type"] == "image/png");
    assert_eq!(reviewer.visitor.page(&format!("/console/kyc/{}/documents/{document}", id + 1)).await.status, 404);

    let approve = case(&reviewer, id).await.form(Some("Approve"));
    assert_eq!(reviewer.visitor.submit(&approve).await.location(), Some("/console/kyc"));
    let again = reviewer.visitor.submit(&approve).await;
    assert_eq!(again.status, 422, "a double click decides nothing twice");
    assert!(again.body.contains("not waiting for review"), "{}", again.body);

    let email = email_about(&app, "asha@example.com", "approved").await;
    assert!(email.text.contains(&app.url("/dashboard")), "{}", email.text);
    assert!(email.html.contains("Open your dashboard"));
    let dashboard = asha.page("/dashboard").await;
    assert!(!dashboard.body.contains("Complete KYC to unlock"), "products unlock on approval");
    assert!(asha.page("/settings/kyc").await.body.contains("Approved on"));
    assert_eq!(app.count("outbox WHERE template = 'kyc_approved'").await, 1);
    assert_eq!(app.count("kyc_approvals").await, 1);
    let actions = app.audit_actions().await;
    for action in ["kyc.claimed", "kyc.document_viewed", "kyc.approved"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
    assert_eq!(actions.iter().filter(|a| *a == "kyc.approved").count(), 1);

    // A draft stays the customer's own until it is submitted.
    let drafting = app.visitor();
    drafting.onboard("drafting@example.com").await;
    drafting.choose_entity_type("individual").await;
    drafting.upload("pan_card", files::pdf(), "pan.pdf", "application/pdf").await;
    assert_eq!(app.count("kyc_submissions WHERE status = 'draft'").await, 1);
    let draft = id + 1;
    assert_eq!(reviewer.visitor.page(&format!("/console/kyc/{draft}")).await.status, 404);
    let draft_document = app.count("kyc_documents").await;
    assert_eq!(reviewer.visitor.page(&format!("/console/kyc/{draft}/documents/{draft_document}")).await.status, 404);
}

async fn requested_changes_are_uploaded_again_and_resubmitted_with_the_history_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ravi = app.customer_with_kyc("ravi@example.com", "individual", INDIVIDUAL).await;
    let reviewer = app.staff("rev@kycdesk.test", &["reviewer"]).await;
    let id = first_case(&reviewer).await;
    press(&reviewer, id, "Claim").await;

    let blank = reviewer.visitor.submit(&case(&reviewer, id).await.form(Some("Request changes"))).await;
    assert_eq!(blank.status, 422);
    assert!(blank.body.contains("Say what the customer should change"), "{}", blank.body);
    let form = blank.form(Some("Request changes")).fill("Passport: what to change", "The photo page is blurred");
    assert_eq!(reviewer.visitor.submit(&form).await.location(), Some("/console/kyc"));

    let email = email_about(&app, "ravi@example.com", "update your KYC").await;
    assert!(email.text.contains("Passport: The photo page is blurred"), "{}", email.text);
    let kyc = ravi.page("/settings/kyc").await;
    assert!(kyc.body.contains("Changes requested") && kyc.body.contains("Reviewer: The photo page is blurred"));
    assert!(kyc.body.contains("action=\"/settings/kyc/upload/passport?"), "the passport can be replaced");
    assert!(!kyc.body.contains("action=\"/settings/kyc/upload/pan_card?"), "only what was asked for can change");

    let unchanged = ravi.submit_kyc().await;
    assert_eq!(unchanged.status, 422);
    assert!(unchanged.body.contains("Still missing: Passport"), "{}", unchanged.body);
    let replaced = ravi.upload("passport", files::jpeg(), "passport-sharp.jpg", "image/jpeg").await;
    assert_eq!(replaced.location(), Some("/settings/kyc"));
    assert_eq!(ravi.submit_kyc().await.location(), Some("/settings/kyc"));
    assert_eq!(app.count("kyc_submissions WHERE status = 'submitted' AND review_round = 2").await, 1);
    assert_eq!(app.count("kyc_documents WHERE doc_key = 'passport'").await, 2, "the first passport is kept");

    let page = case(&reviewer, id).await;
    assert!(page.body.contains("Earlier versions") && page.body.contains("passport-sharp.jpg"));
    let history = crate::common::table_rows(&page.body, "history");
    let statuses: Vec<&str> = ["Draft", "Submitted", "In review", "Changes requested", "Submitted"].to_vec();
    assert_eq!(history.len(), statuses.len(), "{history:?}");
    for (row, status) in history.iter().zip(statuses) {
        assert!(row.contains(status), "{row} should be {status}");
    }
    assert!(app.audit_actions().await.iter().any(|a| a == "kyc.resubmitted"));
}

async fn a_rejection_needs_a_reason_and_only_a_final_one_ends_resubmission(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mira = app.customer_with_kyc("mira@example.com", "individual", INDIVIDUAL).await;
    let reviewer = app.staff("rev@kycdesk.test", &["reviewer"]).await;
    let id = first_case(&reviewer).await;
    press(&reviewer, id, "Claim").await;

    let form = case(&reviewer, id).await.form(Some("Reject")).fill("Reason", "other");
    let refused = reviewer.visitor.submit(&form).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("Say why, for the customer."), "{}", refused.body);
    let form = refused
        .form(Some("Reject"))
        .fill("Reason", "illegible")
        .fill("Note to the customer", "The scan is too dark to read");
    assert_eq!(reviewer.visitor.submit(&form).await.location(), Some("/console/kyc"));

    let email = email_about(&app, "mira@example.com", "not approved").await;
    assert!(email.text.contains("Reason: Documents are unreadable. The scan is too dark to read"), "{}", email.text);
    assert!(email.text.contains(&app.url("/settings/kyc")));
    let kyc = mira.page("/settings/kyc").await;
    assert!(kyc.body.contains("You can start a new submission"), "{}", kyc.body);
    assert_eq!(mira.choose_entity_type("individual").await.location(), Some("/settings/kyc"));
    assert_eq!(
        app.count("kyc_submissions WHERE customer_id = (SELECT id FROM customers WHERE email = 'mira@example.com')")
            .await,
        2
    );

    let omar = app.customer_with_kyc("omar@example.com", "individual", INDIVIDUAL).await;
    let queue = reviewer.visitor.page("/console/kyc").await;
    assert_eq!(crate::common::table_rows(&queue.body, "queue").len(), 1, "decided submissions leave the queue");
    let id = first_case(&reviewer).await;
    press(&reviewer, id, "Claim").await;
    let form = case(&reviewer, id)
        .await
        .form(Some("Reject"))
        .fill("Reason", "suspected_fraud")
        .check("Final decision: the customer cannot submit again");
    assert_eq!(reviewer.visitor.submit(&form).await.location(), Some("/console/kyc"));
    let email = email_about(&app, "omar@example.com", "not approved").await;
    assert!(email.text.contains("This decision is final") && email.text.contains(&app.url("/support")));
    assert!(omar.page("/settings/kyc").await.body.contains("This decision is final"));
    let again = omar.client.post(app.url("/settings/kyc/entity-type")).form(&[("entity_type", "individual")]);
    assert_ne!(again.send().await.unwrap().status(), 303, "a final rejection cannot be resubmitted");
    assert_eq!(app.count("kyc_submissions WHERE rejection_final").await, 1);
    let rejected = reviewer.visitor.page("/console/kyc?view=rejected").await;
    assert_eq!(crate::common::table_rows(&rejected.body, "queue").len(), 2);
}

async fn four_eyes_types_need_a_second_approval_by_a_different_senior_reviewer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let uploads = [("passport", "passport.png"), ("utility_bill", "bill.pdf")];
    let lee = app.customer_with_kyc("lee@example.com", "foreign_entity", &uploads).await;
    let first = app.staff("first@kycdesk.test", &["reviewer"]).await;
    let other = app.staff("other@kycdesk.test", &["reviewer"]).await;
    let senior = app.staff("senior@kycdesk.test", &["senior_reviewer"]).await;
    let id = first_case(&first).await;

    press(&first, id, "Claim").await;
    let approved = press(&first, id, "Approve").await;
    assert_eq!(approved.location(), Some("/console/kyc"));
    assert!(first.visitor.page("/console/kyc").await.body.contains("First approval recorded"));
    assert_eq!(app.count("kyc_submissions WHERE status = 'in_review' AND claimed_by IS NULL").await, 1);
    assert!(lee.page("/dashboard").await.body.contains("Complete KYC to unlock"), "one approval is not enough");
    assert_eq!(app.count("outbox WHERE template = 'kyc_approved'").await, 0);

    let own_second = post(&first, &format!("/console/kyc/{id}/claim")).await;
    assert!(own_second.body.contains("a different senior reviewer must give the second"), "{}", own_second.body);
    let junior = post(&other, &format!("/console/kyc/{id}/claim")).await;
    assert!(junior.body.contains("only a senior reviewer can give the second"), "{}", junior.body);

    let page = case(&senior, id).await;
    assert!(page.body.contains("Approvals: 1 of 2"), "{}", page.body);
    press(&senior, id, "Claim").await;
    assert_eq!(press(&senior, id, "Approve").await.location(), Some("/console/kyc"));
    email_about(&app, "lee@example.com", "approved").await;
    assert!(!lee.page("/dashboard").await.body.contains("Complete KYC to unlock"));
    assert_eq!(app.count("kyc_approvals").await, 2);
    assert!(app.audit_actions().await.iter().any(|a| a == "kyc.first_approval"));
}

async fn racing_reviewers_produce_one_claim_and_one_decision(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.customer_with_kyc("race@example.com", "individual", INDIVIDUAL).await;
    let one = app.staff("one@kycdesk.test", &["reviewer"]).await;
    let two = app.staff("two@kycdesk.test", &["reviewer"]).await;
    let id = first_case(&one).await;
    let claim = format!("/console/kyc/{id}/claim");
    let (a, b) = tokio::join!(post(&one, &claim), post(&two, &claim));
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [303, 422], "one claim wins");
    let loser = if a.status == 422 { &a } else { &b };
    assert!(loser.body.contains("Test Staff is reviewing this submission"), "{}", loser.body);
    let winner = if a.status == 303 { &one } else { &two };

    let approve = format!("/console/kyc/{id}/approve");
    let (a, b) = tokio::join!(post(winner, &approve), post(winner, &approve));
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [303, 422], "one decision wins");
    assert_eq!(app.count("kyc_approvals").await, 1);
    assert_eq!(app.count("outbox WHERE template = 'kyc_approved'").await, 1);
}

async fn reviewers_cannot_review_their_own_account_and_claims_can_be_released(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.customer_with_kyc("moonlighter@kycdesk.test", "individual", INDIVIDUAL).await;
    let own = app.staff("moonlighter@kycdesk.test", &["reviewer"]).await;
    let id = first_case(&own).await;
    let page = case(&own, id).await;
    assert!(page.body.contains("someone else must review it") && !page.body.contains(">Claim</button>"));
    let refused = post(&own, &format!("/console/kyc/{id}/claim")).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("your own email address"), "{}", refused.body);

    let holder = app.staff("holder@kycdesk.test", &["reviewer"]).await;
    let bystander = app.staff("bystander@kycdesk.test", &["reviewer"]).await;
    let senior = app.staff("senior@kycdesk.test", &["senior_reviewer"]).await;
    press(&holder, id, "Claim").await;
    let not_yours = post(&bystander, &format!("/console/kyc/{id}/release")).await;
    assert!(not_yours.body.contains("Only the reviewer who claimed it"), "{}", not_yours.body);
    assert_eq!(press(&senior, id, "Release").await.location(), Some(format!("/console/kyc/{id}").as_str()));
    assert_eq!(app.count("kyc_submissions WHERE status = 'submitted' AND claimed_by IS NULL").await, 1);
    assert!(app.audit_actions().await.iter().any(|a| a == "kyc.released"));
}
