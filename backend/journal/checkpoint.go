package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Checkpoint phases: where in a run a checkpoint was taken.
const (
	// PhaseBefore: just before the step with its seq ran.
	PhaseBefore = "before"
	// PhaseAfter: just after the step with its seq ran.
	PhaseAfter = "after"
	// PhaseRestore: just before a restore replaced the workspace (restoring it undoes the
	// restore).
	PhaseRestore = "restore"
)

// Checkpoint is the record of one workspace checkpoint; the files it names live in the
// checkpoint store, outside the database.
type Checkpoint struct {
	ID    string
	RunID string
	Seq   int
	// Phase is PhaseBefore, PhaseAfter or PhaseRestore.
	Phase     string
	Workspace string
	// Manifest names the store's manifest (its sha256).
	Manifest string
	// Files counts the entries captured, Bytes their total size, AddedBytes the bytes new to
	// the store (what this checkpoint cost on disk, besides its manifest).
	Files      int
	Bytes      int64
	AddedBytes int64
	// Excluded is what the checkpoint left out and why (JSON as the store wrote it).
	Excluded  json.RawMessage
	CreatedAt time.Time
}

// Restore is one time a run's workspace was put back to a checkpoint.
type Restore struct {
	ID    string
	RunID string
	// Seq and Phase name the point restored to.
	Seq   int
	Phase string
	// Target is the checkpoint restored, Undo the checkpoint taken just before (restore it
	// to undo this).
	Target string
	Undo   string
	// Changed counts the paths the restore wrote or removed.
	Changed int
	// Git says whether .git was restored too.
	Git      bool
	Warnings []string
	At       time.Time
}

// Fork is where a session was forked from: a step of another session's run.
type Fork struct {
	SessionID   string
	FromSession string
	FromRun     string
	AtSeq       int
	// Checkpoint is the checkpoint its workspace was copied from ("" when none).
	Checkpoint string
	CreatedAt  time.Time
}

const checkpointColumns = `id, run_id, seq, phase, workspace, manifest, files, bytes, added_bytes, excluded, created_at`

func scanCheckpoint(r scanner) (Checkpoint, error) {
	var c Checkpoint
	var excluded string
	var created int64
	if err := r.Scan(&c.ID, &c.RunID, &c.Seq, &c.Phase, &c.Workspace, &c.Manifest, &c.Files, &c.Bytes, &c.AddedBytes, &excluded, &created); err != nil {
		return c, err
	}
	c.Excluded = json.RawMessage(excluded)
	c.CreatedAt = fromStamp(created)
	return c, nil
}

// sqlAddCheckpoint inserts a checkpoint (prepared once: AddCheckpoint).
const sqlAddCheckpoint = `INSERT INTO checkpoints (` + checkpointColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// AddCheckpoint records a checkpoint; an empty ID gets a new one, a zero CreatedAt now. It
// returns the checkpoint as stored. The record is committed without its own fsync (as a
// step's completion is): the next durable commit, such as the started record of the step a
// checkpoint comes before, carries it to disk. A checkpoint is taken before and after every
// side effect, and an fsync each would double a step's cost on a slow disk.
func (j *Journal) AddCheckpoint(ctx context.Context, c Checkpoint) (Checkpoint, error) {
	if c.ID == "" {
		c.ID = NewID("ckp")
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = fromStamp(j.stamp())
	}
	if len(c.Excluded) == 0 {
		c.Excluded = json.RawMessage("[]")
	}
	_, err := j.execStmt(ctx, j.addCheckpoint,
		c.ID, c.RunID, c.Seq, c.Phase, c.Workspace, c.Manifest, c.Files, c.Bytes, c.AddedBytes, string(c.Excluded), c.CreatedAt.UnixNano())
	if err != nil {
		return c, fmt.Errorf("add checkpoint of run %s step %d: %w", c.RunID, c.Seq, err)
	}
	return c, nil
}

// Checkpoints lists a run's checkpoints in the order they were taken.
func (j *Journal) Checkpoints(ctx context.Context, runID string) ([]Checkpoint, error) {
	return j.queryCheckpoints(ctx, "checkpoints of "+runID, `SELECT `+checkpointColumns+` FROM checkpoints WHERE run_id = ? ORDER BY created_at, rowid`, runID)
}

// SessionCheckpoints lists the checkpoints of every run of a session, oldest first.
func (j *Journal) SessionCheckpoints(ctx context.Context, sessionID string) ([]Checkpoint, error) {
	return j.queryCheckpoints(ctx, "checkpoints of "+sessionID, `SELECT `+checkpointColumns+` FROM checkpoints
		WHERE run_id IN (SELECT id FROM runs WHERE session_id = ?) ORDER BY created_at, rowid`, sessionID)
}

// LatestCheckpoint returns the newest checkpoint of a workspace directory, or ErrNotFound.
func (j *Journal) LatestCheckpoint(ctx context.Context, workspace string) (Checkpoint, error) {
	c, err := scanCheckpoint(j.db.QueryRowContext(ctx, `SELECT `+checkpointColumns+` FROM checkpoints
		WHERE workspace = ? ORDER BY created_at DESC, rowid DESC LIMIT 1`, workspace))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return c, fmt.Errorf("latest checkpoint of %s: %w", workspace, ErrNotFound)
	case err != nil:
		return c, fmt.Errorf("latest checkpoint of %s: %w", workspace, classify(err))
	}
	return c, nil
}

