DROP TABLE reminder_sends;
ALTER TABLE customers DROP COLUMN reminders_stopped_at;
