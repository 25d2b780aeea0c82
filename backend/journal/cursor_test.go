package journal_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
)

var (
	cfgSpec   = journal.StepSpec{Name: "run.config", Kind: "config", Idempotent: true}
	modelSpec = journal.StepSpec{Name: "model", Kind: "llm", Idempotent: true}
	execSpec  = journal.StepSpec{Name: "exec", Kind: "tool"}
	gateSpec  = journal.StepSpec{Name: "exec", Kind: "approval", Idempotent: true, Input: []byte(`{"tool":"exec"}`)}
)

// recorded gives a run two completed steps: its configuration and a model call.
func recorded(t *testing.T) *bundle {
	t.Helper()
	b := setup(t)
	mustStep(t, b, 1, cfgSpec, done(`{"agent":"coder"}`))
	mustStep(t, b, 2, modelSpec, done(`{"content":[]}`))
	return b
}

func cursor(t *testing.T, b *bundle, replayOnly bool) *journal.Cursor {
	t.Helper()
	open := b.j.Cursor
	if replayOnly {
		open = b.j.ReplayCursor
	}
	c, err := open(b.ctx, b.runID)
	if err != nil {
		t.Fatalf("Cursor(%q) = %v", b.runID, err)
	}
	return c
}

func TestCursorReplaysThenRuns(t *testing.T) {
	t.Parallel()
	b := recorded(t)
	c := cursor(t, b, false)
	if n := len(c.History()); n != 2 {
		t.Fatalf("History() has %d steps, want 2", n)
	}
	for i, spec := range []journal.StepSpec{cfgSpec, modelSpec} {
		f := &fnCounter{}
		s, err := c.Step(b.ctx, spec, f.fn)
		if err != nil || !s.Replayed || s.Seq != i+1 || f.calls != 0 {
			t.Fatalf("Step(%q) = seq %d replayed %v, %v after %d calls; want seq %d replayed, no call", spec.Name, s.Seq, s.Replayed, err, f.calls, i+1)
		}
	}
	f := &fnCounter{result: journal.StepResult{Output: []byte(`{"content":"ok"}`)}}
	s, err := c.Step(b.ctx, execSpec, f.fn)
	if err != nil || s.Replayed || s.Seq != 3 || f.calls != 1 {
		t.Fatalf("Step(%q) = seq %d replayed %v, %v after %d calls; want seq 3 run once", execSpec.Name, s.Seq, s.Replayed, err, f.calls)
	}
	got, err := b.j.GetStep(b.ctx, b.runID, 3)
	if err != nil || got.Status != journal.StepCompleted || string(got.Output) != `{"content":"ok"}` {
		t.Errorf("GetStep(3) = %+v, %v, want completed with the output", got, err)
	}
	if c.Seq() != 3 {
		t.Errorf("Seq() = %d, want 3", c.Seq())
	}
	if err := c.Done(); err != nil {
		t.Errorf("Done() = %v, want nil", err)
	}
}

func TestCursorPeek(t *testing.T) {
	t.Parallel()
	b := recorded(t)
	if _, err := b.j.Begin(b.ctx, b.runID, 3, gateSpec); err != nil {
		t.Fatalf("Begin(3) = %v", err)
	}
	c := cursor(t, b, false)
	for _, spec := range []journal.StepSpec{cfgSpec, modelSpec} {
		if _, err := c.Step(b.ctx, spec, nil); err != nil {
			t.Fatalf("Step(%q) = %v", spec.Name, err)
		}
	}
	for range 2 { // Peek does not advance
		s, ok := c.Peek()
		if !ok || s.Seq != 3 || s.Status != journal.StepStarted || string(s.Input) != `{"tool":"exec"}` || c.Seq() != 2 {
			t.Fatalf("Peek() = seq %d %s %s, %v (cursor at %d), want seq 3 started with its input, cursor at 2", s.Seq, s.Status, s.Input, ok, c.Seq())
		}
	}
	s, err := c.Begin(b.ctx, gateSpec)
	if err != nil || s.Seq != 3 || s.Status != journal.StepStarted || !s.Replayed {
		t.Fatalf("Begin(pending) = %+v, %v, want the started step, replayed", s, err)
	}
	if s, ok := c.Peek(); ok {
		t.Errorf("Peek() at the end = seq %d, want nothing", s.Seq)
	}
}

func TestCursorRecord(t *testing.T) {
	t.Parallel()
	b := recorded(t)
	c := cursor(t, b, false)
	out := journal.StepResult{Output: []byte(`{"outcome":{"run":true}}`)}
	s, err := c.Record(b.ctx, cfgSpec, out)
	if err != nil || !s.Replayed || string(s.Output) != `{"agent":"coder"}` {
		t.Fatalf("Record(recorded) = %+v, %v, want the recorded step unchanged", s, err)
	}
	if _, err := c.Step(b.ctx, modelSpec, nil); err != nil {
		t.Fatalf("Step(%q) = %v", modelSpec.Name, err)
	}
	if s, err = c.Record(b.ctx, gateSpec, out); err != nil || s.Replayed || s.Seq != 3 {
		t.Fatalf("Record(new) = %+v, %v, want seq 3 recorded", s, err)
	}
	if got, err := b.j.GetStep(b.ctx, b.runID, 3); err != nil || got.Status != journal.StepCompleted {
		t.Errorf("GetStep(3) = %+v, %v, want completed", got, err)
	}
}

