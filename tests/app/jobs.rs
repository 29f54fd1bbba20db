//! Background jobs: run by hand from the command line, and on a schedule by
//! several instances at once, each slot by one of them.

use std::time::Duration;

use crate::common::{Backend, TestApp, eventually, table_rows};
use crate::on_both_backends;

on_both_backends!(
    a_job_run_by_hand_does_its_work_and_is_recorded,
    scheduled_runs_happen_once_per_slot_across_instances,
    an_admin_sees_the_runs_and_runs_a_job_from_the_console,
);

/// An idle customer session that has outlived its absolute timeout.
const EXPIRED_SESSION: &str = "INSERT INTO sessions (id_hash, kind, csrf_token, created_at, last_seen_at, expires_at) \
     VALUES ('expired', 'customer', 'token', '2020-01-01 00:00:00', '2020-01-01 00:00:00', '2020-01-01 00:00:00')";

async fn a_job_run_by_hand_does_its_work_and_is_recorded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sql(EXPIRED_SESSION).await;
    app.sql(
        "INSERT INTO job_runs (job, slot, triggered_by, state, started_at, finished_at) \
         VALUES ('cleanup', '2020-01-01T00:00:00Z', 'schedule', 'succeeded', '2020-01-01 00:00:00', '2020-01-01 00:00:01')",
    )
    .await;

    // Files a crash left in the document store: one with no row, one an
    // unfinished upload's staging file; and a fresh file whose upload may
    // still be finishing.
    let documents = app.data_dir.path().join("documents");
    let two_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7200);
    for name in ["0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210#7"] {
        let file = std::fs::File::create(documents.join(name)).unwrap();
        file.set_modified(two_hours_ago).unwrap();
    }
    std::fs::write(documents.join("00000000000000000000000000000000"), b"%PDF-1.7").unwrap();

    let output = app.run_cli(&["jobs", "run", "cleanup"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("cleanup finished") && stdout.contains(r#""expired_sessions":1"#), "{stdout}");
    assert!(stdout.contains(r#""old_job_runs":1"#), "{stdout}");
    assert!(stdout.contains(r#""orphan_files":1"#) && stdout.contains(r#""abandoned_uploads":1"#), "{stdout}");
    let mut left: Vec<String> =
        std::fs::read_dir(&documents).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["00000000000000000000000000000000"], "only the fresh file stays");
    assert_eq!(app.count("sessions WHERE id_hash = 'expired'").await, 0);
    assert_eq!(
        app.count("job_runs WHERE job = 'cleanup' AND triggered_by = 'command_line' AND state = 'succeeded'").await,
        1
    );
    assert_eq!(app.count("job_runs").await, 1, "the run from 2020 is forgotten");
    assert!(app.audit_actions().await.iter().any(|a| a == "job.succeeded"));

    let unknown = app.run_cli(&["jobs", "run", "backup"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown job `backup` (known: cleanup, reminders)"));
    let list = app.run_cli(&["jobs", "list"]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("cleanup\t0 */10 * * * * (UTC)"));
}

async fn scheduled_runs_happen_once_per_slot_across_instances(backend: Backend) {
    let jobs = tempfile::tempdir().unwrap();
    std::fs::write(jobs.path().join("schedules.toml"), "[[job]]\nname = \"cleanup\"\nschedule = \"* * * * * *\"\n")
        .unwrap();
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/jobs/reminders.toml"), jobs.path().join("reminders.toml"))
        .unwrap();
    let every_second = [("KYCDESK_JOBS_DIR", jobs.path().to_str().unwrap())];
    let app = TestApp::spawn_with(backend, &every_second).await;
    let started = std::time::Instant::now();
    let second = app.another_instance(&every_second).await;
    app.sql(EXPIRED_SESSION).await;

    eventually(Duration::from_secs(15), "six scheduled runs", || async {
        (app.count("job_runs WHERE triggered_by = 'schedule' AND state = 'succeeded'").await >= 6).then_some(())
    })
    .await;
    drop(second);
    let seconds = started.elapsed().as_secs() as i64;
    assert_eq!(app.count("sessions WHERE id_hash = 'expired'").await, 0, "the scheduled cleanup ran");
    assert_eq!(app.count("job_runs WHERE state <> 'succeeded' AND finished_at IS NOT NULL").await, 0);
    // Both instances fire every second; the slot claim lets one of them run
    // each second, so there are hardly more runs than seconds passed (one
    // more for a second that began before the clock started).
    let runs = app.count("job_runs WHERE triggered_by = 'schedule'").await;
    assert!(runs <= seconds + 2, "{runs} runs in {seconds} s");
}

async fn an_admin_sees_the_runs_and_runs_a_job_from_the_console(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert!(app.run_cli(&["jobs", "run", "cleanup"]).status.success());
    let admin = app.staff("root@kycdesk.test", &["admin"]).await;

    let page = admin.visitor.page("/console/jobs").await;
    assert_eq!(page.status, 200);
    let jobs = table_rows(&page.body, "jobs");
    assert!(jobs.len() == 2 && jobs[0].contains("cleanup") && jobs[0].contains("0 */10 * * * *"), "{jobs:?}");
    assert!(jobs[1].contains("reminders") && jobs[1].contains("0 15 * * * *"), "{jobs:?}");
    let runs = table_rows(&page.body, "runs");
    assert!(runs.len() == 1 && runs[0].contains("Command line") && runs[0].contains("Succeeded"), "{runs:?}");

    let ran = admin.visitor.submit(&page.form(Some("Run now"))).await;
    assert_eq!(ran.location(), Some("/console/jobs"));
    eventually(Duration::from_secs(10), "the console's run", || async {
        (app.count("job_runs WHERE triggered_by = 'console' AND state = 'succeeded'").await == 1).then_some(())
    })
    .await;
    let page = admin.visitor.page("/console/jobs").await;
    let runs = table_rows(&page.body, "runs");
    assert!(runs[0].contains("Console (Test Staff)") && runs[0].contains("expired_sessions"), "{runs:?}");
    assert!(app.audit_actions().await.iter().any(|a| a == "job.run_requested"));
    let csrf = admin.csrf().await;
    let unknown = admin.visitor.client.post(app.url("/console/jobs/backup/run")).form(&[("csrf_token", csrf)]).send();
    assert_eq!(unknown.await.unwrap().status(), 404);
}

#[test]
fn a_malformed_schedule_stops_start_up_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("schedules.toml"),
        "[[job]]\nname = \"cleanup\"\nschedule = \"every ten minutes\"\n",
    )
    .unwrap();
    let output = crate::common::start_with("KYCDESK_JOBS_DIR", dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("schedules.toml:3") && stderr.contains("every ten minutes"), "{stderr}");
}
