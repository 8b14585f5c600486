-- Schema 4: issued repair certificates. A certificate never changes once issued; a re-issue gets a
-- new number and the old one records what superseded it.

CREATE TABLE certificate_counters (
    year  INTEGER PRIMARY KEY,
    last  INTEGER NOT NULL CHECK (last > 0)
);

CREATE TABLE certificates (
    number         TEXT PRIMARY KEY,
    job_id         INTEGER NOT NULL REFERENCES jobs (id),
    issued_at      TEXT NOT NULL,
    issued_by      TEXT NOT NULL,
    document       TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    signature      TEXT NOT NULL,
    public_key     TEXT NOT NULL,
    superseded_by  TEXT REFERENCES certificates (number)
);
CREATE INDEX certificates_by_job ON certificates (job_id, issued_at);
CREATE TRIGGER certificates_immutable BEFORE UPDATE ON certificates
WHEN OLD.superseded_by IS NOT NULL
  OR NEW.number IS NOT OLD.number OR NEW.job_id IS NOT OLD.job_id OR NEW.issued_at IS NOT OLD.issued_at
  OR NEW.issued_by IS NOT OLD.issued_by OR NEW.document IS NOT OLD.document OR NEW.sha256 IS NOT OLD.sha256
  OR NEW.signature IS NOT OLD.signature OR NEW.public_key IS NOT OLD.public_key
BEGIN
    SELECT RAISE(ABORT, 'an issued certificate never changes');
END;
CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates
BEGIN
    SELECT RAISE(ABORT, 'an issued certificate is never deleted');
END;
