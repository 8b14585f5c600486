-- Protocol 4: the whole shop's history, searched on the server with the same filters as a bench's
-- History screen. What the filters and sorts read is kept beside each job's record, computed from
-- it by the server itself, so no bench can send a column that disagrees with its record. Text is
-- found with trigrams anywhere in the ticket, serial, UUID, customer or notes, as on a bench.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- Plain columns inside a GIN index: who worked on a job together with its status, in one lookup.
CREATE EXTENSION IF NOT EXISTS btree_gin;

ALTER TABLE shop_jobs
    ADD COLUMN status      text  GENERATED ALWAYS AS (document ->> 'status') STORED,
    ADD COLUMN created_at  text  GENERATED ALWAYS AS (document ->> 'createdAt') STORED,
    ADD COLUMN updated_at  text  GENERATED ALWAYS AS (document ->> 'updatedAt') STORED,
    ADD COLUMN customer    text  GENERATED ALWAYS AS (document ->> 'customerName') STORED,
    ADD COLUMN model_id    text  GENERATED ALWAYS AS (document ->> 'modelId') STORED,
    -- Everyone who did something on the job.
    ADD COLUMN technicians jsonb GENERATED ALWAYS AS (jsonb_path_query_array(document, '$.events[*].actor')) STORED,
    ADD COLUMN certified   boolean GENERATED ALWAYS AS (jsonb_array_length(document -> 'certificates') > 0) STORED,
    -- The current certificate's number.
    ADD COLUMN certificate text  GENERATED ALWAYS AS (
        jsonb_path_query_first(document, '$.certificates[*] ? (@.supersededBy == null).number') #>> '{}'
    ) STORED,
    -- One text per field, split by a character nobody types, so a match never spans two fields.
    ADD COLUMN search      text  GENERATED ALWAYS AS (
        ticket || chr(31) || coalesce(document ->> 'boardSerial', '') || chr(31)
        || coalesce(document ->> 'gpuUuid', '') || chr(31) || coalesce(document ->> 'customerName', '') || chr(31)
        || coalesce(document #>> '{symptoms,observed}', '') || ' ' || coalesce(document #>> '{symptoms,when}', '')
        || ' ' || coalesce(document #>> '{symptoms,how}', '') || ' ' || coalesce(document #>> '{symptoms,frequency}', '')
        || ' ' || coalesce(document #>> '{symptoms,changes}', '') || ' ' || coalesce(document ->> 'conditionNote', '')
    ) STORED;

-- Each sort's order, ties broken by bench and job, so pages never overlap.
CREATE INDEX shop_jobs_by_received ON shop_jobs (created_at, bench, job_id);
CREATE INDEX shop_jobs_by_updated ON shop_jobs (updated_at, bench, job_id);
CREATE INDEX shop_jobs_by_customer ON shop_jobs (customer, created_at, bench, job_id);
CREATE INDEX shop_jobs_by_model ON shop_jobs (model_id, created_at, bench, job_id);
CREATE INDEX shop_jobs_by_status ON shop_jobs (status, created_at, bench, job_id);
CREATE INDEX shop_jobs_by_model_status ON shop_jobs (model_id, status, created_at);
DROP INDEX shop_jobs_by_ticket;
CREATE INDEX shop_jobs_by_ticket ON shop_jobs (ticket, bench, job_id);
-- A ticket's start, in any collation the server was set up with.
CREATE INDEX shop_jobs_by_ticket_start ON shop_jobs (ticket text_pattern_ops);
CREATE INDEX shop_jobs_search ON shop_jobs USING gin (search gin_trgm_ops);
CREATE INDEX shop_jobs_by_technician ON shop_jobs USING gin (technicians jsonb_path_ops, status);
