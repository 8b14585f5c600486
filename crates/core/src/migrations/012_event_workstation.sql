-- Schema 12: which operating-system account on which computer wrote each event. The technician's
-- name is what the person chose in Revive; these are what the machine says, so "approved by" can be
-- set against who was logged in where. Events written before stay without them.

ALTER TABLE job_events ADD COLUMN os_user TEXT;
ALTER TABLE job_events ADD COLUMN host TEXT;
