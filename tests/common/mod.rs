//! The test harness: the real app on 127.0.0.1:0 with its own database
//! (a SQLite file in a temp dir, or a fresh PostgreSQL database), a real SMTP
//! listener it delivers to, and a cookie-keeping client with redirects off.

#![allow(dead_code)]

pub mod browser;
pub mod email;
pub mod form;
pub mod journeys;
pub mod postgres;
pub mod smtp;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use kycdesk::App;
use kycdesk::config::{Config, Sources};
use kycdesk::db::Db;
use tempfile::TempDir;

pub use form::Form;
pub use smtp::SmtpServer;

/// Runs each named `async fn NAME(backend: Backend)` once per backend, as
/// `NAME::sqlite` and `NAME::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(backend) = $crate::common::Backend::postgres() {
                    super::$name(backend).await
                }
            }
        }
    )*};
}

#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    /// PostgreSQL when `KYCDESK_TEST_POSTGRES_URL` names a server; under
    /// `CI=true` a missing URL fails the test instead of skipping it.
    pub fn postgres() -> Option<Backend> {
        match std::env::var("KYCDESK_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
            _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("CI=true but KYCDESK_TEST_POSTGRES_URL is not set: PostgreSQL tests must not be skipped")
            }
            _ => {
                eprintln!("skipped: set KYCDESK_TEST_POSTGRES_URL to run the PostgreSQL variant");
                None
            }
        }
    }
}

pub struct TestApp {
    pub address: SocketAddr,
    pub base_url: String,
    pub client: reqwest::Client,
    pub smtp: SmtpServer,
    pub data_dir: TempDir,
    pub database_url: String,
    pub app: App,
    server: tokio::task::JoinHandle<()>,
    postgres: Option<postgres::TestDatabase>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, &[]).await
    }

    /// Spawns the app with extra `KYCDESK_*` settings (they win over the
    /// harness's own).
    pub async fn spawn_with(backend: Backend, settings: &[(&str, &str)]) -> TestApp {
        let smtp = SmtpServer::start().await;
        let data_dir = tempfile::tempdir().expect("temp dir");
        let postgres = match &backend {
            Backend::Sqlite => None,
            Backend::Postgres(admin_url) => Some(postgres::TestDatabase::create(admin_url).await),
        };
        let database_url = match &postgres {
            Some(db) => db.url.clone(),
            None => format!("sqlite://{}", data_dir.path().join("kycdesk.db").display()),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let base_url = format!("http://{address}");

        let mut env = test_settings(&database_url, data_dir.path());
        env.insert("KYCDESK_BIND".into(), address.to_string());
        env.insert("KYCDESK_BASE_URL".into(), base_url.clone());
        env.insert("KYCDESK_SMTP_URL".into(), format!("smtp://127.0.0.1:{}", smtp.port()));
        for (key, value) in settings {
            if value.is_empty() {
                env.remove(*key);
            } else {
                env.insert(key.to_string(), value.to_string());
            }
        }
        let config = Config::load(&Sources::new(env, None).expect("settings")).expect("config");
        let app = App::build(config).await.expect("app builds");
        let service = app.router().into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move {
            axum::serve(listener, service).await.expect("server runs");
        });

        TestApp { address, base_url, client: client(), smtp, data_dir, database_url, app, server, postgres }
    }

    pub fn db(&self) -> &Db {
        &self.app.state.db
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_page(&self, path: &str) -> Page {
        Page::from(self.get(path).await).await
    }

    /// Solves a fresh captcha challenge the way the page's script does.
    pub async fn solve_captcha(&self) -> String {
        use base64::Engine;
        let body = self.get("/captcha/challenge").await.text().await.expect("challenge");
        let challenge: serde_json::Value = serde_json::from_str(&body).expect("challenge JSON");
        let text = |key: &str| challenge[key].as_str().expect("challenge field").to_string();
        let number =
            altcha_lib_rs::solve_challenge(&text("challenge"), &text("salt"), None, challenge["maxnumber"].as_u64(), 0)
                .expect("solvable");
        let payload = serde_json::json!({
            "algorithm": text("algorithm"),
            "challenge": text("challenge"),
            "number": number,
            "salt": text("salt"),
            "signature": text("signature"),
        });
        base64::engine::general_purpose::STANDARD.encode(payload.to_string())
    }

    /// The emails the SMTP listener got for `to`, oldest first.
    pub fn emails_to(&self, to: &str) -> Vec<email::ReceivedEmail> {
        self.smtp
            .received()
            .into_iter()
            .filter(|e| e.rcpt_to.iter().any(|r| r == to))
            .map(|e| email::ReceivedEmail::parse(&e.data))
            .collect()
    }

    /// Waits for the newest email to `to` that `matches`.
    pub async fn email_to(&self, to: &str, matches: impl Fn(&email::ReceivedEmail) -> bool) -> email::ReceivedEmail {
        eventually(Duration::from_secs(15), &format!("an email to {to}"), || async {
            self.emails_to(to).into_iter().rev().find(|e| matches(e))
        })
        .await
    }

    /// Every audited action, oldest first.
    pub async fn audit_actions(&self) -> Vec<String> {
        use diesel::prelude::*;
        use kycdesk::db::schema::audit_log;
        self.db()
            .run(|conn| {
                audit_log::table
                    .order(audit_log::seq.asc())
                    .select(audit_log::action)
                    .load(conn)
                    .map_err(anyhow::Error::from)
            })
            .await
            .expect("audit log")
    }

    /// Runs a statement against the app's database (to age a token, say).
    pub async fn sql(&self, statement: &str) -> usize {
        use diesel::RunQueryDsl;
        let statement = statement.to_string();
        self.db()
            .run(move |conn| diesel::sql_query(statement).execute(conn).map_err(anyhow::Error::from))
            .await
            .expect("SQL")
    }

    /// `SELECT COUNT(*) FROM <from>`, e.g. `count("customers WHERE email = 'x'")`.
    pub async fn count(&self, from: &str) -> i64 {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let statement = format!("SELECT COUNT(*) AS n FROM {from}");
        self.db()
            .run(move |conn| diesel::sql_query(statement).get_result::<Count>(conn).map_err(anyhow::Error::from))
            .await
            .expect("count")
            .n
    }

    /// The text of the newest SMS the app wrote.
    pub fn latest_sms(&self) -> Option<String> {
        let dir = self.data_dir.path().join("outbox").join("sms");
        let mut files: Vec<_> = std::fs::read_dir(dir).ok()?.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        files.sort();
        files.last().map(|f| std::fs::read_to_string(f).expect("readable SMS"))
    }

    /// A second instance of the app on this one's database and data
    /// directory, as a scaled-out deployment runs it.
    pub async fn another_instance(&self, settings: &[(&str, &str)]) -> App {
        let mut env = test_settings(&self.database_url, self.data_dir.path());
        env.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        App::build(Config::load(&Sources::new(env, None).expect("settings")).expect("config"))
            .await
            .expect("app builds")
    }

    /// The settings a `kycdesk` subprocess shares with this app: its
    /// database, data directory and the base URL links are built from.
    pub fn cli_env(&self) -> Vec<(String, String)> {
        let mut env = test_settings(&self.database_url, self.data_dir.path());
        env.insert("KYCDESK_BASE_URL".into(), self.base_url.clone());
        env.into_iter().collect()
    }

    /// Runs the real binary against this app's database.
    pub fn run_cli(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_kycdesk"))
            .args(args)
            .env_clear()
            .envs(self.cli_env())
            .output()
            .expect("kycdesk runs")
    }
}

