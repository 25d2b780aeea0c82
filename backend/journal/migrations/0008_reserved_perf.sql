-- 0008_reserved: a placeholder on branch perf only. Migrations 0006-0008 belong to other
-- branches (0006 is sub's subagents); delete this file when they are merged, so that
-- 0009_run_totals follows them.
SELECT 1;
