-- When a customer asked for no more reminder emails.
ALTER TABLE customers ADD COLUMN reminders_stopped_at TIMESTAMP;

-- Each reminder step goes to an account at most once.
CREATE TABLE reminder_sends (
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    stage TEXT NOT NULL,
    step INTEGER NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (customer_id, stage, step)
);
