-- Schema 15: a model and a status narrowed to a span of days read from one index alone, so a text
-- search narrowed by them ("remapping failure", RMA, H100, 2023) counts the few jobs they leave at
-- once and looks for the text in each. It also answers everything the index it replaces did.

DROP INDEX jobs_by_model_status;
CREATE INDEX jobs_by_model_status ON jobs (model_id, status, created_at);
