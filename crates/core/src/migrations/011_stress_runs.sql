-- Schema 11: stress runs recorded to a job — Revive's own burn-in and memory test, or a dcgmi or
-- gpu-burn result imported — each with its verdict, evidence and telemetry. Evidence never changes.

CREATE TABLE stress_runs (
    id               INTEGER PRIMARY KEY,
    job_id           INTEGER NOT NULL REFERENCES jobs (id),
    gpu_index        INTEGER NOT NULL CHECK (gpu_index >= 0),
    source           TEXT NOT NULL CHECK (source IN ('revive', 'dcgmi', 'gpu_burn')),
    -- From the simulated bench: never evidence about a real card.
    simulated        INTEGER NOT NULL CHECK (simulated IN (0, 1)),
    verdict          TEXT NOT NULL CHECK (verdict IN ('passed', 'failed', 'incomplete')),
    -- What the procedure gates read: how long its burn-in ran (NULL: the run had none) and whether
    -- it tested the memory.
    burn_in_seconds  INTEGER CHECK (burn_in_seconds >= 0),
    memory_tested    INTEGER NOT NULL CHECK (memory_tested IN (0, 1)),
    started_at       TEXT NOT NULL,
    recorded_at      TEXT NOT NULL,
    recorded_by      TEXT NOT NULL,
    result           TEXT NOT NULL,
    CHECK (simulated = 0 OR source = 'revive')
);
CREATE INDEX stress_runs_by_job ON stress_runs (job_id, id);
CREATE TRIGGER stress_runs_no_update BEFORE UPDATE ON stress_runs
BEGIN
    SELECT RAISE(ABORT, 'stress_runs are evidence and never change');
END;

-- The telemetry sampled during the run, packed like a diagnostic run's (15 bytes a sample).
CREATE TABLE stress_telemetry (
    run_id   INTEGER PRIMARY KEY REFERENCES stress_runs (id),
    samples  INTEGER NOT NULL CHECK (samples >= 0),
    packed   BLOB NOT NULL
);
