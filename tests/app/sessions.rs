//! Sessions and CSRF, exercised through the real session and CSRF layers.
//! (The customer and console journeys exercise them again end to end.)

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::response::Html;
use axum::routing::{get, post};
use diesel::prelude::*;
use kycdesk::db::schema::sessions;
use kycdesk::web::session::{self, Session};
use kycdesk::web::{SessionKind, csrf};
use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

struct Probe {
    app: TestApp,
    base: String,
    client: reqwest::Client,
}

/// Serves a few routes behind the app's session and CSRF layers.
async fn probe(backend: Backend, settings: &[(&str, &str)]) -> Probe {
    let app = TestApp::spawn_with(backend, settings).await;
    let state = app.app.state.clone();
    let customer = Router::new()
        .route(
            "/form",
            get(|session: Session| async move {
                Html(format!(
                    "<form method=post action=/sign-in><input type=hidden name=csrf_token value={}><button>Go</button></form>",
                    session.csrf_token()
                ))
            }),
        )
        .route("/sign-in", post(|session: Session| async move {
            session.sign_in(42);
            "signed in"
        }))
        .route("/sign-out", post(|session: Session| async move {
            session.sign_out();
            "signed out"
        }))
        .route("/whoami", get(|session: Session| async move { format!("{:?}", session.subject()) }))
        .layer(from_fn_with_state(state.clone(), csrf::layer))
        .layer(from_fn_with_state((state.clone(), SessionKind::Customer), session::layer));
    let console = Router::new()
        .route("/console/whoami", get(|session: Session| async move { format!("{:?}", session.subject()) }))
        .layer(from_fn_with_state((state.clone(), SessionKind::Staff), session::layer));
    let router = customer.merge(console).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Probe { app, base, client }
}

fn set_cookie(response: &reqwest::Response) -> Option<String> {
    response.headers().get(SET_COOKIE).map(|v| v.to_str().unwrap().to_string())
}

fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

impl Probe {
    /// Starts a session; returns its cookie pair and CSRF token.
    async fn start(&self) -> (String, String) {
        let response = self.client.get(format!("{}/form", self.base)).send().await.unwrap();
        let cookie = cookie_pair(&set_cookie(&response).expect("a form page starts a session"));
        let body = response.text().await.unwrap();
        let token = body.split("value=").nth(1).unwrap().split('>').next().unwrap().to_string();
        (cookie, token)
    }

    async fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)], origin: Option<&str>) -> reqwest::Response {
        let mut request = self.client.post(format!("{}{path}", self.base)).header(COOKIE, cookie).form(form);
        if let Some(origin) = origin {
            request = request.header(ORIGIN, origin);
        }
        request.send().await.unwrap()
    }

    async fn whoami(&self, path: &str, cookie: &str) -> (String, Option<String>) {
        let response = self.client.get(format!("{}{path}", self.base)).header(COOKIE, cookie).send().await.unwrap();
        let cleared = set_cookie(&response);
        (response.text().await.unwrap(), cleared)
    }

    async fn sign_in(&self) -> String {
        let (cookie, token) = self.start().await;
        let response = self.post("/sign-in", &cookie, &[("csrf_token", &token)], Some(&self.app.base_url)).await;
        assert_eq!(response.status(), 200);
        cookie_pair(&set_cookie(&response).expect("signing in sets a new cookie"))
    }

    async fn age(&self, column: &'static str, by: Duration) {
        let when = kycdesk::db::now() - by;
        self.app
            .db()
            .run(move |conn| {
                match column {
                    "last_seen_at" => {
                        diesel::update(sessions::table).set(sessions::last_seen_at.eq(when)).execute(conn)
                    }
                    _ => diesel::update(sessions::table).set(sessions::expires_at.eq(when)).execute(conn),
                }
                .map_err(anyhow::Error::from)
            })
            .await
            .unwrap();
    }
}

on_both_backends!(
    signing_in_rotates_the_session_id_and_the_old_id_is_dead,
    session_ids_are_stored_hashed_with_safe_cookie_attributes,
    an_idle_session_expires,
    a_session_past_its_absolute_lifetime_expires,
    signing_out_deletes_the_session_and_starts_an_anonymous_one,
    state_changing_requests_without_the_right_token_or_origin_are_refused,
    a_customer_session_is_not_a_staff_session,
);

async fn signing_in_rotates_the_session_id_and_the_old_id_is_dead(backend: Backend) {
    let probe = probe(backend, &[]).await;
    let (before, token) = probe.start().await;
    let response = probe.post("/sign-in", &before, &[("csrf_token", &token)], None).await;
    let after = cookie_pair(&set_cookie(&response).unwrap());
    assert_ne!(before, after);
    assert_eq!(probe.whoami("/whoami", &after).await.0, "Some(42)");
    assert_eq!(probe.whoami("/whoami", &before).await.0, "None");

    // The pre-sign-in CSRF token is worthless afterwards.
    let response = probe.post("/sign-out", &after, &[("csrf_token", &token)], None).await;
    assert_eq!(response.status(), 403);
}

