//! The audit log: chained, append-only, verifiable.

use diesel::RunQueryDsl;
use kycdesk::audit::{self, Actor, Event, Origin};
use kycdesk::db::{Backend as DbBackend, DbConnection};
use serde_json::json;

use crate::common::{Backend, TestApp};
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

on_both_backends!(
    the_chain_verifies_then_fails_at_the_altered_row,
    the_database_refuses_to_change_or_delete_audit_rows,
    fifty_concurrent_writers_leave_an_exact_count_and_an_intact_chain,
);

async fn the_chain_verifies_then_fails_at_the_altered_row(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    record_events(&app, 5).await;

    let output = app.run_cli(&["audit", "verify"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("5 rows"), "{stdout}");

    let backend = app.db().backend();
    app.db()
        .run(move |conn| {
            match backend {
                DbBackend::Sqlite => sql(conn, "DROP TRIGGER audit_log_no_update")?,
                DbBackend::Postgres => sql(conn, "DROP TRIGGER audit_log_no_update ON audit_log")?,
            };
            sql(conn, "UPDATE audit_log SET details = '{\"n\":99}' WHERE seq = 3")
        })
        .await
        .unwrap();

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
