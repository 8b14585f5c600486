-- Schema 3: procedure runs on a job. A run keeps the procedure as it was when it started, the step
-- it is on, and one append-only result per step answered, committed the moment it is given.

CREATE TABLE procedure_runs (
    id               INTEGER PRIMARY KEY,
    job_id           INTEGER NOT NULL REFERENCES jobs (id),
    procedure_id     TEXT NOT NULL,
    procedure_version INTEGER NOT NULL,
    definition       TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    started_by       TEXT NOT NULL,
    -- NULL once finished.
    current_step     TEXT,
    -- When the current step was reached: its time and its gate count from here.
    step_reached_at  TEXT,
    -- How many steps have been reached; orders the results, including steps visited twice.
    visit            INTEGER NOT NULL DEFAULT 1,
    finished_at      TEXT,
    outcome          TEXT CHECK (outcome IN ('repaired', 'needs_rma', 'scrap')),
    CHECK ((current_step IS NULL) = (finished_at IS NOT NULL))
);
CREATE INDEX procedure_runs_by_job ON procedure_runs (job_id, id);

CREATE TABLE step_results (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES procedure_runs (id),
    visit        INTEGER NOT NULL,
    step_id      TEXT NOT NULL,
    answer       TEXT NOT NULL,
    passed       INTEGER CHECK (passed IN (0, 1)),
    note         TEXT,
    actor        TEXT NOT NULL,
    reached_at   TEXT NOT NULL,
    answered_at  TEXT NOT NULL,
    seconds      INTEGER NOT NULL CHECK (seconds >= 0),
    UNIQUE (run_id, visit)
);
CREATE TRIGGER step_results_no_update BEFORE UPDATE ON step_results
BEGIN
    SELECT RAISE(ABORT, 'step_results are append-only');
END;
CREATE TRIGGER step_results_no_delete BEFORE DELETE ON step_results
BEGIN
    SELECT RAISE(ABORT, 'step_results are append-only');
END;

-- Photos attached to a job; the file lives in the data directory under its SHA-256.
CREATE TABLE job_attachments (
    job_id    INTEGER NOT NULL REFERENCES jobs (id),
    sha256    TEXT NOT NULL CHECK (length(sha256) = 64),
    media     TEXT NOT NULL CHECK (media IN ('image/jpeg', 'image/png')),
    bytes     INTEGER NOT NULL CHECK (bytes > 0),
    added_at  TEXT NOT NULL,
    added_by  TEXT NOT NULL,
    PRIMARY KEY (job_id, sha256)
);

-- Parts used on a job, priced in the job's quote currency.
CREATE TABLE job_parts (
    id               INTEGER PRIMARY KEY,
    job_id           INTEGER NOT NULL REFERENCES jobs (id),
    part_number      TEXT NOT NULL,
    description      TEXT NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_cost_minor  INTEGER NOT NULL CHECK (unit_cost_minor >= 0),
    added_at         TEXT NOT NULL,
    added_by         TEXT NOT NULL
);
CREATE INDEX job_parts_by_job ON job_parts (job_id, id);

-- Corrections to the labour the step timings give, each with its reason; append-only.
CREATE TABLE labor_adjustments (
    id       INTEGER PRIMARY KEY,
    job_id   INTEGER NOT NULL REFERENCES jobs (id),
    seconds  INTEGER NOT NULL CHECK (seconds <> 0),
    reason   TEXT NOT NULL,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL
);
CREATE TRIGGER labor_adjustments_no_update BEFORE UPDATE ON labor_adjustments
BEGIN
    SELECT RAISE(ABORT, 'labor_adjustments are append-only');
END;
CREATE TRIGGER labor_adjustments_no_delete BEFORE DELETE ON labor_adjustments
BEGIN
    SELECT RAISE(ABORT, 'labor_adjustments are append-only');
END;
