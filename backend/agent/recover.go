package agent

import (
	"context"
	"fmt"

	"github.com/corral-dev/corral/backend/journal"
)

// Recovered is the outcome of resuming one run at start-up.
type Recovered struct {
	Run journal.Run
	Err error // why it stopped again, if it did (ErrSuspended, a failure, ctx ended)
}

// Recover resumes, one after another, the runs a crash left running (their process died
// without recording an outcome), and reports how each ended. It stops early when ctx ends.
func (r *Runner) Recover(ctx context.Context) ([]Recovered, error) {
	runs, err := r.config.Journal.RunsWithStatus(ctx, journal.RunRunning)
	if err != nil {
		return nil, fmt.Errorf("agent: find runs to recover: %w", err)
	}
	out := make([]Recovered, 0, len(runs))
	for _, run := range runs {
		if ctx.Err() != nil {
			break
		}
		if run.ParentRunID != "" {
			continue // its parent, resumed too, drives it
		}
		got, err := r.Drive(ctx, run.ID)
		out = append(out, Recovered{Run: got, Err: err})
	}
	return out, nil
}
