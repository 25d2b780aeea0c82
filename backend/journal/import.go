package journal

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	sqlite3 "modernc.org/sqlite/lib"
)

// ImportRun writes a run recorded elsewhere (an exported trace) with its steps exactly as
// given — status, attempt, resolution, times, tokens and cost — and its resumes (in order,
// each with its time), creating its session on first use, in one transaction: all of the run
// or nothing. A run id in use is ErrExists.
// The session is recorded with origin OriginImported whatever s.Origin says, with
// s.ImportedFrom and s.ImportedAt (now, when zero).
func (j *Journal) ImportRun(ctx context.Context, s Session, r Run, steps []Step, resumes []Resume) error {
	if r.ID == "" || s.ID == "" || r.SessionID != s.ID {
		return fmt.Errorf("import run %q: needs ids and a run of the given session", r.ID)
	}
	if !r.Status.Valid() {
		return fmt.Errorf("import run %s: unknown status %q", r.ID, r.Status)
	}
	ns := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UnixNano()
	}
	stamp := func(t time.Time) int64 {
		if t.IsZero() {
			return j.stamp()
		}
		return t.UnixNano()
	}
	err := j.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, title, workspace, origin, imported_from, imported_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, s.ID, s.Title, s.Workspace, string(OriginImported), s.ImportedFrom,
			stamp(s.ImportedAt), stamp(s.CreatedAt), stamp(s.UpdatedAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO runs (id, session_id, agent, prompt, status, workspace, sandbox, error,
			created_at, updated_at, parent_run_id, parent_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.SessionID, r.Agent, r.Prompt, string(r.Status), r.Workspace, r.Sandbox, r.Error, stamp(r.CreatedAt), stamp(r.UpdatedAt),
			r.ParentRunID, r.ParentSeq)
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return ErrExists
		}
		if err != nil {
			return err
		}
		// Prepared once: parsing the insert (and the triggers it fires) for each step was
		// most of an import's time.
		ins, err := tx.PrepareContext(ctx, `INSERT INTO steps (run_id, seq, name, kind, status, idempotent, attempt, resolution,
				rerun_pending, input, output, error, started_at, finished_at, input_tokens, output_tokens, cache_read_tokens,
				cache_write_tokens, cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, st := range steps {
			attempt := st.Attempt
			if attempt < 1 {
				attempt = 1
			}
			if _, err := ins.ExecContext(ctx,
				r.ID, st.Seq, st.Name, st.Kind, string(st.Status), st.Idempotent, attempt, string(st.Resolution), st.RerunPending,
				nilIfEmpty(st.Input), nilIfEmpty(st.Output), st.Error, stamp(st.StartedAt), ns(st.FinishedAt),
				st.Usage.InputTokens, st.Usage.OutputTokens, st.Usage.CacheReadTokens, st.Usage.CacheWriteTokens, st.CostUSD); err != nil {
				return fmt.Errorf("step %d: %w", st.Seq, err)
			}
		}
		return insertResumes(ctx, tx, r.ID, resumes)
	})
	if err != nil {
		return fmt.Errorf("import run %s: %w", r.ID, classify(err))
	}
	return nil
}
