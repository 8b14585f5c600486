-- Protocol 2: the shop's one history. Each bench pushes every job it holds, whole, at the version
-- its own store counted; the server keeps the highest version of each, so a push sent twice (a
-- retry after a lost answer, a bench killed halfway) changes nothing. Photos are kept once each by
-- their content's hash.

CREATE TABLE shop_benches (
    name         text PRIMARY KEY,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_contact timestamptz NOT NULL DEFAULT now(),
    -- Jobs with changes the bench had not pushed yet, as it last said.
    waiting      integer NOT NULL DEFAULT 0
);

CREATE TABLE shop_jobs (
    bench     text NOT NULL REFERENCES shop_benches (name),
    job_id    bigint NOT NULL,
    version   bigint NOT NULL CHECK (version > 0),
    ticket    text NOT NULL,
    document  jsonb NOT NULL,
    pushed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bench, job_id)
);
CREATE INDEX shop_jobs_by_ticket ON shop_jobs (ticket);

CREATE TABLE shop_photos (
    sha256 text PRIMARY KEY CHECK (length(sha256) = 64),
    media  text NOT NULL,
    bytes  bytea NOT NULL
);
