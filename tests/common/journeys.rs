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

    /// A real 2×2 PNG that a browser can draw.
    pub fn png() -> Vec<u8> {
        vec![
            0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
            0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xfd, 0xd4, 0x9a, 0x73, 0x00, 0x00, 0x00,
            0x11, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x90, 0x8f, 0xfb, 0x0f, 0x44, 0x0c, 0xff, 0xc1, 0x00, 0x00,
            0x32, 0x65, 0x08, 0xf3, 0xbc, 0x80, 0x3b, 0x2e, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42,
            0x60, 0x82,
        ]
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
        let action = super::unescape_html(page.body[start..].split('"').next().unwrap());
        let part = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_string()).mime_str(mime).unwrap();
        let form = reqwest::multipart::Form::new().part("file", part);
        let response = self.client.post(self.app.url(&action)).multipart(form).send().await.expect("upload");
        Page::from(response).await
    }

    pub async fn submit_kyc(&self) -> Page {
        let form = self.page("/settings/kyc").await.form(Some("Submit"));
        self.submit(&form).await
    }

    /// Writes to support through the public form.
    pub async fn write_to_support(&self, email: &str, message: &str) -> Page {
        let form = self
            .page("/support")
            .await
            .form(Some("Send message"))
            .fill("Email", email)
            .fill("Message", message)
            .set("altcha", &self.app.solve_captcha().await);
        self.submit(&form).await
    }
}

/// An individual's KYC documents: a PAN card and a passport.
pub const INDIVIDUAL: &[(&str, &str)] = &[("pan_card", "pan.pdf"), ("passport", "passport.png")];

impl TestApp {
    /// A customer at `email` who has submitted KYC as `entity_type` with the
    /// documents in `uploads` (key, file name; `.pdf` files are PDFs, others
    /// PNG images).
    pub async fn customer_with_kyc(&self, email: &str, entity_type: &str, uploads: &[(&str, &str)]) -> Visitor<'_> {
        let customer = self.visitor();
        customer.onboard(email).await;
        assert_eq!(customer.choose_entity_type(entity_type).await.location(), Some("/settings/kyc"));
        for (key, name) in uploads {
            let page = if name.ends_with(".pdf") {
                customer.upload(key, files::pdf(), name, "application/pdf").await
            } else {
                customer.upload(key, files::png(), name, "image/png").await
            };
            assert_eq!(page.location(), Some("/settings/kyc"), "{}", page.body);
        }
        let done = customer.submit_kyc().await;
        assert_eq!(done.location(), Some("/settings/kyc"), "{}", done.body);
        customer
    }
}

/// A staff member driving the console.
pub struct StaffMember<'a> {
    pub visitor: Visitor<'a>,
    pub email: String,
    pub totp: Option<totp_rs::Totp>,
    pub recovery_codes: Vec<String>,
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

impl TestApp {
    /// `kycdesk staff add` with the journeys' password.
    pub fn add_staff(&self, email: &str, roles: &[&str]) {
        let mut args = vec!["staff", "add", email, "--name", "Test Staff"];
        for role in roles {
            args.extend(["--role", role]);
        }
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_kycdesk"))
            .args(&args)
            .env_clear()
            .envs(self.cli_env())
            .env("KYCDESK_STAFF_PASSWORD", PASSWORD)
            .output()
            .expect("kycdesk runs");
        assert!(output.status.success(), "staff add: {}", String::from_utf8_lossy(&output.stderr));
    }

    /// A staff member added, signed in and enrolled.
    pub async fn staff(&self, email: &str, roles: &[&str]) -> StaffMember<'_> {
        self.add_staff(email, roles);
        let mut member =
            StaffMember { visitor: self.visitor(), email: email.to_string(), totp: None, recovery_codes: Vec::new() };
        let after_password = member.password_step().await;
        assert_eq!(after_password.location(), Some("/console/enroll"));
        member.enrol().await;
        member
    }
}

impl StaffMember<'_> {
    pub async fn password_step(&self) -> Page {
        let form = self
            .visitor
            .page("/console/login")
            .await
            .form(Some("Continue"))
            .fill("Email", &self.email)
            .fill("Password", PASSWORD);
        self.visitor.submit(&form).await
    }

    /// Reads the secret off the enrolment page and confirms it with a code.
    pub async fn enrol(&mut self) {
        let page = self.visitor.page("/console/enroll").await;
        assert!(page.body.contains("<svg"), "a QR code is shown");
        let uri = super::unescape_html(
            page.body.split("id=\"otpauth\" class=\"otpauth\">").nth(1).unwrap().split('<').next().unwrap(),
        );
        let totp = totp_rs::Totp::from_url(&uri).expect("an otpauth URI");
        let code = totp.generate(now_secs()).to_string();
        let form = page.form(Some("Confirm")).fill("Authentication code", &code);
        let done = self.visitor.submit(&form).await;
        assert_eq!(done.status, 200, "{}", done.body);
        self.recovery_codes =
            done.body.split("<li><code>").skip(1).map(|c| c.split('<').next().unwrap().to_string()).collect();
        assert_eq!(self.recovery_codes.len(), 10);
        self.totp = Some(totp);
    }

    /// A code for the step `steps_ahead` from now.
    pub fn code(&self, steps_ahead: u64) -> String {
        self.totp.as_ref().expect("enrolled").generate(now_secs() + 30 * steps_ahead).to_string()
    }

    /// Password then `code`; the page the code step answers with.
    pub async fn log_in_with(&self, code: &str) -> Page {
        let after_password = self.password_step().await;
        assert_eq!(after_password.location(), Some("/console/login/code"), "{}", after_password.body);
        let form =
            self.visitor.page("/console/login/code").await.form(Some("Log in")).fill("Authentication code", code);
        self.visitor.submit(&form).await
    }

    /// The CSRF token of the member's console session.
    pub async fn csrf(&self) -> String {
        let page = self.visitor.page("/console").await;
        page.body.split("name=\"csrf_token\" value=\"").nth(1).expect("a token").split('"').next().unwrap().to_string()
    }
}
