-- Schema 14: every change to a job counts up its sync version in the same transaction, so a bench
-- linked to a shop server pushes exactly the jobs whose version is ahead of what it pushed. Triggers
-- on every table that holds part of a job's record mean no code path can forget to queue a change.

CREATE TABLE sync_versions (
    job_id  INTEGER PRIMARY KEY REFERENCES jobs (id),
    version INTEGER NOT NULL CHECK (version > 0),
    -- The version the shop server has; behind `version` means waiting.
    pushed  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sync_versions_waiting ON sync_versions (job_id) WHERE version > pushed;

CREATE TRIGGER sync_jobs_insert AFTER INSERT ON jobs
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (NEW.id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_jobs_update AFTER UPDATE ON jobs
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (NEW.id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_job_events_insert AFTER INSERT ON job_events
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (NEW.job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_diagnostic_runs_insert AFTER INSERT ON diagnostic_runs
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (NEW.job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_diagnostic_runs_update AFTER UPDATE ON diagnostic_runs
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (NEW.job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_procedure_runs_insert AFTER INSERT ON procedure_runs
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (NEW.job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_procedure_runs_update AFTER UPDATE ON procedure_runs
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (NEW.job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_job_attachments_insert AFTER INSERT ON job_attachments
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (NEW.job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_job_attachments_update AFTER UPDATE ON job_attachments
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (NEW.job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_job_attachments_delete AFTER DELETE ON job_attachments
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (OLD.job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_job_parts_insert AFTER INSERT ON job_parts
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (NEW.job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_job_parts_update AFTER UPDATE ON job_parts
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (NEW.job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_job_parts_delete AFTER DELETE ON job_parts
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (OLD.job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_labor_adjustments_insert AFTER INSERT ON labor_adjustments
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (NEW.job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_labor_adjustments_update AFTER UPDATE ON labor_adjustments
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (NEW.job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_certificates_insert AFTER INSERT ON certificates
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (NEW.job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_certificates_update AFTER UPDATE ON certificates
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (NEW.job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_stress_runs_insert AFTER INSERT ON stress_runs
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (NEW.job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_stress_runs_update AFTER UPDATE ON stress_runs
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES (NEW.job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_step_results_insert AFTER INSERT ON step_results
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES ((SELECT job_id FROM procedure_runs WHERE id = NEW.run_id), 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_step_results_update AFTER UPDATE ON step_results
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES ((SELECT job_id FROM procedure_runs WHERE id = NEW.run_id), 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER sync_certificate_revocations_insert AFTER INSERT ON certificate_revocations
BEGIN
    INSERT INTO sync_versions (job_id, version) VALUES ((SELECT job_id FROM certificates WHERE number = NEW.number), 1)
        ON CONFLICT (job_id) DO UPDATE SET version = version + 1;
END;

-- The jobs a bench already has wait to be pushed when it joins a shop.
INSERT INTO sync_versions (job_id, version) SELECT id, 1 FROM jobs;
