//! A real headless Chromium driven through chromedriver.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn installed(program: &str) -> bool {
    Command::new(program).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium; `None` (test skipped) when
    /// they are not installed, except under `CI=true`, where that fails.
    pub async fn start() -> Option<Browser> {
        if !installed("chromedriver") || !installed("chromium") {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "CI=true but chromium and chromium-driver are not installed"
            );
            eprintln!("skipped: install Debian's chromium and chromium-driver to run browser tests");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        super::eventually(Duration::from_secs(15), "chromedriver to listen", || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()
        })
        .await;
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--no-first-run", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }
        });
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(serde_json::from_value(capabilities).unwrap())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        Some(Browser { client, driver, _profile: profile })
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigation");
    }

    /// Types into the field whose `<label>` reads `label`.
    pub async fn fill(&self, label: &str, text: &str) {
        let field = self.labelled(label).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("typing");
    }

    pub async fn choose(&self, label: &str, value: &str) {
        self.labelled(label).await.select_by_value(value).await.expect("choosing");
    }

    pub async fn tick(&self, label: &str) {
        self.labelled(label).await.click().await.expect("ticking");
    }

    pub async fn labelled(&self, label: &str) -> fantoccini::elements::Element {
        let xpath = format!("//*[@id=//label[normalize-space(.)=\"{label}\"]/@for]");
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no field labelled {label}: {e}"))
    }

    pub async fn press(&self, button: &str) {
        let xpath = format!("//button[normalize-space(.)=\"{button}\"]");
        self.client.find(Locator::XPath(&xpath)).await.expect("the button").click().await.expect("clicking");
    }

    /// Ticks "I'm not a robot" and waits for the proof of work to finish.
    pub async fn pass_captcha(&self) {
        let box_ = self.labelled("I'm not a robot").await;
        super::eventually(Duration::from_secs(10), "the captcha to be ready", || async {
            box_.is_enabled().await.ok().filter(|enabled| *enabled)
        })
        .await;
        box_.click().await.expect("ticking the captcha");
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(".captcha-status.ok"))
            .await
            .expect("the captcha is solved in the browser");
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.expect("URL").path().to_string()
    }

    /// Waits until the browser is at `path`.
    pub async fn wait_for_path(&self, path: &str) {
        super::eventually(Duration::from_secs(20), &format!("the browser to reach {path}"), || async {
            (self.path().await == path).then_some(())
        })
        .await;
    }

    /// Waits until the page shows `text`; a page still loading counts as
    /// not yet. After a form posts back to its own path, this is what tells
    /// the new page from the old.
    pub async fn wait_for_text(&self, text: &str) {
        super::eventually(Duration::from_secs(20), &format!("the page to show `{text}`"), || async {
            let body = self.client.find(Locator::Css("body")).await.ok()?;
            body.text().await.ok().filter(|t| t.contains(text)).map(|_| ())
        })
        .await;
    }

    pub async fn text(&self) -> String {
        self.client.find(Locator::Css("body")).await.expect("body").text().await.expect("text")
    }
}
