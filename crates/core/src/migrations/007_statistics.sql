-- Each finding of each bench reading, by code: the statistics count the jobs where a finding was
-- seen without parsing every reading's JSON. Readings never change (a trigger refuses it), so
-- filling on insert keeps this exact.
CREATE TABLE run_findings (
    run_id  INTEGER NOT NULL REFERENCES diagnostic_runs (id),
    job_id  INTEGER NOT NULL REFERENCES jobs (id),
    code    TEXT NOT NULL
);
INSERT INTO run_findings (run_id, job_id, code)
SELECT d.id, d.job_id, f.value ->> '$.code' FROM diagnostic_runs d, json_each(d.findings) f;
CREATE INDEX run_findings_by_code ON run_findings (code, job_id);
CREATE INDEX run_findings_by_job ON run_findings (job_id, code);

CREATE TRIGGER run_findings_on_insert AFTER INSERT ON diagnostic_runs
BEGIN
    INSERT INTO run_findings (run_id, job_id, code)
    SELECT NEW.id, NEW.job_id, f.value ->> '$.code' FROM json_each(NEW.findings) f;
END;

-- Outcomes per model read from an index alone.
CREATE INDEX jobs_by_model_status ON jobs (model_id, status);
