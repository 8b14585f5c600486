-- Schema 13: a stress run made in the shop's test room names the task it answers (so it is recorded
-- once however often the bench collects) and the rack server and GPU slot it ran in.

ALTER TABLE stress_runs ADD COLUMN room_task TEXT;
ALTER TABLE stress_runs ADD COLUMN room_server TEXT;
ALTER TABLE stress_runs ADD COLUMN room_slot INTEGER;
CREATE UNIQUE INDEX stress_runs_by_room_task ON stress_runs (room_task) WHERE room_task IS NOT NULL;
