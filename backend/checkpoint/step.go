package checkpoint

import (
	"context"
	"errors"
	"fmt"

	"github.com/corral-dev/corral/backend/journal"
)

// ErrRunLive means a run of the workspace's session is running: its agent could change the
// workspace while it is restored.
var ErrRunLive = errors.New("checkpoint: a run of this session is running")

// Find returns a run and the checkpoint holding its workspace before or after step seq.
func (s *Store) Find(ctx context.Context, runID string, seq int, after bool) (journal.Run, journal.Checkpoint, error) {
	run, err := s.journal.Run(ctx, runID)
	if err != nil {
		return run, journal.Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	c, err := s.At(ctx, run, seq, after)
	return run, c, err
}

// List returns a run's checkpoints in the order they were taken.
func (s *Store) List(ctx context.Context, runID string) ([]journal.Checkpoint, error) {
	if _, err := s.journal.Run(ctx, runID); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	list, err := s.journal.Checkpoints(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return list, nil
}

// RestoreStep restores a run's workspace to before or after step seq (see Restore). It is
// refused while a run of the session is running.
func (s *Store) RestoreStep(ctx context.Context, runID string, seq int, after bool, opts RestoreOptions) (Result, error) {
	run, c, err := s.Find(ctx, runID, seq, after)
	if err != nil {
		return Result{}, err
	}
	if err := s.idle(ctx, run); err != nil {
		return Result{}, err
	}
	return s.Restore(ctx, c, opts)
}

// PreviewStep is RestoreStep's preview, with text diffs.
func (s *Store) PreviewStep(ctx context.Context, runID string, seq int, after bool, opts RestoreOptions) (Plan, error) {
	_, c, err := s.Find(ctx, runID, seq, after)
	if err != nil {
		return Plan{}, err
	}
	opts.Diffs = true
	return s.Preview(ctx, c, opts)
}

// Undo restores the checkpoint taken just before a run's latest restore, undoing it.
func (s *Store) Undo(ctx context.Context, runID string, opts RestoreOptions) (Result, error) {
	run, err := s.journal.Run(ctx, runID)
	if err != nil {
		return Result{}, fmt.Errorf("checkpoint: %w", err)
	}
	list, err := s.journal.Restores(ctx, runID)
	if err != nil {
		return Result{}, fmt.Errorf("checkpoint: %w", err)
	}
	if len(list) == 0 {
		return Result{}, fmt.Errorf("checkpoint: run %s has no restore to undo", runID)
	}
	c, err := s.journal.CheckpointByID(ctx, list[len(list)-1].Undo)
	if err != nil {
		return Result{}, fmt.Errorf("checkpoint: %w", err)
	}
	if err := s.idle(ctx, run); err != nil {
		return Result{}, err
	}
	return s.Restore(ctx, c, opts)
}

// idle refuses while a run of the session is running here or elsewhere.
func (s *Store) idle(ctx context.Context, run journal.Run) error {
	runs, err := s.journal.Runs(ctx, journal.RunFilter{SessionID: run.SessionID})
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	for _, r := range runs {
		if r.Status == journal.RunRunning {
			return fmt.Errorf("%w (%s): stop it first", ErrRunLive, r.ID)
		}
	}
	return nil
}