// CheckpointByID returns one checkpoint, or ErrNotFound.
func (j *Journal) CheckpointByID(ctx context.Context, id string) (Checkpoint, error) {
	c, err := scanCheckpoint(j.db.QueryRowContext(ctx, `SELECT `+checkpointColumns+` FROM checkpoints WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return c, fmt.Errorf("checkpoint %s: %w", id, ErrNotFound)
	case err != nil:
		return c, fmt.Errorf("checkpoint %s: %w", id, classify(err))
	}
	return c, nil
}

// Manifests lists every manifest some checkpoint still names (what garbage collection keeps).
func (j *Journal) Manifests(ctx context.Context) ([]string, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT DISTINCT manifest FROM checkpoints`)
	if err != nil {
		return nil, fmt.Errorf("manifests: %w", classify(err))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, fmt.Errorf("manifests: %w", classify(err))
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("manifests: %w", classify(err))
	}
	return out, nil
}

// DeleteCheckpoints deletes checkpoint records by id (garbage collection of the oldest).
func (j *Journal) DeleteCheckpoints(ctx context.Context, ids []string) error {
	return j.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `DELETE FROM checkpoints WHERE id = ?`, id); err != nil {
				return fmt.Errorf("delete checkpoint %s: %w", id, err)
			}
		}
		return nil
	})
}

// AllCheckpoints lists every checkpoint, oldest first.
func (j *Journal) AllCheckpoints(ctx context.Context) ([]Checkpoint, error) {
	return j.queryCheckpoints(ctx, "checkpoints", `SELECT `+checkpointColumns+` FROM checkpoints ORDER BY created_at, rowid`)
}

func (j *Journal) queryCheckpoints(ctx context.Context, what, query string, args ...any) ([]Checkpoint, error) {
	rows, err := j.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, classify(err))
	}
	defer rows.Close()
	var out []Checkpoint
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, classify(err))
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, classify(err))
	}
	return out, nil
}

// AddRestore records a restore; an empty ID gets a new one, a zero At now.
func (j *Journal) AddRestore(ctx context.Context, r Restore) (Restore, error) {
	if r.ID == "" {
		r.ID = NewID("rst")
	}
	if r.At.IsZero() {
		r.At = fromStamp(j.stamp())
	}
	warnings, err := json.Marshal(append([]string{}, r.Warnings...))
	if err != nil {
		return r, err
	}
	_, err = j.exec(ctx, j.db, `INSERT INTO restores (id, run_id, seq, phase, target, undo, changed, git, warnings, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.RunID, r.Seq, r.Phase, r.Target, r.Undo, r.Changed, boolInt(r.Git), string(warnings), r.At.UnixNano())
	if err != nil {
		return r, fmt.Errorf("add restore of run %s: %w", r.RunID, err)
	}
	return r, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Restores lists a run's restores in the order they happened.
func (j *Journal) Restores(ctx context.Context, runID string) ([]Restore, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT id, seq, phase, target, undo, changed, git, warnings, at FROM restores WHERE run_id = ? ORDER BY at, rowid`, runID)
	if err != nil {
		return nil, fmt.Errorf("restores of %s: %w", runID, classify(err))
	}
	defer rows.Close()
	var out []Restore
	for rows.Next() {
		r := Restore{RunID: runID}
		var git int
		var warnings string
		var at int64
		if err := rows.Scan(&r.ID, &r.Seq, &r.Phase, &r.Target, &r.Undo, &r.Changed, &git, &warnings, &at); err != nil {
			return nil, fmt.Errorf("restores of %s: %w", runID, classify(err))
		}
		r.Git, r.At = git == 1, fromStamp(at)
		if err := json.Unmarshal([]byte(warnings), &r.Warnings); err != nil {
			return nil, fmt.Errorf("restores of %s: warnings: %w", runID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("restores of %s: %w", runID, classify(err))
	}
	return out, nil
}

// AddFork records that a session was forked from a step of another run.
func (j *Journal) AddFork(ctx context.Context, f Fork) (Fork, error) {
	if f.CreatedAt.IsZero() {
		f.CreatedAt = fromStamp(j.stamp())
	}
	_, err := j.exec(ctx, j.db, `INSERT INTO forks (session_id, from_session, from_run, at_seq, checkpoint, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		f.SessionID, f.FromSession, f.FromRun, f.AtSeq, f.Checkpoint, f.CreatedAt.UnixNano())
	if err != nil {
		return f, fmt.Errorf("add fork %s: %w", f.SessionID, err)
	}
	return f, nil
}

// ForkOf returns where a session was forked from, or ErrNotFound when it was not forked.
func (j *Journal) ForkOf(ctx context.Context, sessionID string) (Fork, error) {
	f := Fork{SessionID: sessionID}
	var created int64
	err := j.db.QueryRowContext(ctx, `SELECT from_session, from_run, at_seq, checkpoint, created_at FROM forks WHERE session_id = ?`, sessionID).
		Scan(&f.FromSession, &f.FromRun, &f.AtSeq, &f.Checkpoint, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return f, fmt.Errorf("fork of %s: %w", sessionID, ErrNotFound)
	case err != nil:
		return f, fmt.Errorf("fork of %s: %w", sessionID, classify(err))
	}
	f.CreatedAt = fromStamp(created)
	return f, nil
}

// Forks lists every fork record, oldest first.
func (j *Journal) Forks(ctx context.Context) ([]Fork, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT session_id, from_session, from_run, at_seq, checkpoint, created_at FROM forks ORDER BY created_at`)
	if err != nil {
		return nil, fmt.Errorf("forks: %w", classify(err))
	}
	defer rows.Close()
	var out []Fork
	for rows.Next() {
		var f Fork
		var created int64
		if err := rows.Scan(&f.SessionID, &f.FromSession, &f.FromRun, &f.AtSeq, &f.Checkpoint, &created); err != nil {
			return nil, fmt.Errorf("forks: %w", classify(err))
		}
		f.CreatedAt = fromStamp(created)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("forks: %w", classify(err))
	}
	return out, nil
}
