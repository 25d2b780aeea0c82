package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/tool"
)

// ErrNothingToResolve means the run has no step cut off by a crash.
var ErrNothingToResolve = errors.New("agent: run has no interrupted step")

// Resolve applies a person's decision to the step a crash or a cancel cut off in an
// interrupted or cancelled run:
// rerun it, skip it (the model is told it did not run, with message), or fail the run.
// The run can then be resumed with Drive (except after fail).
func (r *Runner) Resolve(ctx context.Context, runID string, action journal.Action, message string) (journal.Step, error) {
	if _, err := journal.ParseAction(string(action)); err != nil {
		return journal.Step{}, fmt.Errorf("agent: resolve run %s: %w", runID, err)
	}
	run, err := r.config.Journal.Run(ctx, runID)
	if err != nil {
		return journal.Step{}, fmt.Errorf("agent: %w", err)
	}
	steps, err := r.config.Journal.Steps(ctx, runID)
	if err != nil {
		return journal.Step{}, fmt.Errorf("agent: run %s: %w", runID, err)
	}
	var cut *journal.Step
	for i := range steps {
		if steps[i].Status == journal.StepStarted && !steps[i].RerunPending && steps[i].Kind != record.KindApproval {
			cut = &steps[i]
		}
	}
	if cut != nil && cut.Idempotent {
		// An idempotent step left started (a model call in flight, or one a fault paused)
		// runs again by itself: there is nothing for a person to decide, unless another
		// process is running it right now.
		// (The journal then refuses the resolution with the owner's name.)
		_, elsewhere, err := r.config.Journal.DrivenElsewhere(ctx, runID)
		if err != nil {
			return journal.Step{}, fmt.Errorf("agent: run %s: %w", runID, err)
		}
		if !elsewhere {
			cut = nil
		}
	}
	if cut == nil {
		return journal.Step{}, fmt.Errorf("%w: run %s is %s", ErrNothingToResolve, run.ID, run.Status)
	}
	res := journal.Resolution{Action: action, Message: message}
	if action == journal.ActionSkip {
		text := "The user chose to skip this action after Corral was interrupted while it ran; it may or may not have taken effect. Check before relying on it."
		if r.cancelledWhileRunning(ctx, run) {
			text = "The user cancelled this action while it ran and chose to skip it; it may or may not have taken effect. Check before relying on it."
			if kept, err := record.DecodeToolOutput(cut.Output); len(cut.Output) > 0 && err == nil {
				if _, sofar, ok := strings.Cut(kept.Content, "--- output so far ---\n"); ok {
					text += "\nIts output before the cancel:\n" + sofar
				}
			}
		}
		if message != "" {
			text += " The user says: " + message
		}
		res.Output, _ = json.Marshal(tool.Result{Content: text, IsError: true})
	}
	st, err := r.config.Journal.Resolve(ctx, runID, cut.Seq, res)
	if err != nil {
		return st, fmt.Errorf("agent: resolve run %s step %d: %w", runID, cut.Seq, err)
	}
	if action == journal.ActionFail {
		reason := "failed by the user after an interruption"
		if message != "" {
			reason += ": " + message
		}
		if err := r.config.Journal.SetRunStatus(ctx, runID, journal.RunFailed, reason); err != nil {
			return st, err
		}
	}
	return st, nil
}

// cancelledWhileRunning reports whether the run's cut-off step was cut off by the person
// cancelling the run (rather than by a crash): the run is cancelled, or it was resumed
// after a cancel and found the step cut off.
func (r *Runner) cancelledWhileRunning(ctx context.Context, run journal.Run) bool {
	if run.Status == journal.RunCancelled {
		return true
	}
	rs, err := r.config.Journal.Resumes(ctx, run.ID)
	return err == nil && len(rs) > 0 && rs[len(rs)-1].Reason == ResumeCancelled
}
