//! Email delivery through the outbox to a real SMTP listener.

use std::time::Duration;

use diesel::prelude::*;
use kycdesk::db::schema::outbox;
use kycdesk::mail::{Email, Recipient, outbox as mail_outbox};

use crate::common::smtp::Mode;
use crate::common::{Backend, TestApp, eventually};
use crate::on_both_backends;

fn email(to: &str, name: Option<&str>, subject: &str) -> Email {
    Email {
        template: "test",
        to: Recipient { address: to.parse().unwrap(), name: name.map(str::to_string) },
        subject: subject.to_string(),
        text: "Hello in text. Visit http://example.test/path\n".into(),
        html: "<p>Hello in <b>HTML</b></p>".into(),
        message_id: format!("<{}@kycdesk.test>", rand::random::<u64>()),
        sensitive: false,
    }
}

async fn enqueue(app: &TestApp, email: Email) -> i64 {
    app.db().write(move |conn| mail_outbox::enqueue(conn, &email).map_err(anyhow::Error::from)).await.unwrap()
}

#[derive(Debug, Queryable)]
struct Row {
    state: String,
    attempts: i32,
    last_error: Option<String>,
    text_body: Option<String>,
}

async fn row(app: &TestApp, id: i64) -> Row {
    app.db()
        .run(move |conn| {
            outbox::table
                .find(id)
                .select((outbox::state, outbox::attempts, outbox::last_error, outbox::text_body))
                .first::<Row>(conn)
                .map_err(anyhow::Error::from)
        })
        .await
        .unwrap()
}

async fn wait_for_state(app: &TestApp, id: i64, state: &str) -> Row {
    eventually(Duration::from_secs(15), &format!("outbox row {id} to be {state}"), || async {
        let row = row(app, id).await;
        (row.state == state).then_some(row)
    })
    .await
}

on_both_backends!(
    a_queued_email_is_delivered_as_multipart_with_its_message_id,
    a_temporary_failure_is_retried_until_the_server_is_back,
    a_permanent_failure_is_recorded_with_the_server_answer,
    a_message_whose_lease_ran_out_is_delivered_again,
    header_injection_through_a_name_reaches_one_recipient_and_adds_no_header,
    secret_bearing_bodies_are_erased_after_delivery,
);

async fn a_queued_email_is_delivered_as_multipart_with_its_message_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let message = email("asha@example.test", Some("Asha Rao"), "Welcome");
    let message_id = message.message_id.clone();
    let id = enqueue(&app, message).await;

    let (envelope, received) = app.smtp.wait_for("asha@example.test").await;
    assert_eq!(envelope.mail_from, "no-reply@kycdesk.test");
    assert_eq!(received.subject, "Welcome");
    assert_eq!(received.message_id.as_deref(), Some(message_id.trim_matches(['<', '>'])));
    assert!(received.text.contains("Hello in text"), "{}", received.raw);
    assert!(received.html.contains("<b>HTML</b>"), "{}", received.raw);
    assert!(received.raw.contains("multipart/alternative"), "{}", received.raw);

    let row = wait_for_state(&app, id, "sent").await;
    assert_eq!(row.attempts, 1);
}

async fn a_temporary_failure_is_retried_until_the_server_is_back(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    app.smtp.stop();
    let id = enqueue(&app, email("later@example.test", None, "Eventually")).await;

    let failed = eventually(Duration::from_secs(15), "a failed attempt", || async {
        let row = row(&app, id).await;
        (row.attempts >= 1 && row.state == "pending").then_some(row)
    })
    .await;
    assert!(failed.last_error.is_some(), "the refused connection is recorded");

    // A 4xx answer is temporary too.
    app.smtp.resume().await;
    app.smtp.set_mode(Mode::TemporaryFailure);
    let answered = eventually(Duration::from_secs(15), "a 451 answer", || async {
        let row = row(&app, id).await;
        row.last_error.as_deref().is_some_and(|e| e.contains("451")).then_some(row)
    })
    .await;
    assert_eq!(answered.state, "pending");

    app.smtp.set_mode(Mode::Accept);
    app.smtp.wait_for("later@example.test").await;
    let row = wait_for_state(&app, id, "sent").await;
    assert!(row.attempts >= 3, "attempts: {}", row.attempts);
    assert_eq!(app.smtp.received().len(), 1, "delivered exactly once");
}

