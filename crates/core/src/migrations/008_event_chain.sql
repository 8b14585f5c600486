-- Each job event's link in the hash chain (per job and across the shop): an event edited or
-- deleted with a SQLite tool outside Revive no longer matches its link, and `revive audit` says so.
-- Events logged before this migration are linked when Revive first opens the store.
CREATE TABLE event_chain (
    event_id INTEGER PRIMARY KEY REFERENCES job_events (id),
    hash     TEXT NOT NULL
);
CREATE TRIGGER event_chain_no_update BEFORE UPDATE ON event_chain
BEGIN
    SELECT RAISE(ABORT, 'event_chain is append-only');
END;
CREATE TRIGGER event_chain_no_delete BEFORE DELETE ON event_chain
BEGIN
    SELECT RAISE(ABORT, 'event_chain is append-only');
END;
