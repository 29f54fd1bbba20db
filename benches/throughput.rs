//! Throughput figures for the paths that bound capacity: password hashing,
//! audited writes on SQLite, chain verification, and whole HTTP requests.
//! Run with `cargo bench`; it prints figures and asserts nothing.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use kycdesk::App;
use kycdesk::accounts::hashing::PasswordHasher;
use kycdesk::audit::{self, Actor, Event, Origin};
use kycdesk::config::{Config, Sources};
use kycdesk::domain::{Gstin, IndianState, Pan, Password};

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
