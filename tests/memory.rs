//! A 10 MB document streams through to storage without the server holding
//! it in memory. A test binary of its own, so no other test's allocations
//! move the numbers.

#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use common::{Backend, TestApp};

/// Resident memory of this process, in KiB.
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_megabyte_upload_keeps_memory_flat() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let visitor = app.visitor();
    visitor.onboard("big@example.com").await;
    visitor.choose_entity_type("individual").await;
    // Warm up the upload path once with a small file.
    visitor.upload("passport", common::journeys::files::pdf(), "small.pdf", "application/pdf").await;

    let page = visitor.page("/settings/kyc").await;
    let marker = "action=\"/settings/kyc/upload/pan_card?";
    let start = page.body.find(marker).unwrap() + 8;
    let action = page.body[start..].split('"').next().unwrap().replace("&amp;", "&");

    const SIZE: usize = 10 * 1024 * 1024;
    const CHUNK: usize = 64 * 1024;
    let trailer = b"\n%%EOF\n";
    let chunks = (0..SIZE / CHUNK).map(move |i| {
        let mut chunk = vec![b' '; CHUNK];
        if i == 0 {
            chunk[..9].copy_from_slice(b"%PDF-1.4\n");
        }
        if i == SIZE / CHUNK - 1 {
            chunk[CHUNK - trailer.len()..].copy_from_slice(trailer);
        }
        Ok::<_, std::io::Error>(chunk)
    });
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let part = reqwest::multipart::Part::stream_with_length(body, SIZE as u64)
        .file_name("big.pdf")
        .mime_str("application/pdf")
        .unwrap();

    let baseline = resident_kib();
    let peak = Arc::new(AtomicU64::new(baseline));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(resident_kib(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let response = visitor
        .client
        .post(app.url(&action))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    done.store(true, Ordering::Relaxed);
    sampler.await.unwrap();
    assert_eq!(response.status(), 303, "the 10 MB file is accepted");

    let growth_kib = peak.load(Ordering::Relaxed).saturating_sub(baseline);
    println!("resident memory grew by {growth_kib} KiB while a 10240 KiB upload streamed through");
    assert!(growth_kib < 6 * 1024, "memory grew by {growth_kib} KiB: the upload was buffered");
    assert_eq!(app.count("kyc_documents WHERE size_bytes = 10485760").await, 1);
}
