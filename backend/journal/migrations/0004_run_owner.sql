-- 0004_run_owner: which process drives a run (one driver per run).
--
-- A process that drives a run claims it in the same transaction that marks it
-- running: owner is a random id of that process's open journal, owner_pid and
-- owner_start identify the process (its pid, and its boot id and start time,
-- so a reused pid is not mistaken for the owner), owner_host the machine, and
-- heartbeat (unix nanoseconds) is refreshed while it drives. Another process
-- may take the run only when owner is empty, the owner is provably dead (same
-- machine, no such process), or the owner's heartbeat expired where its
-- liveness cannot be checked. Setting any status other than running clears
-- the owner.

ALTER TABLE runs ADD COLUMN owner       TEXT    NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN owner_pid   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN owner_start TEXT    NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN owner_host  TEXT    NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN heartbeat   INTEGER NOT NULL DEFAULT 0;
