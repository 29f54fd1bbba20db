DROP TABLE kyc_approvals;
ALTER TABLE kyc_submissions DROP COLUMN review_round;
ALTER TABLE kyc_submissions DROP COLUMN claimed_at;
ALTER TABLE kyc_submissions DROP COLUMN claimed_by;
