// Hand-kept: only types both SQLite and PostgreSQL share.

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        kind -> Text,
        subject_id -> Nullable<BigInt>,
        csrf_token -> Text,
        flash -> Nullable<Text>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        pending_subject_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        occurred_at -> Timestamp,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        action -> Text,
        subject_kind -> Nullable<Text>,
        subject_id -> Nullable<Text>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        details -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        message_id -> Text,
        template -> Text,
        recipient -> Text,
        recipient_name -> Nullable<Text>,
        subject -> Text,
        text_body -> Nullable<Text>,
        html_body -> Nullable<Text>,
        sensitive -> Bool,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    customers (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        password_changed_at -> Timestamp,
        email_verified_at -> Nullable<Timestamp>,
        terms_version -> Text,
        terms_accepted_at -> Timestamp,
        account_type -> Nullable<Text>,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        company_name -> Nullable<Text>,
        sector -> Nullable<Text>,
        phone_type -> Nullable<Text>,
        phone -> Nullable<Text>,
        phone_verified_at -> Nullable<Timestamp>,
        details_saved_at -> Nullable<Timestamp>,
        locked_until -> Nullable<Timestamp>,
        lockouts -> Integer,
        last_lockout_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        reminders_stopped_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    reminder_sends (customer_id, stage, step) {
        customer_id -> BigInt,
        stage -> Text,
        step -> Integer,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    email_tokens (id) {
        id -> BigInt,
        customer_id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> BigInt,
        customer_id -> Nullable<BigInt>,
        ip -> Nullable<Text>,
        outcome -> Text,
        staff_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    phone_otps (id) {
        id -> BigInt,
        customer_id -> BigInt,
        phone -> Text,
        code_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        failed_attempts -> Integer,
        consumed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    support_requests (id) {
        id -> BigInt,
        email -> Text,
        customer_id -> Nullable<BigInt>,
        message -> Text,
        status -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    captcha_spent (challenge) {
        challenge -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    kyc_submissions (id) {
        id -> BigInt,
        customer_id -> BigInt,
        entity_type -> Text,
        status -> Text,
        created_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        decided_at -> Nullable<Timestamp>,
        decision_reason -> Nullable<Text>,
        rejection_final -> Bool,
        claimed_by -> Nullable<BigInt>,
        claimed_at -> Nullable<Timestamp>,
        review_round -> Integer,
    }
}

diesel::table! {
    kyc_approvals (submission_id, review_round, staff_id) {
        submission_id -> BigInt,
        review_round -> Integer,
        staff_id -> BigInt,
        approved_at -> Timestamp,
    }
}

diesel::table! {
    kyc_documents (id) {
        id -> BigInt,
        submission_id -> BigInt,
        customer_id -> BigInt,
        doc_key -> Text,
        storage_key -> Text,
        sha256 -> Text,
        size_bytes -> BigInt,
        content_type -> Text,
        original_name -> Text,
        uploaded_at -> Timestamp,
        removed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    kyc_change_requests (id) {
        id -> BigInt,
        submission_id -> BigInt,
        doc_key -> Text,
        reason -> Text,
        requested_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    kyc_events (id) {
        id -> BigInt,
        submission_id -> BigInt,
        status -> Text,
        actor_kind -> Text,
        actor_id -> Nullable<BigInt>,
        note -> Nullable<Text>,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    billing_details (customer_id) {
        customer_id -> BigInt,
        billing_name -> Text,
        address_line1 -> Text,
        address_line2 -> Nullable<Text>,
        city -> Text,
        state -> Text,
        postal_code -> Text,
        country -> Text,
        gstin -> Nullable<Text>,
        pan -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    staff (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        password_hash -> Nullable<Text>,
        totp_secret -> Nullable<Text>,
        totp_confirmed_at -> Nullable<Timestamp>,
        totp_last_step -> Nullable<BigInt>,
        disabled_at -> Nullable<Timestamp>,
        last_login_at -> Nullable<Timestamp>,
        locked_until -> Nullable<Timestamp>,
        lockouts -> Integer,
        last_lockout_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    staff_roles (staff_id, role) {
        staff_id -> BigInt,
        role -> Text,
    }
}

diesel::table! {
    staff_recovery_codes (id) {
        id -> BigInt,
        staff_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff_invitations (id) {
        id -> BigInt,
        staff_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    job_runs (id) {
        id -> BigInt,
        job -> Text,
        slot -> Text,
        triggered_by -> Text,
        requested_by -> Nullable<BigInt>,
        state -> Text,
        summary -> Nullable<Text>,
        error -> Nullable<Text>,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(email_tokens -> customers (customer_id));
diesel::joinable!(phone_otps -> customers (customer_id));
diesel::joinable!(kyc_submissions -> customers (customer_id));
diesel::joinable!(kyc_documents -> kyc_submissions (submission_id));
diesel::allow_tables_to_appear_in_same_query!(
    customers,
    reminder_sends,
    email_tokens,
    login_attempts,
    phone_otps,
    support_requests,
    kyc_submissions,
    kyc_approvals,
    kyc_documents,
    kyc_change_requests,
    kyc_events,
    billing_details,
    staff,
    staff_roles,
    staff_recovery_codes,
    staff_invitations,
);
