//! Operator endpoints, security headers and error pages.

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(health_readiness_and_metrics_answer);

async fn health_readiness_and_metrics_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready\n");

    app.get("/").await;
    let metrics = app.get_page("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.body.contains(r#"kycdesk_http_requests_total{method="GET",route="/",status="200"} 1"#),
        "{}",
        metrics.body
    );
    assert!(metrics.body.contains("kycdesk_http_request_duration_seconds_bucket"), "{}", metrics.body);
    assert!(metrics.body.contains(r#"kycdesk_outbox_messages{state="pending"} 0"#), "{}", metrics.body);
    assert!(metrics.body.contains(r#"kycdesk_kyc_submissions{status="submitted"} 0"#), "{}", metrics.body);
    assert!(metrics.body.contains("kycdesk_support_requests_open 0"), "{}", metrics.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for path in ["/", "/healthz", "/no-such-page", "/static/app.css"] {
        let page = app.get_page(path).await;
        let csp = page.header("content-security-policy").unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(page.header("referrer-policy"), Some("same-origin"), "{path}");
        assert!(page.header("x-request-id").is_some(), "{path}");
    }
    assert_eq!(app.get_page("/").await.header("cache-control"), Some("no-store"));
    assert!(app.get_page("/static/app.css").await.header("cache-control").unwrap().contains("max-age"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_page_is_a_styled_page_and_starts_no_session() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let page = app.get_page("/").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"<link rel="stylesheet" href="/static/app.css">"#));
    assert!(page.header("set-cookie").is_none(), "a page without a form writes no session");
    let css = app.get_page("/static/app.css").await;
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(css.body.contains(".card"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_page_is_a_404_page_with_the_request_id_and_nothing_else() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let page = app.get_page("/no/such/page?token=secret").await;
    assert_eq!(page.status, 404);
    let id = page.header("x-request-id").unwrap().to_string();
    assert!(page.body.contains("Page not found"));
    assert!(page.body.contains(&id), "the page shows the request id");
    assert!(!page.body.contains("secret") && !page.body.contains("/no/such/page"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_refused_with_413() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn(Backend::Sqlite).await;
    // Only the headers are sent: the refusal must come before any of the
    // body is read (a client streaming the body would race the server's
    // close and see a broken pipe instead of the answer).
    let mut stream = tokio::net::TcpStream::connect(app.address).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        app.address,
        2 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0; 64];
    let read =
        tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer)).await.unwrap().unwrap();
    let status_line = String::from_utf8_lossy(&answer[..read]).lines().next().unwrap_or_default().to_string();
    assert_eq!(status_line, "HTTP/1.1 413 Payload Too Large");
}
