CREATE TABLE kyc_submissions (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    entity_type TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'in_review', 'changes_requested', 'approved', 'rejected')),
    created_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    decided_at TIMESTAMP,
    decision_reason TEXT,
    rejection_final BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX kyc_submissions_customer ON kyc_submissions (customer_id, id);
CREATE INDEX kyc_submissions_queue ON kyc_submissions (status, submitted_at);

CREATE TABLE kyc_documents (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    submission_id BIGINT NOT NULL REFERENCES kyc_submissions (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    doc_key TEXT NOT NULL,
    storage_key TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    original_name TEXT NOT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    removed_at TIMESTAMP
);
CREATE INDEX kyc_documents_submission ON kyc_documents (submission_id, doc_key);
CREATE INDEX kyc_documents_customer ON kyc_documents (customer_id);

-- What a reviewer asked to be changed, per document, in one round of review.
CREATE TABLE kyc_change_requests (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    submission_id BIGINT NOT NULL REFERENCES kyc_submissions (id),
    doc_key TEXT NOT NULL,
    reason TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP
);
CREATE INDEX kyc_change_requests_submission ON kyc_change_requests (submission_id);

-- Every status a submission went through, for its history.
CREATE TABLE kyc_events (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    submission_id BIGINT NOT NULL REFERENCES kyc_submissions (id),
    status TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id BIGINT,
    note TEXT,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX kyc_events_submission ON kyc_events (submission_id, id);

CREATE TABLE billing_details (
    customer_id BIGINT PRIMARY KEY NOT NULL REFERENCES customers (id),
    billing_name TEXT NOT NULL,
    address_line1 TEXT NOT NULL,
    address_line2 TEXT,
    city TEXT NOT NULL,
    state TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    country TEXT NOT NULL,
    gstin TEXT,
    pan TEXT,
    updated_at TIMESTAMP NOT NULL
);
