package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Resume is one time a run was driven again after it had stopped part way: a crash left it
// running, or it was interrupted or cancelled. What counts as a resume, and its reason, is the
// caller's to decide; the journal keeps the record with the run (deleting the run, or its
// session, deletes it too).
type Resume struct {
	RunID string
	// N numbers a run's resumes from 1, in the order they happened; [Journal.ResumeRun] sets it.
	N int
	// At is when the run resumed; ResumeRun stamps it when zero.
	At time.Time
	// AfterSeq is the seq of the last step completed before the resume (0: none).
	AfterSeq int
	// Reason says why the run had stopped, in a word: "interrupted", "cancelled".
	Reason string
}

// maxReason bounds a resume's reason: a word, not a message.
const maxReason = 256

func (r Resume) check() error {
	switch {
	case r.Reason == "":
		return errors.New("empty reason")
	case len(r.Reason) > maxReason:
		return fmt.Errorf("reason of %d bytes, over %d", len(r.Reason), maxReason)
	case r.AfterSeq < 0:
		return fmt.Errorf("after seq %d", r.AfterSeq)
	}
	return nil
}

// Resumes lists a run's resumes in the order they happened; a run never resumed (or one that
// does not exist) has none.
func (j *Journal) Resumes(ctx context.Context, runID string) ([]Resume, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT n, at, after_seq, reason FROM resumes WHERE run_id = ? ORDER BY n`, runID)
	if err != nil {
		return nil, fmt.Errorf("resumes of %s: %w", runID, classify(err))
	}
	defer rows.Close()
	var out []Resume
	for rows.Next() {
		r := Resume{RunID: runID}
		var at int64
		if err := rows.Scan(&r.N, &at, &r.AfterSeq, &r.Reason); err != nil {
			return nil, fmt.Errorf("resumes of %s: %w", runID, classify(err))
		}
		r.At = fromStamp(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("resumes of %s: %w", runID, classify(err))
	}
	return out, nil
}

// insertResumes writes an imported run's resumes as given, numbered in order.
func insertResumes(ctx context.Context, tx *sql.Tx, runID string, resumes []Resume) error {
	for i, r := range resumes {
		if err := r.check(); err != nil {
			return fmt.Errorf("resume %d: %w", i+1, err)
		}
		if r.At.IsZero() {
			return fmt.Errorf("resume %d: no time", i+1)
		}
		if err := insertResume(ctx, tx, runID, i+1, r); err != nil {
			return fmt.Errorf("resume %d: %w", i+1, err)
		}
	}
	return nil
}

// insertResume writes resume r as run runID's n-th.
func insertResume(ctx context.Context, tx *sql.Tx, runID string, n int, r Resume) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO resumes (run_id, n, at, after_seq, reason) VALUES (?, ?, ?, ?, ?)`,
		runID, n, r.At.UnixNano(), r.AfterSeq, r.Reason)
	return err
}