fn test_settings(database_url: &str, data_dir: &Path) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("KYCDESK_DATABASE_URL".into(), database_url.to_string()),
        ("KYCDESK_DATA_DIR".into(), data_dir.display().to_string()),
        ("KYCDESK_SECRET_KEY".into(), "test-secret-key-0123456789abcdef-0123456789".into()),
        ("KYCDESK_MAIL_FROM".into(), "kycdesk <no-reply@kycdesk.test>".into()),
        ("KYCDESK_OUTBOX_POLL_MS".into(), "50".into()),
        ("KYCDESK_OUTBOX_RETRY_BASE_MS".into(), "100".into()),
        ("KYCDESK_DATABASE_POOL_SIZE".into(), "8".into()),
        ("KYCDESK_CAPTCHA_MAX_NUMBER".into(), "2000".into()),
    ])
}

/// Starts the real binary with `setting` (a directory of operator files)
/// pointing at `dir`, for start-up errors: it must stop on its own.
pub fn start_with(setting: &str, dir: &std::path::Path) -> std::process::Output {
    let data = tempfile::tempdir().unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_kycdesk"))
        .env_clear()
        .env("KYCDESK_DATA_DIR", data.path())
        .env(setting, dir)
        .env("KYCDESK_BIND", "127.0.0.1:0")
        .output()
        .expect("kycdesk runs")
}

/// A client that keeps cookies and does not follow redirects, so tests see
/// every redirect the app makes.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// A fetched page: status, headers and body.
pub struct Page {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub url: String,
    pub body: String,
}

impl Page {
    pub async fn from(response: reqwest::Response) -> Page {
        Page {
            status: response.status(),
            headers: response.headers().clone(),
            url: response.url().to_string(),
            body: response.text().await.expect("body"),
        }
    }

    /// Where a redirect points.
    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The form with the given submit button text (or the only form).
    pub fn form(&self, button: Option<&str>) -> Form {
        Form::find(&self.body, &self.url, button)
    }
}

/// The text of each row of the table with id `table`.
pub fn table_rows(body: &str, table: &str) -> Vec<String> {
    let html = scraper::Html::parse_document(body);
    let rows = scraper::Selector::parse(&format!("#{table} tbody tr")).unwrap();
    html.select(&rows).map(|row| row.text().collect::<Vec<_>>().join(" ")).collect()
}

/// Undoes the HTML escaping templates apply to text and attributes.
pub fn unescape_html(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Polls `check` until it gives a value or `timeout` passes.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
