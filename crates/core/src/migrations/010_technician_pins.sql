-- Each technician's own PIN (an Argon2id hash, never the PIN) and the count of wrong tries since
-- the last right one, so guessing pauses across restarts too. A reset by a colleague clears the
-- hash and keeps who did it; the technician then sets a new one.
CREATE TABLE technician_pins (
    name          TEXT PRIMARY KEY,
    hash          TEXT,
    set_at        TEXT NOT NULL,
    reset_by      TEXT,
    failures      INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    paused_until  TEXT
);
