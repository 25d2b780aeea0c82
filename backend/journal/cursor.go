package journal

import (
	"context"
	"fmt"
	"slices"
)

// Cursor walks the steps of one run in seq order, for one drive of the run.
// It loads the run's history once (one query) and then applies the
// journal's rule at each next seq: a completed step is returned from the
// loaded history (Replayed set) without calling anything, a step the code
// names differently is a [DifferentStep] [*NondeterminismError], and
// anything else (absent, started, failed) goes through [Journal.Step],
// [Journal.Begin] or [Journal.Record], which record it or report it
// interrupted or failed. Every call that hands out a step advances the
// cursor by one, whether it succeeds or not.
//
// A cursor belongs to one goroutine. It is not updated by steps recorded
// through other cursors or processes after it was made; it reads each seq
// once, so a step it has passed is never looked at again.
type Cursor struct {
	j       *Journal
	runID   string
	history []Step
	seq     int // the seq of the last step handed out; 0 before the first
	// replayOnly makes a step the history lacks an [ExtraStep] error instead
	// of something to run.
	replayOnly bool
}

// Cursor returns a cursor before the first step of a run, with the run's
// history loaded.
func (j *Journal) Cursor(ctx context.Context, runID string) (*Cursor, error) {
	history, err := j.Steps(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("cursor: %w", err)
	}
	return &Cursor{j: j, runID: runID, history: history}, nil
}

// ReplayCursor returns a cursor that only replays: a step the run's history
// does not have is an [ExtraStep] [*NondeterminismError], nothing is
// recorded and no function runs for it. It checks that code meets a
// recorded history step for step (a saved history in a test, say).
func (j *Journal) ReplayCursor(ctx context.Context, runID string) (*Cursor, error) {
	c, err := j.Cursor(ctx, runID)
	if err != nil {
		return nil, err
	}
	c.replayOnly = true
	return c, nil
}

// History returns the run's steps as they were loaded, in seq order. The
// caller must not change them.
func (c *Cursor) History() []Step { return c.history }

// Seq returns the seq of the last step the cursor handed out, 0 before the
// first; the next step is Seq()+1.
func (c *Cursor) Seq() int { return c.seq }

// Peek returns what the loaded history has at the next seq, in any status,
// without advancing; ok is false when it has nothing there. A step found
// started is one waiting to complete (an approval waiting for a person) or
// one cut off.
func (c *Cursor) Peek() (s Step, ok bool) { return c.at(c.seq + 1) }

// Step advances to the next seq and replays or runs the step there by the
// journal's rule (see [Journal.Step] for started and failed steps).
func (c *Cursor) Step(ctx context.Context, spec StepSpec, fn func(ctx context.Context) (StepResult, error)) (Step, error) {
	seq := c.advance()
	if s, ok, err := c.recorded(seq, spec, true); ok || err != nil {
		return s, err
	}
	return c.j.Step(ctx, c.runID, seq, spec, fn)
}

// Begin advances to the next seq and records the step there as started,
// as [Journal.Begin] does. A step already recorded there, in any status, is
// returned as loaded (Replayed set) after its name and kind are checked.
func (c *Cursor) Begin(ctx context.Context, spec StepSpec) (Step, error) {
	seq := c.advance()
	if s, ok, err := c.recorded(seq, spec, false); ok || err != nil {
		return s, err
	}
	return c.j.Begin(ctx, c.runID, seq, spec)
}

// BeginLazy is Begin committed without its own fsync ([Journal.BeginLazy]).
func (c *Cursor) BeginLazy(ctx context.Context, spec StepSpec) (Step, error) {
	seq := c.advance()
	if s, ok, err := c.recorded(seq, spec, false); ok || err != nil {
		return s, err
	}
	return c.j.BeginLazy(ctx, c.runID, seq, spec)
}

// RecordLazy is Record committed without its own fsync ([Journal.RecordLazy]).
func (c *Cursor) RecordLazy(ctx context.Context, spec StepSpec, result StepResult) (Step, error) {
	seq := c.advance()
	if s, ok, err := c.recorded(seq, spec, true); ok || err != nil {
		return s, err
	}
	return c.j.RecordLazy(ctx, c.runID, seq, spec, result)
}

// Record advances to the next seq and records the step there as completed
// with result, as [Journal.Record] does. A step already completed there is
// returned as loaded (Replayed set) after its name and kind are checked.
func (c *Cursor) Record(ctx context.Context, spec StepSpec, result StepResult) (Step, error) {
	seq := c.advance()
	if s, ok, err := c.recorded(seq, spec, true); ok || err != nil {
		return s, err
	}
	return c.j.Record(ctx, c.runID, seq, spec, result)
}

// Done reports whether the code has met the whole history: a step recorded
// after the cursor's seq is a [MissingStep] [*NondeterminismError]. Call it
// when the code has finished the run.
func (c *Cursor) Done() error {
	for _, s := range c.history {
		if s.Seq > c.seq {
			return nondeterminism(MissingStep, c.runID, s.Seq, s.Ref(), StepRef{})
		}
	}
	return nil
}

func (c *Cursor) advance() int {
	c.seq++
	return c.seq
}

// recorded applies the rule to the loaded history at seq: ok when the step
// is answered from it (only completed ones when completedOnly), an error
// when the code and the history disagree. ok false and no error means the
// journal must decide.
func (c *Cursor) recorded(seq int, spec StepSpec, completedOnly bool) (Step, bool, error) {
	s, found := c.at(seq)
	switch {
	case !found && c.replayOnly:
		return Step{}, false, nondeterminism(ExtraStep, c.runID, seq, StepRef{}, StepRef{Kind: spec.Kind, Name: spec.Name})
	case !found:
		return Step{}, false, nil
	}
	if err := differs(s, spec); err != nil {
		return Step{}, false, err
	}
	if completedOnly && s.Status != StepCompleted {
		return Step{}, false, nil
	}
	s.Replayed = true
	return s, true, nil
}

// at returns the loaded step at seq.
func (c *Cursor) at(seq int) (Step, bool) {
	if i := seq - 1; i >= 0 && i < len(c.history) && c.history[i].Seq == seq {
		return c.history[i], true
	}
	i, ok := slices.BinarySearchFunc(c.history, seq, func(s Step, seq int) int { return s.Seq - seq })
	if !ok {
		return Step{}, false
	}
	return c.history[i], true
}