async fn a_permanent_failure_is_recorded_with_the_server_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.smtp.set_mode(Mode::PermanentFailure);
    let id = enqueue(&app, email("nobody@example.test", None, "Bounce")).await;
    let row = wait_for_state(&app, id, "failed").await;
    assert_eq!(row.attempts, 1, "a 5xx is not retried");
    let error = row.last_error.unwrap();
    assert!(error.contains("550") || error.contains("No such user"), "{error}");

    let audited: i64 = app
        .db()
        .run(move |conn| {
            use kycdesk::db::schema::audit_log;
            audit_log::table
                .filter(audit_log::action.eq("mail.failed"))
                .filter(audit_log::subject_id.eq(id.to_string()))
                .count()
                .get_result(conn)
                .map_err(anyhow::Error::from)
        })
        .await
        .unwrap();
    assert_eq!(audited, 1);
}

async fn a_message_whose_lease_ran_out_is_delivered_again(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    // Hold delivery off while the row is made to look like a crashed attempt.
    app.smtp.stop();
    let id = enqueue(&app, email("crash@example.test", None, "After a crash")).await;
    let past = kycdesk::db::now() - Duration::from_secs(60);
    let far_future = kycdesk::db::now() + Duration::from_secs(3600);
    app.db()
        .run(move |conn| {
            diesel::update(outbox::table.find(id))
                .set((outbox::state.eq("sending"), outbox::attempts.eq(1), outbox::lease_until.eq(far_future)))
                .execute(conn)
                .map_err(anyhow::Error::from)
        })
        .await
        .unwrap();
    app.smtp.resume().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(row(&app, id).await.state, "sending", "a live lease is respected");
    assert!(app.smtp.received().is_empty());

    app.db()
        .run(move |conn| {
            diesel::update(outbox::table.find(id))
                .set(outbox::lease_until.eq(past))
                .execute(conn)
                .map_err(anyhow::Error::from)
        })
        .await
        .unwrap();
    app.smtp.wait_for("crash@example.test").await;
    let row = wait_for_state(&app, id, "sent").await;
    assert_eq!(row.attempts, 2);
}

async fn header_injection_through_a_name_reaches_one_recipient_and_adds_no_header(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let name = "Mallory\r\nBcc: victim@evil.test\r\nX-Injected: yes";
    enqueue(&app, email("mallory@example.test", Some(name), "Hi\r\nBcc: other@evil.test")).await;

    let (envelope, received) = app.smtp.wait_for("mallory@example.test").await;
    assert_eq!(envelope.rcpt_to, vec!["mallory@example.test".to_string()]);
    assert!(!received.header_names.iter().any(|h| h == "bcc" || h == "x-injected"), "{}", received.raw);
    assert_eq!(received.header_names.iter().filter(|h| *h == "to").count(), 1);
}

async fn secret_bearing_bodies_are_erased_after_delivery(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut message = email("secret@example.test", None, "Your link");
    message.sensitive = true;
    let id = enqueue(&app, message).await;
    app.smtp.wait_for("secret@example.test").await;
    let row = wait_for_state(&app, id, "sent").await;
    assert!(row.text_body.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_emails_are_written_as_eml_files_in_the_data_dir() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("KYCDESK_SMTP_URL", "")]).await;
    let id = enqueue(&app, email("files@example.test", None, "On disk")).await;
    wait_for_state(&app, id, "sent").await;
    let dir = app.data_dir.path().join("outbox");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().unwrap(), "eml");
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert!(raw.contains("Subject: On disk") && raw.contains("files@example.test"), "{raw}");
}
