-- Schema 2: diagnostic runs recorded to a job — what the bench read, what the rules found.

CREATE TABLE diagnostic_runs (
    id           INTEGER PRIMARY KEY,
    job_id       INTEGER NOT NULL REFERENCES jobs (id),
    gpu_index    INTEGER NOT NULL CHECK (gpu_index >= 0),
    recorded_at  TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    -- Readings from the fake driver: never evidence about a real card.
    simulated    INTEGER NOT NULL CHECK (simulated IN (0, 1)),
    scenario     TEXT,
    driver       TEXT NOT NULL,
    reading      TEXT NOT NULL,
    findings     TEXT NOT NULL,
    CHECK (simulated = 1 OR scenario IS NULL)
);
CREATE INDEX diagnostic_runs_by_job ON diagnostic_runs (job_id, id);
CREATE TRIGGER diagnostic_runs_no_update BEFORE UPDATE ON diagnostic_runs
BEGIN
    SELECT RAISE(ABORT, 'diagnostic_runs are evidence and never change');
END;

-- Telemetry sampled before the run was recorded, packed (see telemetry.rs: 15 bytes a sample).
CREATE TABLE run_telemetry (
    run_id   INTEGER PRIMARY KEY REFERENCES diagnostic_runs (id),
    samples  INTEGER NOT NULL CHECK (samples >= 0),
    packed   BLOB NOT NULL
);
