//! Throughput figures for the paths that bound capacity: password hashing,
//! audited writes on SQLite, chain verification, the KYC review queue over a
//! backlog, and whole HTTP requests.
//! Run with `cargo bench`; it prints figures and asserts nothing.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use kycdesk::App;
use kycdesk::accounts::hashing::PasswordHasher;
use kycdesk::audit::{self, Actor, Event, Origin};
use kycdesk::config::{Config, Sources};
use kycdesk::domain::{Gstin, IndianState, Pan, Password};
use kycdesk::kyc::review::{self, QueueFilter, QueueView};

fn report(what: &str, count: usize, elapsed: Duration) {
    let per_second = count as f64 / elapsed.as_secs_f64();
    let each = elapsed.as_secs_f64() * 1000.0 / count as f64;
    println!("{what:<48} {per_second:>10.0} /s   {each:>8.3} ms each   ({count} in {elapsed:.2?})");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    println!("kycdesk throughput on {} cores\n", std::thread::available_parallelism()?.get());

    let started = Instant::now();
    let mut checked = 0;
    while started.elapsed() < Duration::from_millis(500) {
        let pan = Pan::parse("AAPFU0939F").unwrap();
        Gstin::parse("27AAPFU0939F1ZV", Some(&pan), IndianState::from_gst_code("27")).unwrap();
        checked += 1;
    }
    report("PAN + GSTIN validation", checked, started.elapsed());

    let hasher = PasswordHasher::new();
    let password = Password::typed("Kestrel-Orbit-42");
    let started = Instant::now();
    for _ in 0..8 {
        hasher.hash(&password).await?;
    }
    report("argon2id hash, one at a time", 8, started.elapsed());
    let started = Instant::now();
    let parallel: Vec<_> = (0..16)
        .map(|_| {
            let (hasher, password) = (hasher.clone(), password.clone());
            tokio::spawn(async move { hasher.hash(&password).await })
        })
        .collect();
    for task in parallel {
        task.await??;
    }
    report("argon2id hash, 16 at once (bounded pool)", 16, started.elapsed());

    let dir = tempfile::tempdir()?;
    let settings = BTreeMap::from([
        ("KYCDESK_DATA_DIR".to_string(), dir.path().display().to_string()),
        ("KYCDESK_BIND".to_string(), "127.0.0.1:0".to_string()),
        ("KYCDESK_SECRET_KEY".to_string(), "bench-secret-key-0123456789abcdef-0123456789".to_string()),
        ("KYCDESK_OUTBOX_POLL_MS".to_string(), "60000".to_string()),
    ]);
    let app = App::build(Config::load(&Sources::new(settings, None)?)?).await?;
    let db = app.state.db.clone();

    let writes = 2000;
    let started = Instant::now();
    let tasks: Vec<_> = (0..writes)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                db.write(move |conn| {
                    audit::record(
                        conn,
                        Event::new(Actor::System, "bench.write", &Origin::default()).subject("bench", i),
                    )
                    .map_err(anyhow::Error::from)
                })
                .await
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    report("audited write transactions (SQLite, 2000 concurrent)", writes, started.elapsed());

    let started = Instant::now();
    let outcome = db.run(|conn| audit::verify::verify(conn).map_err(anyhow::Error::from)).await?;
    assert_eq!(outcome, audit::verify::Outcome::Intact { rows: writes as u64 });
    report("audit chain verification (rows)", writes, started.elapsed());

    // The review queue over a backlog: 5000 submitted KYCs.
    let backlog = 5000;
    db.write(move |conn| -> anyhow::Result<()> {
        use diesel::RunQueryDsl;
        for i in 0..backlog {
            diesel::sql_query(format!(
                "INSERT INTO customers (email, password_hash, password_changed_at, terms_version, terms_accepted_at, \
                 created_at, first_name, last_name) VALUES ('c{i}@example.com', 'x', '2026-01-01 00:00:00', 'v', \
                 '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'First{i}', 'Last{i}')"
            ))
            .execute(conn)?;
            diesel::sql_query(format!(
                "INSERT INTO kyc_submissions (customer_id, entity_type, status, created_at, submitted_at) \
                 VALUES ({}, 'individual', 'submitted', '2026-01-01 00:00:00', '2026-01-02 00:00:00')",
                i + 1
            ))
            .execute(conn)?;
        }
        Ok(())
    })
    .await?;
    for (what, search) in
        [("review queue, oldest 200 of 5000 waiting", None), ("review queue, search by name", Some("last4999"))]
    {
        let filter = QueueFilter { view: QueueView::Waiting, entity_type: None, search: search.map(str::to_string) };
        let runs = 50;
        let started = Instant::now();
        for _ in 0..runs {
            let filter = filter.clone();
            let rows = db.run(move |conn| review::queue(conn, &filter, 200).map_err(anyhow::Error::from)).await?;
            assert!(!rows.is_empty());
        }
        report(what, runs, started.elapsed());
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let service = app.router().into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    let client = reqwest::Client::new();
    for (path, what) in [("/healthz", "GET /healthz"), ("/login", "GET /login (template, new session, CSRF token)")] {
        let requests = 2000;
        let concurrency = 16;
        let started = Instant::now();
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                let (client, url) = (client.clone(), format!("http://{address}{path}"));
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    for _ in 0..requests / concurrency {
                        let sent = Instant::now();
                        let response = client.get(&url).send().await.expect("request");
                        assert!(response.status().is_success());
                        response.bytes().await.expect("body");
                        latencies.push(sent.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        let mut latencies = Vec::new();
        for worker in workers {
            latencies.extend(worker.await?);
        }
        let elapsed = started.elapsed();
        latencies.sort();
        report(what, latencies.len(), elapsed);
        println!("{:<48} p50 {:?}   p99 {:?}", "", percentile(&latencies, 0.5), percentile(&latencies, 0.99));
    }
    Ok(())
}
