-- 0006_subagents: a run started by another run's task tool (a subagent).
--
-- parent_run_id is the run whose task step started it and parent_seq that
-- step's seq; both are empty (''/0) for a run a person started. A child run
-- belongs to its parent's session but is not one of the session's turns: it
-- is left out of the one-run-per-session check (its parent holds the
-- session) and out of the session's conversation.
ALTER TABLE runs ADD COLUMN parent_run_id TEXT    NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN parent_seq    INTEGER NOT NULL DEFAULT 0;

CREATE INDEX runs_by_parent ON runs (parent_run_id, parent_seq) WHERE parent_run_id != '';
