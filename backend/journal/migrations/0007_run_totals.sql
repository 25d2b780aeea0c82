-- 0007_run_totals: a run's step count and token and cost totals kept on the run.
--
-- Until now they were summed from the run's steps each time a run was read, so listing runs
-- (`corral runs`, the sidebar's sessions) read every step of the journal: seconds at a
-- million steps. Triggers keep the totals as steps are inserted, updated and deleted, in the
-- same transaction as the step's own write, so they are never out of step with the rows;
-- existing runs are summed once here.
ALTER TABLE runs ADD COLUMN step_count         INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN input_tokens       INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN output_tokens      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN cache_read_tokens  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN cost_usd           REAL    NOT NULL DEFAULT 0;

UPDATE runs SET (step_count, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd) =
	(SELECT count(*), coalesce(sum(s.input_tokens), 0), coalesce(sum(s.output_tokens), 0),
		coalesce(sum(s.cache_read_tokens), 0), coalesce(sum(s.cache_write_tokens), 0), coalesce(sum(s.cost_usd), 0)
	FROM steps s WHERE s.run_id = runs.id);

CREATE TRIGGER steps_total_insert AFTER INSERT ON steps BEGIN
	UPDATE runs SET step_count = step_count + 1,
		input_tokens = input_tokens + NEW.input_tokens, output_tokens = output_tokens + NEW.output_tokens,
		cache_read_tokens = cache_read_tokens + NEW.cache_read_tokens,
		cache_write_tokens = cache_write_tokens + NEW.cache_write_tokens, cost_usd = cost_usd + NEW.cost_usd
	WHERE id = NEW.run_id;
END;

CREATE TRIGGER steps_total_update AFTER UPDATE OF input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd ON steps
WHEN NEW.input_tokens != OLD.input_tokens OR NEW.output_tokens != OLD.output_tokens
	OR NEW.cache_read_tokens != OLD.cache_read_tokens OR NEW.cache_write_tokens != OLD.cache_write_tokens
	OR NEW.cost_usd != OLD.cost_usd
BEGIN
	UPDATE runs SET
		input_tokens = input_tokens + NEW.input_tokens - OLD.input_tokens,
		output_tokens = output_tokens + NEW.output_tokens - OLD.output_tokens,
		cache_read_tokens = cache_read_tokens + NEW.cache_read_tokens - OLD.cache_read_tokens,
		cache_write_tokens = cache_write_tokens + NEW.cache_write_tokens - OLD.cache_write_tokens,
		cost_usd = cost_usd + NEW.cost_usd - OLD.cost_usd
	WHERE id = NEW.run_id;
END;

CREATE TRIGGER steps_total_delete AFTER DELETE ON steps BEGIN
	UPDATE runs SET step_count = step_count - 1,
		input_tokens = input_tokens - OLD.input_tokens, output_tokens = output_tokens - OLD.output_tokens,
		cache_read_tokens = cache_read_tokens - OLD.cache_read_tokens,
		cache_write_tokens = cache_write_tokens - OLD.cache_write_tokens, cost_usd = cost_usd - OLD.cost_usd
	WHERE id = OLD.run_id;
END;
