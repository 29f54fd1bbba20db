//! The audit log: chained, append-only, verifiable.

use diesel::RunQueryDsl;
use kycdesk::audit::{self, Actor, Event, Origin};
use kycdesk::db::{Backend as DbBackend, DbConnection};
use serde_json::json;

use crate::common::{Backend, TestApp, table_rows};
use crate::on_both_backends;

async fn record_events(app: &TestApp, count: usize) {
    for i in 0..count {
        app.db()
            .write(move |conn| {
                let origin = Origin { ip: Some("127.0.0.1".into()), user_agent: Some("test".into()) };
                audit::record(
                    conn,
                    Event::new(Actor::Customer(i as i64), "test.event", &origin)
                        .subject("thing", i)
                        .details(json!({ "n": i, "text": "naïve \"quoted\"" })),
                )
                .map_err(anyhow::Error::from)
            })
            .await
            .unwrap();
    }
}

fn sql(conn: &mut DbConnection, statement: &str) -> anyhow::Result<usize> {
    Ok(diesel::sql_query(statement).execute(conn)?)
}

/// Runs `statement` on the audit log with its no-update trigger dropped, as
/// someone with database access could.
async fn tamper(app: &TestApp, statement: &'static str) {
    let backend = app.db().backend();
    app.db()
        .run(move |conn| {
            match backend {
                DbBackend::Sqlite => sql(conn, "DROP TRIGGER audit_log_no_update")?,
                DbBackend::Postgres => sql(conn, "DROP TRIGGER audit_log_no_update ON audit_log")?,
            };
            sql(conn, statement)
        })
        .await
        .unwrap();
}

on_both_backends!(
    the_chain_verifies_then_fails_at_the_altered_row,
    the_database_refuses_to_change_or_delete_audit_rows,
    fifty_concurrent_writers_leave_an_exact_count_and_an_intact_chain,
    an_auditor_filters_exports_and_verifies_the_log_in_the_console,
);

async fn the_chain_verifies_then_fails_at_the_altered_row(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    record_events(&app, 5).await;

    let output = app.run_cli(&["audit", "verify"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("5 rows"), "{stdout}");

    tamper(&app, "UPDATE audit_log SET details = '{\"n\":99}' WHERE seq = 3").await;

    let output = app.run_cli(&["audit", "verify"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("row 3"), "{stdout}");
}

async fn the_database_refuses_to_change_or_delete_audit_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    record_events(&app, 2).await;
    for statement in ["UPDATE audit_log SET action = 'forged' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 2"] {
        let result = app.db().run(move |conn| sql(conn, statement)).await;
        let error = result.expect_err(statement).to_string();
        assert!(error.contains("append-only"), "{statement}: {error}");
    }
    let count: i64 = app
        .db()
        .run(|conn| {
            use diesel::prelude::*;
            use kycdesk::db::schema::audit_log::dsl::*;
            audit_log.filter(action.eq("test.event")).count().get_result(conn).map_err(anyhow::Error::from)
        })
        .await
        .unwrap();
    assert_eq!(count, 2);
}

async fn fifty_concurrent_writers_leave_an_exact_count_and_an_intact_chain(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writers: Vec<_> = (0..50)
        .map(|i| {
            let db = app.db().clone();
            tokio::spawn(async move {
                db.write(move |conn| {
                    audit::record(
                        conn,
                        Event::new(Actor::System, "concurrent.write", &Origin::default()).subject("writer", i),
                    )
                    .map_err(anyhow::Error::from)
                })
                .await
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap().expect("no writer fails (no \"database is locked\")");
    }
    let outcome = app.db().run(|conn| audit::verify::verify(conn).map_err(anyhow::Error::from)).await.unwrap();
    assert_eq!(outcome, audit::verify::Outcome::Intact { rows: 50 });
}

async fn an_auditor_filters_exports_and_verifies_the_log_in_the_console(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    record_events(&app, 3).await;
    // A failed login whose user agent a spreadsheet would run as a formula.
    let visitor = app.visitor();
    let form =
        visitor.page("/login").await.form(Some("Log in")).fill("Email", "nobody@example.com").fill("Password", "x");
    let refused = visitor.client.post(&form.action).header("user-agent", "=HYPERLINK(\"x\")").form(&form.pairs());
    assert_eq!(refused.send().await.unwrap().status(), 422);
    let auditor = app.staff("auditor@kycdesk.test", &["auditor"]).await;

    let all = auditor.visitor.page("/console/audit").await;
    assert_eq!(all.status, 200);
    assert!(all.body.contains("Verify chain") && all.body.contains("Export CSV"));
    let rows = table_rows(&all.body, "audit");
    assert!(rows[0].contains("staff."), "newest first: {rows:?}");
    let tests = table_rows(&auditor.visitor.page("/console/audit?action=TEST.&actor=customer").await.body, "audit");
    assert_eq!(tests.len(), 3, "{tests:?}");
    assert!(tests.iter().all(|r| r.contains("test.event")));
    let one = auditor.visitor.page("/console/audit?subject=thing&subject_id=1").await;
    assert_eq!(table_rows(&one.body, "audit").len(), 1);
    let bad = auditor.visitor.page("/console/audit?from=yesterday&action=test.").await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Enter a date as YYYY-MM-DD.") && bad.body.contains("value=\"test.\""));
    let today = kycdesk::db::now().date().to_string();
    let dated = auditor.visitor.page(&format!("/console/audit?from={today}&to={today}&action=test.")).await;
    assert_eq!(table_rows(&dated.body, "audit").len(), 3);

    let export = auditor.visitor.client.get(app.url("/console/audit/export.csv")).send().await.unwrap();
    assert_eq!(export.status(), 200);
    assert!(export.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(export.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let csv = export.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len() as i64, app.count("audit_log").await, "every row, the export's own record too");
    assert_eq!(&records.last().unwrap()[4], "audit.exported");
    for pair in records.windows(2) {
        assert_eq!(&pair[1][10], &pair[0][11], "each row's previous hash is the row before's hash");
    }
    assert!(records.iter().any(|r| &r[8] == "'=HYPERLINK(\"x\")"), "formula-like cells are defused");
    let unparsed = auditor.visitor.page("/console/audit/export.csv?from=soon").await;
    assert_eq!(unparsed.location(), Some("/console/audit?from=soon"), "a bad filter is explained on the list");
    let filtered = auditor.visitor.client.get(app.url("/console/audit/export.csv?action=test.")).send().await.unwrap();
    assert_eq!(filtered.text().await.unwrap().lines().count(), 4, "a header and the three matching rows");

    let verified = auditor.visitor.submit(&all.form(Some("Verify chain"))).await;
    assert_eq!(verified.location(), Some("/console/audit"));
    assert!(auditor.visitor.page("/console/audit").await.body.contains("Audit log intact"));
    tamper(&app, "UPDATE audit_log SET action = 'test.forged' WHERE seq = 2").await;
    auditor.visitor.submit(&all.form(Some("Verify chain"))).await;
    let page = auditor.visitor.page("/console/audit").await;
    assert!(page.body.contains("Audit log broken at row 2"), "{}", page.body);
    let actions = app.audit_actions().await;
    assert!(
        actions.iter().any(|a| a == "audit.exported") && actions.iter().filter(|a| *a == "audit.verified").count() == 2
    );
}
