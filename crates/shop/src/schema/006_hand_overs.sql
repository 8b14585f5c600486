-- Protocol 6: a job is held by one bench at a time. The bench that first pushed a job keeps naming
-- it (bench, job_id); `holder` is the bench working on it now, which alone may push it, and changes
-- only by a hand-over, logged. Each job's rows travel with its document so another bench can take
-- it whole. A push the server cannot take without losing what it holds (from a bench that no
-- longer holds the job, or from one that never saw the server's latest version, such as a bench
-- restored from a backup) is kept as a conflict for the manager instead of overwriting anything.

ALTER TABLE shop_jobs ADD COLUMN holder text REFERENCES shop_benches (name);
UPDATE shop_jobs SET holder = bench;
ALTER TABLE shop_jobs ALTER COLUMN holder SET NOT NULL;
ALTER TABLE shop_jobs ADD COLUMN record jsonb;
-- Every write counts up, so a bench reads what changed since it last looked.
CREATE SEQUENCE shop_job_changes;
ALTER TABLE shop_jobs ADD COLUMN change bigint NOT NULL DEFAULT nextval('shop_job_changes');
CREATE INDEX shop_jobs_by_change ON shop_jobs (change);
CREATE INDEX shop_jobs_by_holder ON shop_jobs (holder);

CREATE TABLE shop_hand_overs (
    id         bigserial PRIMARY KEY,
    bench      text NOT NULL,
    job_id     bigint NOT NULL,
    ticket     text NOT NULL,
    from_bench text NOT NULL,
    to_bench   text NOT NULL,
    taken_by   text NOT NULL,
    version    bigint NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (bench, job_id) REFERENCES shop_jobs (bench, job_id)
);

CREATE TABLE shop_conflicts (
    id          bigserial PRIMARY KEY,
    bench       text NOT NULL,
    job_id      bigint NOT NULL,
    ticket      text NOT NULL,
    -- The bench whose push was refused, and what it sent.
    from_bench  text NOT NULL,
    version     bigint NOT NULL,
    document    jsonb NOT NULL,
    record      jsonb NOT NULL,
    reason      text NOT NULL CHECK (reason IN ('not_holder', 'behind')),
    at          timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    resolved_by text,
    -- shop: the server's record stayed; bench: the refused record became the shop's, and the one
    -- it replaced is kept here.
    kept        text CHECK (kept IN ('shop', 'bench')),
    replaced_document jsonb,
    replaced_record   jsonb,
    UNIQUE (bench, job_id, from_bench, version),
    FOREIGN KEY (bench, job_id) REFERENCES shop_jobs (bench, job_id),
    CHECK ((resolved_at IS NULL) = (kept IS NULL))
);
CREATE INDEX shop_conflicts_open ON shop_conflicts (at) WHERE resolved_at IS NULL;
