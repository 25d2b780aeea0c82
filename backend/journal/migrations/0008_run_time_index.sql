-- 0008_run_time_index: runs in order of creation, newest or oldest first, from an index.
--
-- `corral runs` lists the most recent runs of the whole journal (a page: --limit, default
-- 50). Without this index SQLite read every run and sorted them in a temporary b-tree to
-- find the last few; with it a page reads only its own rows.
CREATE INDEX runs_by_time ON runs (created_at, id);
