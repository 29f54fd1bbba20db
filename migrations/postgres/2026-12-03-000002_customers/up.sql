CREATE TABLE customers (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    password_changed_at TIMESTAMP NOT NULL,
    email_verified_at TIMESTAMP,
    terms_version TEXT NOT NULL,
    terms_accepted_at TIMESTAMP NOT NULL,
    account_type TEXT CHECK (account_type IN ('individual', 'company')),
    first_name TEXT,
    last_name TEXT,
    company_name TEXT,
    sector TEXT,
    phone_type TEXT CHECK (phone_type IN ('mobile', 'landline')),
    phone TEXT,
    phone_verified_at TIMESTAMP,
    details_saved_at TIMESTAMP,
    locked_until TIMESTAMP,
    lockouts INTEGER NOT NULL DEFAULT 0,
    last_lockout_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE email_tokens (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX email_tokens_customer ON email_tokens (customer_id, purpose, created_at);

CREATE TABLE login_attempts (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    customer_id BIGINT REFERENCES customers (id),
    ip TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'refused')),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX login_attempts_customer ON login_attempts (customer_id, created_at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, created_at);

CREATE TABLE phone_otps (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    phone TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    consumed_at TIMESTAMP
);
CREATE INDEX phone_otps_customer ON phone_otps (customer_id, created_at);

CREATE TABLE support_requests (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    customer_id BIGINT REFERENCES customers (id),
    message TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX support_requests_status ON support_requests (status, created_at);

CREATE TABLE captcha_spent (
    challenge TEXT PRIMARY KEY NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
