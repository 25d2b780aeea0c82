-- 0005_checkpoints: workspace checkpoints, restores and session forks.
--
-- A checkpoint is the state of a run's workspace at one point of the run:
-- before or after a step that can change it (phase 'before' / 'after'), or
-- just before a restore replaced it ('restore', so the restore can be undone).
-- The files themselves live outside the database (backend/checkpoint's store
-- under the data dir); manifest names the content-addressed manifest there.
-- excluded is a JSON list of what the checkpoint left out and why.
CREATE TABLE checkpoints (
	id          TEXT    NOT NULL PRIMARY KEY,
	run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL CHECK (seq >= 0),
	phase       TEXT    NOT NULL CHECK (phase IN ('before', 'after', 'restore')),
	workspace   TEXT    NOT NULL,
	manifest    TEXT    NOT NULL,
	files       INTEGER NOT NULL DEFAULT 0,
	bytes       INTEGER NOT NULL DEFAULT 0,
	added_bytes INTEGER NOT NULL DEFAULT 0,
	excluded    TEXT    NOT NULL DEFAULT '[]',
	created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX checkpoints_by_run ON checkpoints (run_id, seq, created_at);
CREATE INDEX checkpoints_by_workspace ON checkpoints (workspace, created_at);

-- restores: each time a run's workspace was put back to a checkpoint. undo is
-- the checkpoint of the workspace taken just before (restoring it undoes this).
CREATE TABLE restores (
	id         TEXT    NOT NULL PRIMARY KEY,
	run_id     TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL,
	phase      TEXT    NOT NULL CHECK (phase IN ('before', 'after', 'restore')),
	target     TEXT    NOT NULL,
	undo       TEXT    NOT NULL,
	changed    INTEGER NOT NULL DEFAULT 0,
	git        INTEGER NOT NULL DEFAULT 0 CHECK (git IN (0, 1)),
	warnings   TEXT    NOT NULL DEFAULT '[]',
	at         INTEGER NOT NULL
) STRICT;

CREATE INDEX restores_by_run ON restores (run_id, at);

-- forks: a session started from a step of another session's run. The origin
-- is kept as text: deleting the original leaves the fork's lineage readable.
CREATE TABLE forks (
	session_id   TEXT    NOT NULL PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
	from_session TEXT    NOT NULL,
	from_run     TEXT    NOT NULL,
	at_seq       INTEGER NOT NULL,
	checkpoint   TEXT    NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL
) STRICT;
