-- 0001_init: sessions, runs and their steps.
--
-- Times are INTEGER unix nanoseconds (UTC). Token and cost totals of a run
-- are not stored: they are summed from its steps when a run is read.

CREATE TABLE sessions (
	id         TEXT    NOT NULL PRIMARY KEY,
	title      TEXT    NOT NULL DEFAULT '',
	workspace  TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_by_activity ON sessions (updated_at DESC, id DESC);

CREATE TABLE runs (
	id         TEXT    NOT NULL PRIMARY KEY,
	session_id TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	agent      TEXT    NOT NULL DEFAULT '',
	prompt     TEXT    NOT NULL DEFAULT '',
	status     TEXT    NOT NULL,
	workspace  TEXT    NOT NULL DEFAULT '',
	sandbox    TEXT    NOT NULL DEFAULT '',
	error      TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

CREATE INDEX runs_by_session ON runs (session_id, created_at, id);
CREATE INDEX runs_by_status ON runs (status);

-- steps is the history of a run: one row per (run_id, seq). A row is
-- inserted as 'started' before the step's side effect runs and updated to
-- 'completed' or 'failed' afterwards, each in its own transaction.
CREATE TABLE steps (
	run_id             TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	seq                INTEGER NOT NULL CHECK (seq >= 1),
	name               TEXT    NOT NULL,
	kind               TEXT    NOT NULL,
	status             TEXT    NOT NULL CHECK (status IN ('started', 'completed', 'failed')),
	idempotent         INTEGER NOT NULL DEFAULT 0 CHECK (idempotent IN (0, 1)),
	attempt            INTEGER NOT NULL DEFAULT 1,
	-- resolution is how a person resolved an interrupted step: '', 'rerun', 'skip' or 'fail'.
	resolution         TEXT    NOT NULL DEFAULT '',
	-- rerun_pending is set by a 'rerun' resolution and cleared when the step runs again.
	rerun_pending      INTEGER NOT NULL DEFAULT 0 CHECK (rerun_pending IN (0, 1)),
	input              BLOB,
	output             BLOB,
	error              TEXT    NOT NULL DEFAULT '',
	started_at         INTEGER NOT NULL,
	finished_at        INTEGER,
	input_tokens       INTEGER NOT NULL DEFAULT 0,
	output_tokens      INTEGER NOT NULL DEFAULT 0,
	cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
	cache_write_tokens INTEGER NOT NULL DEFAULT 0,
	cost_usd           REAL    NOT NULL DEFAULT 0,
	PRIMARY KEY (run_id, seq)
) STRICT;
