CREATE TABLE staff (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT,
    totp_secret TEXT,
    totp_confirmed_at TIMESTAMP,
    totp_last_step BIGINT,
    disabled_at TIMESTAMP,
    last_login_at TIMESTAMP,
    locked_until TIMESTAMP,
    lockouts INTEGER NOT NULL DEFAULT 0,
    last_lockout_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE staff_roles (
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    role TEXT NOT NULL,
    PRIMARY KEY (staff_id, role)
);

CREATE TABLE staff_recovery_codes (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX staff_recovery_codes_staff ON staff_recovery_codes (staff_id);

CREATE TABLE staff_invitations (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP
);

ALTER TABLE login_attempts ADD COLUMN staff_id BIGINT REFERENCES staff (id);
CREATE INDEX login_attempts_staff ON login_attempts (staff_id, created_at);

-- A staff session between the password and the second factor.
ALTER TABLE sessions ADD COLUMN pending_subject_id BIGINT;
