package agent

import (
	"context"
	"fmt"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
)

// Replayed is where replaying a run's recorded history through the loop ended: the
// outcome Drive would record, had the history been made by this code.
type Replayed struct {
	// Status is the run's status at the end: completed, awaiting_approval, interrupted
	// or failed.
	Status journal.RunStatus
	// Error is the text the run would keep with that status (empty when completed).
	Error string
	// Final is the last model turn's text of a completed run.
	Final string
	// Steps is how many steps the loop went through, the last one included.
	Steps int
}

// ReplayHooks see what the loop rebuilds while ReplayHistory replays a run; nil ones are
// not called. They run on the replaying goroutine, in seq order.
type ReplayHooks struct {
	// Request sees the request a model step rebuilds, before the step replays.
	Request func(seq int, req llm.Request)
	// Step sees what the loop asks for at each config, model and tool step (name, kind,
	// idempotence, input) before it is looked up; approval steps are not shown.
	Step func(seq int, spec journal.StepSpec)
}

// ReplayHistory drives a run's recorded history through the loop without recording its
// status or resumes, and says where it ends; hooks see what the loop rebuilds on the way.
// The run may be in any status and of any session, imported ones included.
//
// Completed steps are replayed from the history. A step the history lacks, or one left
// started that may run again, goes to the journal and then to the Runner's Models and
// Sandboxes as in Drive: to replay only, give it a Runner whose Models and Sandboxes refuse.
// The returned error is an infrastructure failure (the run cannot be read); a history the
// loop does not meet (a nondeterminism error, a record it cannot decode) ends as failed,
// with the reason in Error.
func (r *Runner) ReplayHistory(ctx context.Context, runID string, hooks ReplayHooks) (Replayed, error) {
	run, err := r.config.Journal.Run(ctx, runID)
	if err != nil {
		return Replayed{}, fmt.Errorf("agent: replay: %w", err)
	}
	cur, err := r.config.Journal.ReplayCursor(ctx, run.ID)
	if err != nil {
		return Replayed{}, fmt.Errorf("agent: replay run %s: %w", run.ID, err)
	}
	l := &loop{r: r, d: r.drive(nil), run: run, cur: cur, hooks: hooks, replayOnly: true}
	final, runErr := l.drive(ctx)
	l.close()
	if ctx.Err() != nil {
		return Replayed{}, fmt.Errorf("agent: replay run %s: %w", run.ID, ctx.Err())
	}
	status, _, errText, _ := outcome(ctx, run.ID, runErr)
	if status != journal.RunCompleted {
		final = ""
	}
	return Replayed{Status: status, Error: errText, Final: final, Steps: l.cur.Seq()}, nil
}
