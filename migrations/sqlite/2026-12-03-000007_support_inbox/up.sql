-- Who on the staff closed a support request, and when.
ALTER TABLE support_requests ADD COLUMN resolved_at TIMESTAMP;
ALTER TABLE support_requests ADD COLUMN resolved_by BIGINT REFERENCES staff (id);
