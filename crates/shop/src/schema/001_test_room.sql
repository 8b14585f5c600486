-- Protocol 1: the test room. Rack servers register with their GPUs and heartbeat; benches queue
-- stress tasks for a slot; an agent claims one with a lease it renews while it works, so a dead
-- agent's task returns to the queue; the bench that queued it collects the verdict into its job.

CREATE TABLE room_servers (
    name          text PRIMARY KEY,
    agent_version text NOT NULL,
    simulated     boolean NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now(),
    last_seen     timestamptz NOT NULL DEFAULT now(),
    -- Each GPU slot's identity and latest state, as the agent read it: one row write per heartbeat.
    gpus          jsonb NOT NULL DEFAULT '[]'
);

CREATE TABLE room_tasks (
    id              bigserial PRIMARY KEY,
    -- Chosen by the bench, so a request sent twice (a retry after a lost answer) queues once.
    key             text NOT NULL UNIQUE,
    server          text NOT NULL REFERENCES room_servers (name),
    slot            integer NOT NULL CHECK (slot >= 0),
    ticket          text NOT NULL,
    expected_serial text NOT NULL,
    bench           text NOT NULL,
    scheduled_by    text NOT NULL,
    plan            jsonb NOT NULL,
    state           text NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'running', 'finished', 'refused', 'cancelled')),
    attempts        integer NOT NULL DEFAULT 0,
    lease_owner     text,
    lease_until     timestamptz,
    progress        jsonb,
    progress_at     timestamptz,
    outcome         jsonb,
    -- The run's samples, packed as the bench stores them.
    telemetry       bytea,
    verdict         text,
    -- Why the agent would not run it, as a typed value the bench's window puts in its language.
    refusal         jsonb,
    queued_at       timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    collected_at    timestamptz
);
-- What an agent looks for: its server's queued tasks and running ones whose lease ran out.
CREATE INDEX room_tasks_open ON room_tasks (server, id) WHERE state IN ('queued', 'running');
-- What a bench collects.
CREATE INDEX room_tasks_to_collect ON room_tasks (bench, id)
    WHERE state IN ('finished', 'refused') AND collected_at IS NULL;
