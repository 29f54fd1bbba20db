ALTER TABLE support_requests DROP COLUMN resolved_by;
ALTER TABLE support_requests DROP COLUMN resolved_at;
