-- Schema 5: job history at shop scale. A full-text index over what people look jobs up by, kept in
-- step by triggers. The trigram tokenizer matches any three or more characters anywhere: the last
-- digits of a serial, part of a ticket, a Chinese company name without word boundaries.

CREATE VIRTUAL TABLE job_search USING fts5 (ticket, serial, uuid, customer, notes, tokenize = 'trigram');

-- What the index holds for a job, said once for the first fill and both triggers.
CREATE VIEW job_search_text AS
SELECT j.id, j.ticket, j.board_serial AS serial, coalesce(j.gpu_uuid, '') AS uuid, c.name AS customer,
       concat_ws(' ', j.symptom_observed, j.symptom_when, j.symptom_how, j.symptom_frequency,
                 j.symptom_changes, j.condition_note) AS notes
FROM jobs j JOIN customers c ON c.id = j.customer_id;

INSERT INTO job_search (rowid, ticket, serial, uuid, customer, notes)
SELECT id, ticket, serial, uuid, customer, notes FROM job_search_text;

CREATE TRIGGER job_search_on_insert AFTER INSERT ON jobs
BEGIN
    INSERT INTO job_search (rowid, ticket, serial, uuid, customer, notes)
    SELECT id, ticket, serial, uuid, customer, notes FROM job_search_text WHERE id = NEW.id;
END;

CREATE TRIGGER job_search_on_update
AFTER UPDATE OF ticket, board_serial, gpu_uuid, customer_id, symptom_observed, symptom_when, symptom_how,
                symptom_frequency, symptom_changes, condition_note ON jobs
BEGIN
    DELETE FROM job_search WHERE rowid = OLD.id;
    INSERT INTO job_search (rowid, ticket, serial, uuid, customer, notes)
    SELECT id, ticket, serial, uuid, customer, notes FROM job_search_text WHERE id = NEW.id;
END;

-- The history filters and sorts.
CREATE INDEX jobs_by_created ON jobs (created_at);
CREATE INDEX jobs_by_model ON jobs (model_id, created_at);
CREATE INDEX jobs_by_updated ON jobs (updated_at);
CREATE INDEX job_events_by_actor ON job_events (actor, job_id);
