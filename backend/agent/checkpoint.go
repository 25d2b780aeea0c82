package agent

import (
	"context"
	"fmt"

	"github.com/corral-dev/corral/backend/checkpoint"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/tool"
)

// Checkpointer keeps the workspace states a person can go back to (checkpoint.Store).
type Checkpointer interface {
	// Take checkpoints a workspace at a point of a run and records it.
	Take(ctx context.Context, at checkpoint.Point) (journal.Checkpoint, error)
	// Find returns a run and the checkpoint of its workspace before or after step seq.
	Find(ctx context.Context, runID string, seq int, after bool) (journal.Run, journal.Checkpoint, error)
	// Materialize writes a checkpoint's workspace into an empty folder.
	Materialize(ctx context.Context, c journal.Checkpoint, dir string) error
	// Compare returns the regular files that differ between two checkpoints.
	Compare(ctx context.Context, a, b journal.Checkpoint) ([]checkpoint.FileChange, error)
}

// runToolCheckpointed runs a tool call, checkpointing the run's workspace just before and
// just after when the tool can change it (it is not idempotent: exec, write, edit), so the
// workspace can be restored to either side of the step. Replayed steps do not run, so they
// take none. A checkpoint that cannot be taken fails the step: a side effect that could not
// be undone must not pass for one that can.
func (l *loop) runToolCheckpointed(ctx context.Context, seq int, t tool.Tool, known bool, use llm.Block, live *liveOutput) (tool.Result, error) {
	if l.r.config.Checkpoints == nil || !known || use.InputError != "" || t.Idempotent() || l.run.Workspace == "" {
		return l.runTool(ctx, t, known, use, live)
	}
	at := checkpoint.Point{RunID: l.run.ID, Seq: seq, Phase: journal.PhaseBefore, Workspace: l.run.Workspace}
	before, err := l.r.config.Checkpoints.Take(ctx, at)
	if err != nil {
		return tool.Result{}, fmt.Errorf("agent: checkpoint before step %d: %w", seq, err)
	}
	at.Phase = journal.PhaseAfter
	tr := &stepTracker{cp: l.r.config.Checkpoints, at: at, before: before}
	res, err := l.runTool(tool.WithTracker(ctx, tr), t, known, use, live)
	if err != nil {
		return res, err
	}
	if !tr.taken {
		if _, err := l.r.config.Checkpoints.Take(ctx, at); err != nil {
			return res, fmt.Errorf("agent: checkpoint after step %d: %w", seq, err)
		}
	}
	return res, nil
}

// stepTracker tells exec what its command changed from the step's checkpoints: it takes the
// checkpoint after the step (once) and compares it with the one before, so a command costs
// no walk of its own.
type stepTracker struct {
	cp     Checkpointer
	at     checkpoint.Point
	before journal.Checkpoint
	taken  bool
}

// Changed implements tool.Tracker.
func (t *stepTracker) Changed(ctx context.Context) ([]tool.FileChange, error) {
	if t.taken {
		return nil, fmt.Errorf("agent: step %d: changes asked for twice", t.at.Seq)
	}
	after, err := t.cp.Take(ctx, t.at)
	if err != nil {
		return nil, fmt.Errorf("checkpoint after step %d: %w", t.at.Seq, err)
	}
	t.taken = true
	diff, err := t.cp.Compare(ctx, t.before, after)
	if err != nil {
		return nil, err
	}
	out := make([]tool.FileChange, len(diff))
	for i, c := range diff {
		out[i] = tool.FileChange{Path: c.Path, Op: c.Op, Bytes: c.Size}
	}
	return out, nil
}