func TestCursorInterrupted(t *testing.T) {
	t.Parallel()
	b := recorded(t)
	leaveStarted(t, b.j, b.runID, 3, execSpec)
	c := cursor(t, b, false)
	for _, spec := range []journal.StepSpec{cfgSpec, modelSpec} {
		if _, err := c.Step(b.ctx, spec, nil); err != nil {
			t.Fatalf("Step(%q) = %v", spec.Name, err)
		}
	}
	f := &fnCounter{}
	if _, err := c.Step(b.ctx, execSpec, f.fn); !errors.Is(err, journal.ErrInterrupted) || f.calls != 0 {
		t.Errorf("Step(cut off) = %v after %d calls, want %v and no call", err, f.calls, journal.ErrInterrupted)
	}
}

func TestCursorNondeterminism(t *testing.T) {
	t.Parallel()
	other := journal.StepSpec{Name: "write", Kind: "tool"}
	for _, tc := range []struct {
		name       string
		replayOnly bool
		// drive asks for steps; its error is checked.
		drive func(ctx context.Context, c *journal.Cursor, f *fnCounter) error
		want  journal.NondeterminismError
		msg   string
	}{
		{
			name: "different name by Step",
			drive: func(ctx context.Context, c *journal.Cursor, f *fnCounter) error {
				_, err := c.Step(ctx, journal.StepSpec{Name: "glob", Kind: "config"}, f.fn)
				return err
			},
			want: journal.NondeterminismError{Kind: journal.DifferentStep, RunID: "r1", Seq: 1,
				Want: journal.StepRef{Kind: "config", Name: "run.config"}, Got: journal.StepRef{Kind: "config", Name: "glob"}},
			msg: `history has config "run.config", code asked for config "glob"`,
		},
		{
			name: "different kind by Begin",
			drive: func(ctx context.Context, c *journal.Cursor, f *fnCounter) error {
				if _, err := c.Step(ctx, cfgSpec, f.fn); err != nil {
					return err
				}
				_, err := c.Begin(ctx, journal.StepSpec{Name: "model", Kind: "approval"})
				return err
			},
			want: journal.NondeterminismError{Kind: journal.DifferentStep, RunID: "r1", Seq: 2,
				Want: journal.StepRef{Kind: "llm", Name: "model"}, Got: journal.StepRef{Kind: "approval", Name: "model"}},
			msg: `history has llm "model", code asked for approval "model"`,
		},
		{
			name: "different step by Record",
			drive: func(ctx context.Context, c *journal.Cursor, f *fnCounter) error {
				_, err := c.Record(ctx, other, journal.StepResult{})
				return err
			},
			want: journal.NondeterminismError{Kind: journal.DifferentStep, RunID: "r1", Seq: 1,
				Want: journal.StepRef{Kind: "config", Name: "run.config"}, Got: journal.StepRef{Kind: "tool", Name: "write"}},
			msg: `history has config "run.config", code asked for tool "write"`,
		},
		{
			name:       "extra step past the end of a replayed history",
			replayOnly: true,
			drive: func(ctx context.Context, c *journal.Cursor, f *fnCounter) error {
				for _, spec := range []journal.StepSpec{cfgSpec, modelSpec, other} {
					if _, err := c.Step(ctx, spec, f.fn); err != nil {
						return err
					}
				}
				return nil
			},
			want: journal.NondeterminismError{Kind: journal.ExtraStep, RunID: "r1", Seq: 3,
				Got: journal.StepRef{Kind: "tool", Name: "write"}},
			msg: `extra step: history ended at seq 2, code asked for tool "write"`,
		},
		{
			name: "missing step when the code finishes early",
			drive: func(ctx context.Context, c *journal.Cursor, f *fnCounter) error {
				if _, err := c.Step(ctx, cfgSpec, f.fn); err != nil {
					return err
				}
				return c.Done()
			},
			want: journal.NondeterminismError{Kind: journal.MissingStep, RunID: "r1", Seq: 2,
				Want: journal.StepRef{Kind: "llm", Name: "model"}},
			msg: `missing step: history has llm "model", code asked for no more steps`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := recorded(t)
			c := cursor(t, b, tc.replayOnly)
			f := &fnCounter{}
			err := tc.drive(b.ctx, c, f)
			var nd *journal.NondeterminismError
			if !errors.As(err, &nd) || !errors.Is(err, journal.ErrNondeterminism) {
				t.Fatalf("drive = %v, want a *NondeterminismError", err)
			}
			if *nd != tc.want {
				t.Errorf("error = %+v, want %+v", *nd, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "run r1") {
				t.Errorf("error = %q, want it to name the run and say %q", err, tc.msg)
			}
			if f.calls != 0 {
				t.Errorf("step functions ran %d times, want 0", f.calls)
			}
			if last, err := b.j.LastSeq(b.ctx, b.runID); err != nil || last != 2 {
				t.Errorf("LastSeq() = %d, %v, want 2 (nothing recorded)", last, err)
			}
		})
	}
}

func TestCursorUnknownRun(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c, err := b.j.Cursor(b.ctx, "nope")
	if err != nil {
		t.Fatalf("Cursor(nope) = %v, want an empty cursor", err)
	}
	if _, ok := c.Peek(); ok || len(c.History()) != 0 {
		t.Errorf("Cursor(nope): Peek found a step or History has %d, want none", len(c.History()))
	}
}
