-- Schema 1: customers, jobs taken in at the bench, their append-only event log, ticket counters, settings.

CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    contact     TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    UNIQUE (name, contact)
);

-- Ticket numbers are sequential per year and never reused, even if a job were ever removed.
CREATE TABLE ticket_counters (
    year  INTEGER PRIMARY KEY,
    last  INTEGER NOT NULL CHECK (last > 0)
);

CREATE TABLE jobs (
    id                 INTEGER PRIMARY KEY,
    ticket             TEXT NOT NULL UNIQUE,
    customer_id        INTEGER NOT NULL REFERENCES customers (id),
    status             TEXT NOT NULL,
    held_from          TEXT,
    model_id           TEXT NOT NULL,
    board_serial       TEXT NOT NULL,
    gpu_uuid           TEXT,
    board_part_number  TEXT,
    symptom_observed   TEXT NOT NULL,
    symptom_when       TEXT,
    symptom_how        TEXT,
    symptom_frequency  TEXT,
    symptom_changes    TEXT,
    condition_flags    TEXT NOT NULL DEFAULT '[]',
    condition_note     TEXT,
    quote_minor        INTEGER NOT NULL CHECK (quote_minor >= 0),
    quote_currency     TEXT NOT NULL CHECK (quote_currency IN ('CNY', 'USD')),
    bench_location     TEXT,
    received_by        TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX jobs_by_serial ON jobs (board_serial);
CREATE INDEX jobs_by_customer ON jobs (customer_id);
CREATE INDEX jobs_by_status ON jobs (status);

-- Append-only: who did what to a job, and when. Rows are never changed or removed.
CREATE TABLE job_events (
    id       INTEGER PRIMARY KEY,
    job_id   INTEGER NOT NULL REFERENCES jobs (id),
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    kind     TEXT NOT NULL,
    detail   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX job_events_by_job ON job_events (job_id, id);
CREATE TRIGGER job_events_no_update BEFORE UPDATE ON job_events
BEGIN
    SELECT RAISE(ABORT, 'job_events is append-only');
END;
CREATE TRIGGER job_events_no_delete BEFORE DELETE ON job_events
BEGIN
    SELECT RAISE(ABORT, 'job_events is append-only');
END;

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
