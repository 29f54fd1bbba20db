//! A visitor with their own cookie jar, doing what a person does on the site.

use super::{Page, TestApp, client};

pub const PASSWORD: &str = "Kestrel-Orbit-42";

pub struct Visitor<'a> {
    pub app: &'a TestApp,
    pub client: reqwest::Client,
}

impl TestApp {
    pub fn visitor(&self) -> Visitor<'_> {
        Visitor { app: self, client: client() }
    }
}

impl Visitor<'_> {
    pub async fn page(&self, path: &str) -> Page {
        Page::from(self.client.get(self.app.url(path)).send().await.expect("GET")).await
    }

    pub async fn open(&self, url: &str) -> Page {
        Page::from(self.client.get(url).send().await.expect("GET")).await
    }

    pub async fn submit(&self, form: &super::Form) -> Page {
        Page::from(form.submit(&self.client).await).await
    }

    pub async fn sign_up(&self, email: &str, password: &str) -> Page {
        let form = self
            .page("/signup")
            .await
            .form(Some("Submit"))
            .fill("Email", email)
            .fill("Password", password)
            .fill("Confirm password", password)
            .check("I agree to the Terms & Conditions")
            .set("altcha", &self.app.solve_captcha().await);
        self.submit(&form).await
    }

    /// Opens the verification link from the newest email to `email`.
    pub async fn verify_from_email(&self, email: &str) -> Page {
        let (_, message) = self.app.smtp.wait_for(email).await;
        let link = message.link(&format!("{}/verify-email?token=", self.app.base_url));
        self.open(&link).await
    }

    pub async fn log_in(&self, email: &str, password: &str) -> Page {
        let form = self.page("/login").await.form(Some("Log in")).fill("Email", email).fill("Password", password);
        self.submit(&form).await
    }

    /// The details form filled for an individual with an Indian mobile.
    pub async fn details_form(&self) -> super::Form {
        self.page("/account/details")
            .await
            .form(Some("Create"))
            .fill("Account type", "individual")
            .fill("First name", "Asha")
            .fill("Last name", "Rao")
            .fill("Sector", "it")
            .fill("Phone type", "mobile")
            .fill("Phone number", "98765 43210")
    }

    /// Asks for a code and returns it as the SMS carried it.
    pub async fn send_otp(&self, form: &super::Form) -> (Page, String) {
        let page = self.submit(&form.clone().press("Send OTP")).await;
        let sms = self.app.latest_sms().expect("an SMS was written");
        let code = sms
            .split(|c: char| !c.is_ascii_digit())
            .find(|part| part.len() == 6)
            .unwrap_or_else(|| panic!("no code in {sms}"))
            .to_string();
        (page, code)
    }

    /// Signs up, verifies, logs in and saves details: a customer at the KYC step.
    pub async fn onboard(&self, email: &str) {
        assert_eq!(self.sign_up(email, PASSWORD).await.status, 303);
        assert_eq!(self.verify_from_email(email).await.status, 303);
        assert_eq!(self.log_in(email, PASSWORD).await.location(), Some("/account/details"));
        let form = self.details_form().await;
        let (_, code) = self.send_otp(&form).await;
        let saved = self.submit(&form.fill("OTP", &code).press("Create")).await;
        assert_eq!(saved.location(), Some("/dashboard"), "{}", saved.body);
    }
}

/// Small well-formed documents, and impostors, for upload tests.
pub mod files {
    pub fn pdf() -> Vec<u8> {
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
    }

    pub fn jpeg() -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01];
        bytes.extend_from_slice(&[0x42; 200]);
        bytes.extend_from_slice(&[0xFF, 0xD9]);
        bytes
    }

    /// A PDF of exactly `size` bytes.
    pub fn pdf_of(size: usize) -> Vec<u8> {
        let mut bytes = b"%PDF-1.4\n".to_vec();
        let trailer = b"\n%%EOF\n";
        bytes.resize(size - trailer.len(), b' ');
        bytes.extend_from_slice(trailer);
        bytes
    }
}

impl Visitor<'_> {
    pub async fn choose_entity_type(&self, key: &str) -> Page {
        let form = self.page("/settings/kyc").await.form(Some("Continue")).fill("Entity type", key);
        self.submit(&form).await
    }

    /// Uploads `bytes` as the `doc_key` document, through the form's own
    /// action (which carries the CSRF token).
    pub async fn upload(&self, doc_key: &str, bytes: Vec<u8>, filename: &str, mime: &str) -> Page {
        let page = self.page("/settings/kyc").await;
        let marker = format!("action=\"/settings/kyc/upload/{doc_key}?");
        let start =
            page.body.find(&marker).unwrap_or_else(|| panic!("no upload form for {doc_key}: {}", page.body)) + 8;
        let action = page.body[start..].split('"').next().unwrap().replace("&amp;", "&");
        let part = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_string()).mime_str(mime).unwrap();
        let form = reqwest::multipart::Form::new().part("file", part);
        let response = self.client.post(self.app.url(&action)).multipart(form).send().await.expect("upload");
        Page::from(response).await
    }

    pub async fn submit_kyc(&self) -> Page {
        let form = self.page("/settings/kyc").await.form(Some("Submit"));
        self.submit(&form).await
    }
}
