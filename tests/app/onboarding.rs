//! The customer journey from sign-up to the locked dashboard.

use crate::common::journeys::PASSWORD;
use crate::common::{Backend, TestApp, eventually};
use crate::on_both_backends;

on_both_backends!(
    a_customer_signs_up_verifies_logs_in_and_saves_details,
    bad_sign_up_input_is_shown_beside_each_field_and_keeps_the_values,
    sign_up_resend_and_forgot_answer_alike_for_existing_and_new_addresses,
    twenty_concurrent_sign_ups_with_one_address_make_one_account,
    verification_links_work_once_expire_and_are_replaced_by_newer_ones,
    an_unverified_customer_is_told_and_offered_a_new_link,
    ten_wrong_passwords_lock_the_account_even_against_the_right_one,
    a_password_reset_ends_other_sessions_and_is_confirmed_by_email,
    the_details_form_needs_the_code_sent_to_that_number,
    logging_out_ends_the_session,
    a_support_request_is_stored_and_acknowledged,
);

async fn a_customer_signs_up_verifies_logs_in_and_saves_details(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let asha = app.visitor();

    let signed_up = asha.sign_up("Asha.Rao@Example.com", PASSWORD).await;
    assert_eq!(signed_up.location(), Some("/signup/check-email"));
    let check = asha.page("/signup/check-email").await;
    assert!(check.body.contains("We&#x27;ve sent a verification link to asha.rao@example.com"), "{}", check.body);

    let (envelope, email) = app.smtp.wait_for("asha.rao@example.com").await;
    assert_eq!(envelope.rcpt_to, ["asha.rao@example.com"]);
    assert_eq!(email.subject, "Verify your email address");
    let link = email.link(&format!("{}/verify-email?token=", app.base_url));
    let token = link.rsplit_once('=').unwrap().1;
    assert!(email.html.contains(">Verify</a>") && email.html.contains(token), "{}", email.html);

    let verified = asha.open(&link).await;
    assert_eq!(verified.location(), Some("/login"));
    assert!(asha.page("/login").await.body.contains("Email verified"));

    let logged_in = asha.log_in("asha.rao@example.com", PASSWORD).await;
    assert_eq!(logged_in.location(), Some("/account/details"), "first login goes to the details form");
    for elsewhere in ["/dashboard"] {
        assert_eq!(asha.page(elsewhere).await.location(), Some("/account/details"), "{elsewhere}");
    }

    let form = asha.details_form().await;
    let (sent, code) = asha.send_otp(&form).await;
    assert_eq!(sent.status, 200);
    assert!(sent.body.contains("We sent a 6-digit code to +919876543210"), "{}", sent.body);
    assert!(app.latest_sms().unwrap().starts_with("To: +919876543210"));
    let saved = asha.submit(&form.fill("OTP", &code).press("Create")).await;
    assert_eq!(saved.location(), Some("/dashboard"));

    let dashboard = asha.page("/dashboard").await;
    assert_eq!(dashboard.status, 200);
    assert!(dashboard.body.contains("Complete KYC to unlock"), "{}", dashboard.body);
    assert!(dashboard.body.contains(r#"href="/settings/kyc""#));
    for product in ["Inbound IVR", "Outbound Multicast", "Outbound Dialer", "Emergency Notification", "Click to Call"] {
        assert!(dashboard.body.contains(product), "{product}");
    }
    assert_eq!(dashboard.header("cache-control"), Some("no-store"));

    let actions = app.audit_actions().await;
    for action in [
        "customer.signed_up",
        "customer.verification_sent",
        "customer.email_verified",
        "customer.logged_in",
        "customer.otp_sent",
        "customer.details_saved",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} missing from {actions:?}");
    }
    let verify = app.run_cli(&["audit", "verify"]);
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
}

async fn bad_sign_up_input_is_shown_beside_each_field_and_keeps_the_values(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let visitor = app.visitor();
    let cases: &[(&str, &str, &str, bool, &str, &str)] = &[
        // email, password, confirmation, terms, field, message
        ("not-an-email", PASSWORD, PASSWORD, true, "email", "Enter a valid email address"),
        ("", PASSWORD, PASSWORD, true, "email", "Enter your email address"),
        ("meera@example.com", "Sh0rt!", "Sh0rt!", true, "password", "at least 8 characters"),
        ("meera@example.com", "nouppercase-42", "nouppercase-42", true, "password", "uppercase letter"),
        ("meera@example.com", "Password123!", "Password123!", true, "password", "too common"),
        ("meera@example.com", "Meera-Secure-9", "Meera-Secure-9", true, "password", "must not contain your email"),
        ("meera@example.com", PASSWORD, "Kestrel-Orbit-43", true, "confirm_password", "do not match"),
        ("meera@example.com", PASSWORD, PASSWORD, false, "terms", "Agree to the Terms"),
    ];
    for (email, password, confirmation, terms, field, message) in cases {
        let mut form = visitor
            .page("/signup")
            .await
            .form(Some("Submit"))
            .fill("Email", email)
            .fill("Password", password)
            .fill("Confirm password", confirmation)
            .set("altcha", &app.solve_captcha().await);
        if *terms {
            form = form.check("I agree to the Terms & Conditions");
        }
        let page = visitor.submit(&form).await;
        assert_eq!(page.status, 422, "{email} {password}");
        let error = format!(r#"<div class="error" id="{field}-error">"#);
        let at = page.body.find(&error).unwrap_or_else(|| panic!("no error beside {field}: {}", page.body));
        assert!(page.body[at..].contains(message), "{field}: expected `{message}`");
        assert!(page.body.contains(&format!(r#"value="{email}""#)), "the email is kept");
        assert!(!page.body.contains(password) || password.is_empty(), "the password is never echoed");
    }

    let no_captcha = visitor
        .page("/signup")
        .await
        .form(Some("Submit"))
        .fill("Email", "meera@example.com")
        .fill("Password", PASSWORD)
        .fill("Confirm password", PASSWORD)
        .check("I agree to the Terms & Conditions");
    let page = visitor.submit(&no_captcha).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains(r#"id="altcha-error""#));

    let captcha = app.solve_captcha().await;
    let reused = no_captcha.clone().set("altcha", &captcha);
    assert_eq!(visitor.submit(&reused).await.status, 303, "a solved captcha is accepted once");
    let replay =
        visitor.page("/signup").await.form(Some("Submit")).fill("Email", "other@example.com").set("altcha", &captcha);
    let page = visitor.submit(&replay).await;
    assert!(page.body.contains(r#"id="altcha-error""#), "a replayed captcha is refused");
}

/// The visible part of a page, with the address and per-request values removed.
fn comparable(body: &str, email: &str) -> String {
    body.replace(email, "EMAIL").lines().filter(|line| !line.contains("csrf_token")).collect::<Vec<_>>().join("\n")
}

async fn sign_up_resend_and_forgot_answer_alike_for_existing_and_new_addresses(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.visitor().onboard("known@example.com").await;

    let mut answers = Vec::new();
    for email in ["known@example.com", "unknown@example.com"] {
        let visitor = app.visitor();
        let signed_up = visitor.sign_up(email, PASSWORD).await;
        let after_signup = visitor.page(signed_up.location().unwrap()).await;
        let mut shown =
            vec![(signed_up.status, signed_up.location().map(str::to_string), comparable(&after_signup.body, email))];
        for path in ["/resend-verification", "/forgot-password"] {
            let form =
                visitor.page(path).await.form(None).fill("Email", email).set("altcha", &app.solve_captcha().await);
            let answer = visitor.submit(&form).await;
            let page = visitor.page(answer.location().unwrap()).await;
            shown.push((answer.status, answer.location().map(str::to_string), comparable(&page.body, email)));
        }
        answers.push(shown);
    }
    assert_eq!(answers[0], answers[1]);

    // The existing address was told someone tried to sign up with it, once.
    let is_note =
        |e: &crate::common::smtp::Envelope| e.rcpt_to == ["known@example.com"] && e.data.contains("tried to sign up");
    eventually(std::time::Duration::from_secs(15), "the sign-up note", || async {
        app.smtp.received().into_iter().find(|e| is_note(e))
    })
    .await;
    assert_eq!(app.smtp.received().iter().filter(|e| is_note(e)).count(), 1);
    assert_eq!(app.count("outbox WHERE recipient = 'unknown@example.com' AND template = 'signup_existing'").await, 0);
}

async fn twenty_concurrent_sign_ups_with_one_address_make_one_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut forms = Vec::new();
    for _ in 0..20 {
        let visitor = app.visitor();
        let form = visitor
            .page("/signup")
            .await
            .form(Some("Submit"))
            .fill("Email", "race@example.com")
            .fill("Password", PASSWORD)
            .fill("Confirm password", PASSWORD)
            .check("I agree to the Terms & Conditions")
            .set("altcha", &app.solve_captcha().await);
        forms.push((visitor.client, form));
    }
    let attempts: Vec<_> = forms
        .into_iter()
        .map(|(client, form)| tokio::spawn(async move { form.submit(&client).await.status() }))
        .collect();
    for attempt in attempts {
        assert_eq!(attempt.await.unwrap(), 303);
    }
    let accounts = app.count("customers WHERE email = 'race@example.com'").await;
    assert_eq!(accounts, 1);
}

async fn verification_links_work_once_expire_and_are_replaced_by_newer_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let visitor = app.visitor();
    visitor.sign_up("lina@example.com", PASSWORD).await;
    let (_, first) = app.smtp.wait_for("lina@example.com").await;
    let first_link = first.link(&format!("{}/verify-email?token=", app.base_url));

    // Asking again (after the one-minute cooldown) replaces the link.
    app.sql("UPDATE email_tokens SET created_at = '2000-01-01 00:00:00'").await;
    let form = visitor.page("/resend-verification").await.form(None).fill("Email", "lina@example.com");
    visitor.submit(&form.set("altcha", &app.solve_captcha().await)).await;
    let second_link = eventually(std::time::Duration::from_secs(15), "a second email", || async {
        let mails: Vec<_> = app.smtp.received().into_iter().filter(|e| e.rcpt_to == ["lina@example.com"]).collect();
        (mails.len() == 2).then(|| crate::common::email::ReceivedEmail::parse(&mails[1].data))
    })
    .await
    .link(&format!("{}/verify-email?token=", app.base_url));
    assert_ne!(first_link, second_link);

    let stale = visitor.open(&first_link).await;
    assert_eq!(stale.status, 400);
    assert!(stale.body.contains("This link no longer works") && stale.body.contains(r#"href="/resend-verification""#));

    // An expired link fails too.
    app.sql("UPDATE email_tokens SET expires_at = created_at").await;
    assert_eq!(visitor.open(&second_link).await.status, 400);
    app.sql("UPDATE email_tokens SET expires_at = '2999-01-01 00:00:00' WHERE revoked_at IS NULL").await;
    assert_eq!(visitor.open(&second_link).await.location(), Some("/login"));
    assert_eq!(visitor.open(&second_link).await.status, 400, "a used link fails");

    // A resend within the minute sends nothing more.
    let form = visitor.page("/resend-verification").await.form(None).fill("Email", "lina@example.com");
    visitor.submit(&form.set("altcha", &app.solve_captcha().await)).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.smtp.received().iter().filter(|e| e.rcpt_to == ["lina@example.com"]).count(), 2);
}

async fn an_unverified_customer_is_told_and_offered_a_new_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let visitor = app.visitor();
    visitor.sign_up("omar@example.com", PASSWORD).await;
    let page = visitor.log_in("omar@example.com", PASSWORD).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("Account not verified"), "{}", page.body);
    assert!(page.body.contains(r#"<a href="/resend-verification?email=omar%40example.com">here</a>"#), "{}", page.body);
    let resend = visitor.page("/resend-verification?email=omar%40example.com").await;
    assert!(resend.body.contains(r#"value="omar@example.com""#));
    assert!(resend.body.contains(r#"href="/support""#), "the page points to support");

    let wrong = visitor.log_in("omar@example.com", "Wrong-Password-1").await;
    assert!(wrong.body.contains("Incorrect email or password") && !wrong.body.contains("not verified"));
}

async fn ten_wrong_passwords_lock_the_account_even_against_the_right_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let visitor = app.visitor();
    visitor.onboard("target@example.com").await;
    let attacker = app.visitor();
    for _ in 0..10 {
        let page = attacker.log_in("target@example.com", "Not-The-Password-1").await;
        assert!(page.body.contains("Incorrect email or password"));
    }
    let page = attacker.log_in("target@example.com", PASSWORD).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("Incorrect email or password"), "the same generic message");
    let actions = app.audit_actions().await;
    assert!(actions.iter().any(|a| a == "customer.locked_out"), "{actions:?}");
    assert!(actions.iter().any(|a| a == "customer.login_refused"), "{actions:?}");

    // When the lockout has passed, the right password works again.
    app.sql("UPDATE customers SET locked_until = '2000-01-01 00:00:00'").await;
    assert_eq!(attacker.log_in("target@example.com", PASSWORD).await.location(), Some("/dashboard"));
}

async fn a_password_reset_ends_other_sessions_and_is_confirmed_by_email(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let laptop = app.visitor();
    laptop.onboard("ravi@example.com").await;
    assert_eq!(laptop.page("/dashboard").await.status, 200);

    let phone = app.visitor();
    let form = phone.page("/forgot-password").await.form(None).fill("Email", "ravi@example.com");
    phone.submit(&form.set("altcha", &app.solve_captcha().await)).await;
    let (_, email) = eventually(std::time::Duration::from_secs(15), "the reset email", || async {
        app.smtp
            .received()
            .into_iter()
            .rev()
            .find(|e| e.rcpt_to == ["ravi@example.com"] && e.data.contains("Choose a new password"))
            .map(|e| ((), crate::common::email::ReceivedEmail::parse(&e.data)))
    })
    .await;
    let link = email.link(&format!("{}/reset-password?token=", app.base_url));
    let form = phone.open(&link).await.form(Some("Change password"));
    let weak =
        phone.submit(&form.clone().fill("New password", "password").fill("Confirm new password", "password")).await;
    assert_eq!(weak.status, 422);
    let done = phone
        .submit(&form.fill("New password", "Brand-New-Secret-7").fill("Confirm new password", "Brand-New-Secret-7"))
        .await;
    assert_eq!(done.location(), Some("/login"));

    assert_eq!(laptop.page("/dashboard").await.location().map(|l| l.starts_with("/login")), Some(true));
    assert!(phone.log_in("ravi@example.com", PASSWORD).await.body.contains("Incorrect email or password"));
    assert_eq!(phone.log_in("ravi@example.com", "Brand-New-Secret-7").await.location(), Some("/dashboard"));
    assert_eq!(phone.open(&link).await.status, 400, "the reset link works once");
    eventually(std::time::Duration::from_secs(15), "the password-changed email", || async {
        app.smtp
            .received()
            .into_iter()
            .find(|e| e.rcpt_to == ["ravi@example.com"] && e.data.contains("Your password was changed"))
    })
    .await;
}

async fn the_details_form_needs_the_code_sent_to_that_number(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let visitor = app.visitor();
    visitor.sign_up("devi@example.com", PASSWORD).await;
    visitor.verify_from_email("devi@example.com").await;
    visitor.log_in("devi@example.com", PASSWORD).await;

    // Field errors are shown beside each field, values kept.
    let bad = visitor
        .details_form()
        .await
        .fill("First name", "R2D2")
        .fill("Account type", "company")
        .fill("Phone number", "12345")
        .fill("OTP", "123456")
        .press("Create");
    let page = visitor.submit(&bad).await;
    assert_eq!(page.status, 422);
    for field in ["first_name", "company_name", "phone"] {
        assert!(page.body.contains(&format!(r#"id="{field}-error""#)), "{field}: {}", page.body);
    }
    assert!(page.body.contains(r#"value="R2D2""#));

    let form = visitor.details_form().await;
    let no_code = visitor.submit(&form.clone().fill("OTP", "123456").press("Create")).await;
    assert!(no_code.body.contains("no live code"), "{}", no_code.body);

    let (_, code) = visitor.send_otp(&form).await;
    let too_soon = visitor.submit(&form.clone().press("Send OTP")).await;
    assert!(too_soon.body.contains("Wait 30 seconds"), "{}", too_soon.body);

    let other_number =
        visitor.submit(&form.clone().fill("Phone number", "98765 00000").fill("OTP", &code).press("Create")).await;
    assert!(other_number.body.contains("no live code"), "a code only confirms the number it was sent to");

    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (1..5).rev() {
        let page = visitor.submit(&form.clone().fill("OTP", wrong).press("Create")).await;
        assert!(page.body.contains(&format!("{left} attempts left")), "{}", page.body);
    }
    let page = visitor.submit(&form.clone().fill("OTP", wrong).press("Create")).await;
    assert!(page.body.contains("Too many wrong codes"));
    let page = visitor.submit(&form.clone().fill("OTP", &code).press("Create")).await;
    assert!(page.body.contains("Too many wrong codes"), "the challenge is over, even for the right code");
    assert!(app.audit_actions().await.iter().filter(|a| *a == "customer.otp_failed").count() == 5);
}

async fn logging_out_ends_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let visitor = app.visitor();
    visitor.onboard("zoe@example.com").await;
    let dashboard = visitor.page("/dashboard").await;
    let forged = visitor.client.post(app.url("/logout")).form(&[("csrf_token", "forged")]).send().await.unwrap();
    assert_eq!(forged.status(), 403, "logging out needs the CSRF token");
    let page = crate::common::Page::from(forged).await;
    assert!(page.body.contains("Access denied") && page.body.contains("Request id"), "{}", page.body);

    let logout = dashboard.form(Some("Log out"));
    let out = visitor.submit(&logout).await;
    assert_eq!(out.location(), Some("/login"));
    assert!(visitor.page("/login").await.body.contains("You have logged out"));
    assert_eq!(visitor.page("/dashboard").await.location(), Some("/login?next=%2Fdashboard"));
}

async fn a_support_request_is_stored_and_acknowledged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let visitor = app.visitor();
    let sent = visitor
        .write_to_support("help-me@example.com", "The verification email never arrived, even after resending it twice.")
        .await;
    assert_eq!(sent.location(), Some("/support"));
    assert!(visitor.page("/support").await.body.contains("reference #1"));
    let (_, ack) = app.smtp.wait_for("help-me@example.com").await;
    assert!(ack.subject.contains("#1"));
    assert!(!ack.text.contains("never arrived"), "the message is not echoed to the address given");
    assert_eq!(app.count("support_requests WHERE status = 'open'").await, 1);

    let short = visitor
        .page("/support")
        .await
        .form(Some("Send message"))
        .fill("Email", "x@example.com")
        .fill("Message", "help");
    let page = visitor.submit(&short.set("altcha", &app.solve_captcha().await)).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains(r#"id="message-error""#));
}
