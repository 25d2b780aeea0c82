-- 0006_subagents_queue: runs started by another run's task tool (subagents),
-- and prompts queued behind a busy session.
--
-- parent_run_id is the run whose task step started a subagent's run and parent_seq that
-- step's seq; both are empty (''/0) for a run a person started. A child run
-- belongs to its parent's session but is not one of the session's turns: it
-- is left out of the one-run-per-session check (its parent holds the
-- session) and out of the session's conversation.
ALTER TABLE runs ADD COLUMN parent_run_id TEXT    NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN parent_seq    INTEGER NOT NULL DEFAULT 0;

CREATE INDEX runs_by_parent ON runs (parent_run_id, parent_seq) WHERE parent_run_id != '';

-- queued_prompts: a prompt sent to a session while a run of it is in progress,
-- waiting for that run to end. Its run is recorded (and the row deleted, in
-- the same transaction) only when the session is free, so the run is built
-- from the whole conversation before it. request is the caller's start
-- request as it encoded it; the journal does not read it.
CREATE TABLE queued_prompts (
	id         TEXT    NOT NULL PRIMARY KEY,
	session_id TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	request    TEXT    NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX queued_prompts_by_time ON queued_prompts (created_at, id);