async fn session_ids_are_stored_hashed_with_safe_cookie_attributes(backend: Backend) {
    let probe = probe(backend, &[]).await;
    let response = probe.client.get(format!("{}/form", probe.base)).send().await.unwrap();
    let header = set_cookie(&response).unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(header.contains(attribute), "{header}");
    }
    assert!(!header.contains("Secure"), "plain-http base URL: {header}");
    let token = cookie_pair(&header).split_once('=').unwrap().1.to_string();
    assert!(token.len() >= 43, "at least 256 bits, base64: {token}");
    let stored: Vec<String> = probe
        .app
        .db()
        .run(|conn| sessions::table.select(sessions::id_hash).load(conn).map_err(anyhow::Error::from))
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);

    let secure = self::probe(Backend::Sqlite, &[("KYCDESK_BASE_URL", "https://kyc.example.test")]).await;
    let response = secure.client.get(format!("{}/form", secure.base)).send().await.unwrap();
    let header = set_cookie(&response).unwrap();
    assert!(header.starts_with("__Host-kycdesk_session=") && header.contains("; Secure"), "{header}");
}

async fn an_idle_session_expires(backend: Backend) {
    let probe = probe(backend, &[]).await;
    let cookie = probe.sign_in().await;
    probe.age("last_seen_at", Duration::from_secs(10 * 60)).await;
    assert_eq!(probe.whoami("/whoami", &cookie).await.0, "Some(42)", "ten idle minutes are fine");
    probe.age("last_seen_at", Duration::from_secs(3 * 3600)).await;
    let (who, cleared) = probe.whoami("/whoami", &cookie).await;
    assert_eq!(who, "None");
    assert!(cleared.unwrap().contains("Max-Age=0"));
}

async fn a_session_past_its_absolute_lifetime_expires(backend: Backend) {
    let probe = probe(backend, &[]).await;
    let cookie = probe.sign_in().await;
    probe.age("expires_at", Duration::from_secs(1)).await;
    assert_eq!(probe.whoami("/whoami", &cookie).await.0, "None");
}

async fn signing_out_deletes_the_session_and_starts_an_anonymous_one(backend: Backend) {
    let probe = probe(backend, &[]).await;
    let (cookie, token) = probe.start().await;
    let response = probe.post("/sign-in", &cookie, &[("csrf_token", &token)], None).await;
    let cookie = cookie_pair(&set_cookie(&response).unwrap());
    let page = probe.client.get(format!("{}/form", probe.base)).header(COOKIE, &cookie).send().await.unwrap();
    let body = page.text().await.unwrap();
    let token = body.split("value=").nth(1).unwrap().split('>').next().unwrap().to_string();
    let response = probe.post("/sign-out", &cookie, &[("csrf_token", &token)], None).await;
    assert_eq!(response.status(), 200);
    let fresh = cookie_pair(&set_cookie(&response).unwrap());
    assert_ne!(fresh, cookie);
    assert_eq!(probe.whoami("/whoami", &cookie).await.0, "None");
    assert_eq!(probe.whoami("/whoami", &fresh).await.0, "None");
    let subjects: Vec<Option<i64>> = probe
        .app
        .db()
        .run(|conn| sessions::table.select(sessions::subject_id).load(conn).map_err(anyhow::Error::from))
        .await
        .unwrap();
    assert_eq!(subjects, vec![None], "only the fresh anonymous session is left");
}

async fn state_changing_requests_without_the_right_token_or_origin_are_refused(backend: Backend) {
    let probe = probe(backend, &[]).await;
    let (cookie, token) = probe.start().await;
    let ours = probe.app.base_url.clone();

    let missing = probe.post("/sign-in", &cookie, &[], Some(&ours)).await;
    assert_eq!(missing.status(), 403);
    let wrong = probe.post("/sign-in", &cookie, &[("csrf_token", "forged")], Some(&ours)).await;
    assert_eq!(wrong.status(), 403);
    let foreign = probe.post("/sign-in", &cookie, &[("csrf_token", &token)], Some("http://evil.example")).await;
    assert_eq!(foreign.status(), 403);
    let null = probe.post("/sign-in", &cookie, &[("csrf_token", &token)], Some("null")).await;
    assert_eq!(null.status(), 403);
    let no_session = probe.post("/sign-in", "", &[("csrf_token", &token)], Some(&ours)).await;
    assert_eq!(no_session.status(), 403);

    let by_header = probe
        .client
        .post(format!("{}/sign-in", probe.base))
        .header(COOKIE, &cookie)
        .header("x-csrf-token", &token)
        .header(ORIGIN, &ours)
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), 200, "the header works for scripts");
    assert_eq!(probe.whoami("/whoami", &cookie_pair(&set_cookie(&by_header).unwrap())).await.0, "Some(42)");

    let (cookie, token) = probe.start().await;
    let right = probe.post("/sign-in", &cookie, &[("csrf_token", &token)], Some(&ours)).await;
    assert_eq!(right.status(), 200);
}

async fn a_customer_session_is_not_a_staff_session(backend: Backend) {
    let probe = probe(backend, &[]).await;
    let cookie = probe.sign_in().await;
    let token = cookie.split_once('=').unwrap().1;
    let (who, _) = probe.whoami("/console/whoami", &format!("kycdesk_console={token}")).await;
    assert_eq!(who, "None");
}
