-- 0003_resumes: when a run was driven again after it had stopped part way.
--
-- A row is written when a run that a crash left 'running', or that was
-- 'interrupted' or 'cancelled', is driven again (not when a run waiting for
-- approval goes on after the answer: that is the normal course of a run).
-- n orders a run's resumes (1, 2, ...); at is when it resumed (unix
-- nanoseconds); after_seq the last step completed before it (0: none);
-- reason a short word saying why the run had stopped ("interrupted",
-- "cancelled"). Resumes go with their run: deleting a session deletes its
-- runs, and they take their resumes with them.

CREATE TABLE resumes (
	run_id    TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	n         INTEGER NOT NULL CHECK (n >= 1),
	at        INTEGER NOT NULL,
	after_seq INTEGER NOT NULL CHECK (after_seq >= 0),
	reason    TEXT    NOT NULL CHECK (reason <> ''),
	PRIMARY KEY (run_id, n)
) STRICT, WITHOUT ROWID;
