-- Who is reviewing a submission, and which round of review it is in: every
-- submission by the customer starts a new round.
ALTER TABLE kyc_submissions ADD COLUMN claimed_by BIGINT REFERENCES staff (id);
ALTER TABLE kyc_submissions ADD COLUMN claimed_at TIMESTAMP;
ALTER TABLE kyc_submissions ADD COLUMN review_round INTEGER NOT NULL DEFAULT 0;

-- Approvals given in a round. Four-eyes entity types need two, from
-- different staff members; the key stops one member approving twice.
CREATE TABLE kyc_approvals (
    submission_id BIGINT NOT NULL REFERENCES kyc_submissions (id),
    review_round INTEGER NOT NULL,
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    approved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (submission_id, review_round, staff_id)
);
