-- Certificates the shop withdrew, with why: a card that came back faulty, a certificate issued in
-- error, a warranty voided. A revocation is never taken back or changed.
CREATE TABLE certificate_revocations (
    number      TEXT PRIMARY KEY REFERENCES certificates (number),
    revoked_at  TEXT NOT NULL,
    revoked_by  TEXT NOT NULL,
    reason      TEXT NOT NULL CHECK (reason IN ('returned_faulty', 'issued_in_error', 'warranty_void')),
    note        TEXT
);
CREATE TRIGGER certificate_revocations_no_update BEFORE UPDATE ON certificate_revocations
BEGIN
    SELECT RAISE(ABORT, 'a revocation never changes');
END;
CREATE TRIGGER certificate_revocations_no_delete BEFORE DELETE ON certificate_revocations
BEGIN
    SELECT RAISE(ABORT, 'a revocation never changes');
END;
