-- One row per background job run. Every instance schedules every job; the
-- instance whose insert wins (job, slot) is the one that runs that slot.
CREATE TABLE job_runs (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    job TEXT NOT NULL,
    slot TEXT NOT NULL,
    triggered_by TEXT NOT NULL,
    requested_by BIGINT REFERENCES staff (id),
    state TEXT NOT NULL,
    summary TEXT,
    error TEXT,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    UNIQUE (job, slot)
);
CREATE INDEX job_runs_started ON job_runs (started_at);
