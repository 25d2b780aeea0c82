package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/corral-dev/corral/backend/checkpoint"
	"github.com/corral-dev/corral/backend/journal"
)

// Forked is a session made by Fork.
type Forked struct {
	Session journal.Session
	Fork    journal.Fork
	// Warning says what the fork could not copy as it was (empty when all went as asked).
	Warning string
}

// Fork makes a new session from step atSeq of a run: its conversation is the run's session
// history up to that step (what the next run of the fork sends the model), and its workspace
// a copy of the run's workspace as it was after that step (from the checkpoint). The
// original session is not touched; the lineage is a journal record.
func (r *Runner) Fork(ctx context.Context, runID string, atSeq int) (Forked, error) {
	if r.config.Checkpoints == nil {
		return Forked{}, errors.New("agent: fork needs checkpoints, and this Corral keeps none")
	}
	run, err := r.config.Journal.Run(ctx, runID)
	if err != nil {
		return Forked{}, fmt.Errorf("agent: fork: %w", err)
	}
	if atSeq < 1 || atSeq > run.Steps {
		return Forked{}, fmt.Errorf("agent: fork %s at step %d: the run has steps 1 to %d", runID, atSeq, run.Steps)
	}
	_, c, err := r.config.Checkpoints.Find(ctx, runID, atSeq, true)
	var warning string
	switch {
	case errors.Is(err, checkpoint.ErrNoCheckpoint):
		// No step of the session changed the workspace up to there: the agent left it as it
		// is, unless a person changed it since.
		if c, err = r.config.Checkpoints.Take(ctx, checkpoint.Point{RunID: runID, Seq: atSeq, Phase: journal.PhaseAfter, Workspace: run.Workspace}); err != nil {
			return Forked{}, fmt.Errorf("agent: fork %s: %w", runID, err)
		}
		warning = "no step before the fork point changed the workspace; it was copied as it is now"
	case err != nil:
		return Forked{}, fmt.Errorf("agent: fork %s: %w", runID, err)
	}
	orig, err := r.config.Journal.Session(ctx, run.SessionID)
	if err != nil {
		return Forked{}, fmt.Errorf("agent: fork %s: %w", runID, err)
	}
	if orig.Imported() {
		return Forked{}, fmt.Errorf("agent: session %s was imported and is read-only; it has no workspace to fork", orig.ID)
	}
	id := journal.NewID("ses")
	ws := filepath.Join(r.config.DataDir, "workspaces", id)
	if err := os.MkdirAll(ws, 0o755); err != nil {
		return Forked{}, fmt.Errorf("agent: create workspace: %w", err)
	}
	if err := r.config.Checkpoints.Materialize(ctx, c, ws); err != nil {
		return Forked{}, fmt.Errorf("agent: fork %s: %w", runID, err)
	}
	title := fmt.Sprintf("%s (fork at step %d)", orig.Title, atSeq)
	sess, err := r.config.Journal.CreateSession(ctx, journal.Session{ID: id, Title: title, Workspace: ws})
	if err != nil {
		return Forked{}, fmt.Errorf("agent: fork: %w", err)
	}
	f, err := r.config.Journal.AddFork(ctx, journal.Fork{SessionID: id, FromSession: orig.ID, FromRun: runID, AtSeq: atSeq, Checkpoint: c.ID})
	if err != nil {
		return Forked{}, fmt.Errorf("agent: fork: %w", err)
	}
	return Forked{Session: sess, Fork: f, Warning: warning}, nil
}

// stepsUpTo keeps the steps numbered up to seq.
func stepsUpTo(steps []journal.Step, seq int) []journal.Step {
	for i, st := range steps {
		if st.Seq > seq {
			return steps[:i]
		}
	}
	return steps
}
