-- Schema 17: a job moves between the benches of a shop by an explicit hand-over. A job taken from
-- another bench keeps the key the shop server knows it by (the bench that first pushed it and its
-- number there); a job another bench holds now, or one the server refused as conflicting, stays
-- here as it was and refuses every change: triggers, like the sync versions', so no code path can
-- change a job this bench no longer holds.

CREATE TABLE shop_keys (
    job_id     INTEGER PRIMARY KEY REFERENCES jobs (id),
    bench      TEXT NOT NULL,
    remote_id  INTEGER NOT NULL
);
CREATE INDEX shop_keys_by_key ON shop_keys (bench, remote_id);

CREATE TABLE shop_away (
    job_id  INTEGER PRIMARY KEY REFERENCES jobs (id),
    -- taken: another bench holds the job, kept here as the server last had it;
    -- conflict: the server refused this bench's record, frozen until the manager decides;
    -- set_aside: the manager kept another record, this one stays as it was.
    reason  TEXT NOT NULL CHECK (reason IN ('taken', 'conflict', 'set_aside')),
    -- The bench that holds the job now.
    holder  TEXT NOT NULL,
    since   TEXT NOT NULL
);

-- The version a push was sending when it last started: the server holding it means the answer was
-- lost, not that the job moved on elsewhere.
ALTER TABLE sync_versions ADD COLUMN sending INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER away_jobs_update BEFORE UPDATE ON jobs
WHEN EXISTS (SELECT 1 FROM shop_away WHERE job_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'revive: job held elsewhere');
END;
CREATE TRIGGER away_job_events_insert BEFORE INSERT ON job_events
WHEN EXISTS (SELECT 1 FROM shop_away WHERE job_id = NEW.job_id)
BEGIN
    SELECT RAISE(ABORT, 'revive: job held elsewhere');
END;
CREATE TRIGGER away_diagnostic_runs_insert BEFORE INSERT ON diagnostic_runs
WHEN EXISTS (SELECT 1 FROM shop_away WHERE job_id = NEW.job_id)
BEGIN
    SELECT RAISE(ABORT, 'revive: job held elsewhere');
END;
CREATE TRIGGER away_stress_runs_insert BEFORE INSERT ON stress_runs
WHEN EXISTS (SELECT 1 FROM shop_away WHERE job_id = NEW.job_id)
BEGIN
    SELECT RAISE(ABORT, 'revive: job held elsewhere');
END;
CREATE TRIGGER away_procedure_runs_insert BEFORE INSERT ON procedure_runs
WHEN EXISTS (SELECT 1 FROM shop_away WHERE job_id = NEW.job_id)
BEGIN
    SELECT RAISE(ABORT, 'revive: job held elsewhere');
END;
CREATE TRIGGER away_procedure_runs_update BEFORE UPDATE ON procedure_runs
WHEN EXISTS (SELECT 1 FROM shop_away WHERE job_id = OLD.job_id)
BEGIN
    SELECT RAISE(ABORT, 'revive: job held elsewhere');
END;
CREATE TRIGGER away_step_results_insert BEFORE INSERT ON step_results
WHEN EXISTS (SELECT 1 FROM shop_away a JOIN procedure_runs r ON r.job_id = a.job_id WHERE r.id = NEW.run_id)
BEGIN
    SELECT RAISE(ABORT, 'revive: job held elsewhere');
END;
CREATE TRIGGER away_job_attachments_insert BEFORE INSERT ON job_attachments
WHEN EXISTS (SELECT 1 FROM shop_away WHERE job_id = NEW.job_id)
BEGIN
    SELECT RAISE(ABORT, 'revive: job held elsewhere');
END;
CREATE TRIGGER away_job_attachments_delete BEFORE DELETE ON job_attachments
WHEN EXISTS (SELECT 1 FROM shop_away WHERE job_id = OLD.job_id)
BEGIN
    SELECT RAISE(ABORT, 'revive: job held elsewhere');
END;
CREATE TRIGGER away_job_parts_insert BEFORE INSERT ON job_parts
WHEN EXISTS (SELECT 1 FROM shop_away WHERE job_id = NEW.job_id)
BEGIN
    SELECT RAISE(ABORT, 'revive: job held elsewhere');
END;
CREATE TRIGGER away_job_parts_update BEFORE UPDATE ON job_parts
WHEN EXISTS (SELECT 1 FROM shop_away WHERE job_id = OLD.job_id)
BEGIN
    SELECT RAISE(ABORT, 'revive: job held elsewhere');
END;
CREATE TRIGGER away_job_parts_delete BEFORE DELETE ON job_parts
WHEN EXISTS (SELECT 1 FROM shop_away WHERE job_id = OLD.job_id)
BEGIN
    SELECT RAISE(ABORT, 'revive: job held elsewhere');
END;
CREATE TRIGGER away_labor_adjustments_insert BEFORE INSERT ON labor_adjustments
WHEN EXISTS (SELECT 1 FROM shop_away WHERE job_id = NEW.job_id)
BEGIN
    SELECT RAISE(ABORT, 'revive: job held elsewhere');
END;
CREATE TRIGGER away_certificates_insert BEFORE INSERT ON certificates
WHEN EXISTS (SELECT 1 FROM shop_away WHERE job_id = NEW.job_id)
BEGIN
    SELECT RAISE(ABORT, 'revive: job held elsewhere');
END;
CREATE TRIGGER away_certificates_update BEFORE UPDATE ON certificates
WHEN EXISTS (SELECT 1 FROM shop_away WHERE job_id = OLD.job_id)
BEGIN
    SELECT RAISE(ABORT, 'revive: job held elsewhere');
END;
CREATE TRIGGER away_certificate_revocations_insert BEFORE INSERT ON certificate_revocations
WHEN EXISTS (SELECT 1 FROM shop_away a JOIN certificates c ON c.job_id = a.job_id WHERE c.number = NEW.number)
BEGIN
    SELECT RAISE(ABORT, 'revive: job held elsewhere');
END;

-- How far this bench has read the shop server's changes.
CREATE TABLE shop_pulled (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    change  INTEGER NOT NULL
);

-- Every job the server already has is sent once more, now with its rows, so another bench can
-- take it over.
UPDATE sync_versions SET version = version + 1 WHERE pushed > 0;
