package journal_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
)

var errBoom = errors.New("boom")

// fnCounter is a step function that counts its calls and returns a fixed
// result or error.
type fnCounter struct {
	calls  int
	result journal.StepResult
	err    error
}

func (f *fnCounter) fn(context.Context) (journal.StepResult, error) {
	f.calls++
	return f.result, f.err
}

func done(out string) func(context.Context) (journal.StepResult, error) {
	return func(context.Context) (journal.StepResult, error) {
		return journal.StepResult{Output: []byte(out)}, nil
	}
}

// leaveStarted records a step as started and stops, the way a process that
// is shut down mid-step does: fn sees its context end.
func leaveStarted(t *testing.T, j *journal.Journal, runID string, seq int, spec journal.StepSpec) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, err := j.Step(ctx, runID, seq, spec, func(ctx context.Context) (journal.StepResult, error) {
		cancel()
		return journal.StepResult{}, ctx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Step(%q) with cancelled fn = %v, want %v", spec.Name, err, context.Canceled)
	}
	s, err := j.GetStep(t.Context(), runID, seq)
	if err != nil || s.Status != journal.StepStarted {
		t.Fatalf("GetStep(%d) = %+v, %v, want started", seq, s, err)
	}
}

func TestStep(t *testing.T) {
	t.Parallel()
	tool := journal.StepSpec{Name: "exec", Kind: "tool", Input: []byte(`{"cmd":"ls"}`)}
	llm := journal.StepSpec{Name: "claude", Kind: "llm", Idempotent: true, Input: []byte(`{"messages":[]}`)}

	tests := []struct {
		name    string
		history func(t *testing.T, b *bundle) // records what is at seq 1 before the call
		spec    journal.StepSpec
		fn      fnCounter

		wantCalls    int
		wantErr      error // matched with errors.Is; nil means success
		wantStatus   journal.StepStatus
		wantOutput   string
		wantAttempt  int
		wantReplayed bool
		wantResolved journal.Action
	}{
		{
			name:      "absent step runs and completes",
			history:   func(*testing.T, *bundle) {},
			spec:      tool,
			fn:        fnCounter{result: journal.StepResult{Output: []byte("a.go"), Usage: journal.Usage{InputTokens: 3}, CostUSD: 0.5}},
			wantCalls: 1, wantStatus: journal.StepCompleted, wantOutput: "a.go", wantAttempt: 1,
		},
		{
			name:      "absent step whose fn fails is recorded failed",
			history:   func(*testing.T, *bundle) {},
			spec:      tool,
			fn:        fnCounter{err: errBoom},
			wantCalls: 1, wantErr: errBoom, wantStatus: journal.StepFailed, wantAttempt: 1,
		},
		{
			name: "completed step replays without calling fn",
			history: func(t *testing.T, b *bundle) {
				mustStep(t, b, 1, tool, done("recorded"))
			},
			spec:      tool,
			fn:        fnCounter{result: journal.StepResult{Output: []byte("new")}},
			wantCalls: 0, wantStatus: journal.StepCompleted, wantOutput: "recorded", wantAttempt: 1, wantReplayed: true,
		},
		{
			name: "failed step replays its failure without calling fn",
			history: func(t *testing.T, b *bundle) {
				b.j.Step(b.ctx, b.runID, 1, tool, (&fnCounter{err: errBoom}).fn)
			},
			spec:      tool,
			fn:        fnCounter{},
			wantCalls: 0, wantErr: journal.ErrStepFailed, wantStatus: journal.StepFailed, wantAttempt: 1, wantReplayed: true,
		},
		{
			name: "different name is nondeterminism",
			history: func(t *testing.T, b *bundle) {
				mustStep(t, b, 1, tool, done("x"))
			},
			spec:      journal.StepSpec{Name: "read", Kind: "tool"},
			wantCalls: 0, wantErr: journal.ErrNondeterminism,
		},
		{
			name: "different kind is nondeterminism",
			history: func(t *testing.T, b *bundle) {
				mustStep(t, b, 1, tool, done("x"))
			},
			spec:      journal.StepSpec{Name: "exec", Kind: "approval"},
			wantCalls: 0, wantErr: journal.ErrNondeterminism,
		},
		{
			name: "started idempotent step runs again",
			history: func(t *testing.T, b *bundle) {
				leaveStarted(t, b.j, b.runID, 1, llm)
			},
			spec:      llm,
			fn:        fnCounter{result: journal.StepResult{Output: []byte("reply")}},
			wantCalls: 1, wantStatus: journal.StepCompleted, wantOutput: "reply", wantAttempt: 2,
		},
		{
			name: "started non-idempotent step is interrupted",
			history: func(t *testing.T, b *bundle) {
				leaveStarted(t, b.j, b.runID, 1, tool)
			},
			spec:      tool,
			fn:        fnCounter{},
			wantCalls: 0, wantErr: journal.ErrInterrupted, wantStatus: journal.StepStarted, wantAttempt: 1,
		},
		{
			name: "interrupted step resolved rerun runs again",
			history: func(t *testing.T, b *bundle) {
				leaveStarted(t, b.j, b.runID, 1, tool)
				mustResolve(t, b, 1, journal.Resolution{Action: journal.ActionRerun})
			},
			spec:      tool,
			fn:        fnCounter{result: journal.StepResult{Output: []byte("ran again")}},
			wantCalls: 1, wantStatus: journal.StepCompleted, wantOutput: "ran again", wantAttempt: 2,
			wantResolved: journal.ActionRerun,
		},
		{
			name: "interrupted step resolved skip replays the given output",
			history: func(t *testing.T, b *bundle) {
				leaveStarted(t, b.j, b.runID, 1, tool)
				mustResolve(t, b, 1, journal.Resolution{Action: journal.ActionSkip, Output: []byte("skipped")})
			},
			spec:      tool,
			fn:        fnCounter{},
			wantCalls: 0, wantStatus: journal.StepCompleted, wantOutput: "skipped", wantAttempt: 1, wantReplayed: true,
			wantResolved: journal.ActionSkip,
		},
		{
			name: "interrupted step resolved fail replays the failure",
			history: func(t *testing.T, b *bundle) {
				leaveStarted(t, b.j, b.runID, 1, tool)
				mustResolve(t, b, 1, journal.Resolution{Action: journal.ActionFail, Message: "gave up"})
			},
			spec:      tool,
			fn:        fnCounter{},
			wantCalls: 0, wantErr: journal.ErrStepFailed, wantStatus: journal.StepFailed, wantAttempt: 1, wantReplayed: true,
			wantResolved: journal.ActionFail,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			tt.history(t, b)

			got, err := b.j.Step(b.ctx, b.runID, 1, tt.spec, tt.fn.fn)
			if tt.fn.calls != tt.wantCalls {
				t.Errorf("Step(%q) called fn %d times, want %d", tt.spec.Name, tt.fn.calls, tt.wantCalls)
			}
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("Step(%q) = %v, want %v", tt.spec.Name, err, tt.wantErr)
			}
			if tt.wantStatus == "" {
				return
			}
			if got.Status != tt.wantStatus || string(got.Output) != tt.wantOutput || got.Attempt != tt.wantAttempt ||
				got.Replayed != tt.wantReplayed || got.Resolution != tt.wantResolved {
				t.Errorf("Step(%q) = {Status: %s, Output: %q, Attempt: %d, Replayed: %v, Resolution: %q}, want {%s, %q, %d, %v, %q}",
					tt.spec.Name, got.Status, got.Output, got.Attempt, got.Replayed, got.Resolution,
					tt.wantStatus, tt.wantOutput, tt.wantAttempt, tt.wantReplayed, tt.wantResolved)
			}

			// What Step returned is what a later reader sees.
			stored, err := b.j.GetStep(b.ctx, b.runID, 1)
			if err != nil {
				t.Fatalf("GetStep() = %v", err)
			}
			got.Replayed = false
			if !sameStep(stored, got) {
				t.Errorf("GetStep() = %+v, want %+v", stored, got)
			}
		})
	}
}

// sameStep compares steps field by field; times compare with Equal.
func sameStep(a, b journal.Step) bool {
	return a.RunID == b.RunID && a.Seq == b.Seq && a.Name == b.Name && a.Kind == b.Kind && a.Status == b.Status &&
		a.Idempotent == b.Idempotent && a.Attempt == b.Attempt && bytes.Equal(a.Input, b.Input) &&
		bytes.Equal(a.Output, b.Output) && a.Error == b.Error && a.Usage == b.Usage && a.CostUSD == b.CostUSD &&
		a.StartedAt.Equal(b.StartedAt) && a.FinishedAt.Equal(b.FinishedAt) && a.Resolution == b.Resolution &&
		a.RerunPending == b.RerunPending && a.Replayed == b.Replayed
}

func mustStep(t *testing.T, b *bundle, seq int, spec journal.StepSpec, fn func(context.Context) (journal.StepResult, error)) journal.Step {
	t.Helper()
	s, err := b.j.Step(b.ctx, b.runID, seq, spec, fn)
	if err != nil {
		t.Fatalf("Step(%q) = %v, want nil", spec.Name, err)
	}
	return s
}

func mustResolve(t *testing.T, b *bundle, seq int, r journal.Resolution) journal.Step {
	t.Helper()
	s, err := b.j.Resolve(b.ctx, b.runID, seq, r)
	if err != nil {
		t.Fatalf("Resolve(%d, %s) = %v, want nil", seq, r.Action, err)
	}
	return s
}

func TestStepErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tool := journal.StepSpec{Name: "exec", Kind: "tool"}
	mustStep(t, b, 1, tool, done("x"))

	t.Run("nondeterminism names run, seq, history and code", func(t *testing.T) {
		_, err := b.j.Step(b.ctx, b.runID, 1, journal.StepSpec{Name: "claude", Kind: "llm"}, done("y"))
		var nd *journal.NondeterminismError
		if !errors.As(err, &nd) {
			t.Fatalf("Step(%q) = %v, want *NondeterminismError", "claude", err)
		}
		want := journal.NondeterminismError{Kind: journal.DifferentStep, RunID: "r1", Seq: 1,
			Want: journal.StepRef{Kind: "tool", Name: "exec"}, Got: journal.StepRef{Kind: "llm", Name: "claude"}}
		if *nd != want {
			t.Errorf("Step(%q) error = %+v, want %+v", "claude", *nd, want)
		}
		wantMsg := `journal: nondeterminism in run r1 at seq 1: history has tool "exec", code asked for llm "claude"`
		if err.Error() != wantMsg {
			t.Errorf("Step(%q) error = %q, want %q", "claude", err, wantMsg)
		}
	})

	t.Run("fn error is wrapped in StepFailedError", func(t *testing.T) {
		_, err := b.j.Step(b.ctx, b.runID, 2, tool, (&fnCounter{err: errBoom}).fn)
		var sf *journal.StepFailedError
		if !errors.As(err, &sf) || !errors.Is(err, errBoom) || !errors.Is(err, journal.ErrStepFailed) {
			t.Fatalf("Step(%q) = %v, want *StepFailedError wrapping %v", tool.Name, err, errBoom)
		}
		if sf.Seq != 2 || sf.Message != "boom" {
			t.Errorf("Step(%q) error = %+v, want Seq 2, Message boom", tool.Name, sf)
		}
	})

	t.Run("interrupted error", func(t *testing.T) {
		leaveStarted(t, b.j, b.runID, 3, tool)
		_, err := b.j.Step(b.ctx, b.runID, 3, tool, done("z"))
		var ie *journal.InterruptedError
		if !errors.As(err, &ie) || !errors.Is(err, journal.ErrInterrupted) {
			t.Fatalf("Step(%q) = %v, want *InterruptedError", tool.Name, err)
		}
		want := journal.InterruptedError{RunID: "r1", Seq: 3, Name: "exec", Kind: "tool"}
		if *ie != want {
			t.Errorf("Step(%q) error = %+v, want %+v", tool.Name, *ie, want)
		}
	})

	t.Run("same step twice at once", func(t *testing.T) {
		var inner error
		mustStep(t, b, 4, tool, func(ctx context.Context) (journal.StepResult, error) {
			_, inner = b.j.Step(ctx, b.runID, 4, tool, done("again"))
			_, rerr := b.j.Resolve(ctx, b.runID, 4, journal.Resolution{Action: journal.ActionSkip})
			if !errors.Is(rerr, journal.ErrStepInFlight) {
				t.Errorf("Resolve() of a running step = %v, want %v", rerr, journal.ErrStepInFlight)
			}
			return journal.StepResult{}, nil
		})
		if !errors.Is(inner, journal.ErrStepInFlight) {
			t.Errorf("Step(%q) inside itself = %v, want %v", tool.Name, inner, journal.ErrStepInFlight)
		}
	})

	t.Run("unknown run", func(t *testing.T) {
		_, err := b.j.Step(b.ctx, "nope", 1, tool, done("x"))
		if !errors.Is(err, journal.ErrNotFound) {
			t.Errorf("Step(%q) in unknown run = %v, want %v", tool.Name, err, journal.ErrNotFound)
		}
	})

	t.Run("seq below 1", func(t *testing.T) {
		if _, err := b.j.Step(b.ctx, b.runID, 0, tool, done("x")); err == nil {
			t.Errorf("Step(%q) at seq 0 = nil, want error", tool.Name)
		}
	})
}

func TestResolve(t *testing.T) {
	t.Parallel()
	tool := journal.StepSpec{Name: "exec", Kind: "tool"}
	tests := []struct {
		name         string
		history      func(t *testing.T, b *bundle)
		res          journal.Resolution
		wantErr      error
		wantStatus   journal.StepStatus
		wantOutput   string
		wantError    string
		wantRerun    bool
		wantFinished bool
	}{
		{
			name:       "rerun",
			history:    func(t *testing.T, b *bundle) { leaveStarted(t, b.j, b.runID, 1, tool) },
			res:        journal.Resolution{Action: journal.ActionRerun},
			wantStatus: journal.StepStarted, wantRerun: true,
		},
		{
			name:       "skip",
			history:    func(t *testing.T, b *bundle) { leaveStarted(t, b.j, b.runID, 1, tool) },
			res:        journal.Resolution{Action: journal.ActionSkip, Output: []byte(`{"skipped":true}`)},
			wantStatus: journal.StepCompleted, wantOutput: `{"skipped":true}`, wantFinished: true,
		},
		{
			name:       "fail",
			history:    func(t *testing.T, b *bundle) { leaveStarted(t, b.j, b.runID, 1, tool) },
			res:        journal.Resolution{Action: journal.ActionFail, Message: "the user gave up"},
			wantStatus: journal.StepFailed, wantError: "the user gave up", wantFinished: true,
		},
		{
			name:    "completed step is not interrupted",
			history: func(t *testing.T, b *bundle) { mustStep(t, b, 1, tool, done("x")) },
			res:     journal.Resolution{Action: journal.ActionSkip},
			wantErr: journal.ErrNotInterrupted,
		},
		{
			name:    "absent step",
			history: func(*testing.T, *bundle) {},
			res:     journal.Resolution{Action: journal.ActionRerun},
			wantErr: journal.ErrNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			tt.history(t, b)
			got, err := b.j.Resolve(b.ctx, b.runID, 1, tt.res)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("Resolve(%s) = %v, want %v", tt.res.Action, err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if got.Status != tt.wantStatus || string(got.Output) != tt.wantOutput || got.Error != tt.wantError ||
				got.RerunPending != tt.wantRerun || got.Resolution != tt.res.Action || got.FinishedAt.IsZero() == tt.wantFinished {
				t.Errorf("Resolve(%s) = %+v, want status %s, output %q, error %q, rerun pending %v, finished %v",
					tt.res.Action, got, tt.wantStatus, tt.wantOutput, tt.wantError, tt.wantRerun, tt.wantFinished)
			}
		})
	}

	t.Run("unknown action", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		leaveStarted(t, b.j, b.runID, 1, tool)
		if _, err := b.j.Resolve(b.ctx, b.runID, 1, journal.Resolution{Action: "retry"}); err == nil {
			t.Errorf("Resolve(%q) = nil, want error", "retry")
		}
	})
}

func TestRecord(t *testing.T) {
	t.Parallel()
	approval := journal.StepSpec{Name: "approve exec", Kind: "approval", Input: []byte(`{"cmd":"rm -rf build"}`)}
	decision := journal.StepResult{Output: []byte(`{"approved":true}`)}
	tests := []struct {
		name         string
		history      func(t *testing.T, b *bundle)
		spec         journal.StepSpec
		wantErr      error
		wantOutput   string
		wantReplayed bool
	}{
		{"absent", func(*testing.T, *bundle) {}, approval, nil, `{"approved":true}`, false},
		{"started", func(t *testing.T, b *bundle) { leaveStarted(t, b.j, b.runID, 1, approval) }, approval, nil, `{"approved":true}`, false},
		{"completed", func(t *testing.T, b *bundle) {
			if _, err := b.j.Record(b.ctx, b.runID, 1, approval, journal.StepResult{Output: []byte("first")}); err != nil {
				t.Fatal(err)
			}
		}, approval, nil, "first", true},
		{"failed", func(t *testing.T, b *bundle) {
			b.j.Step(b.ctx, b.runID, 1, approval, (&fnCounter{err: errBoom}).fn)
		}, approval, journal.ErrStepFailed, "", false},
		{"different step", func(t *testing.T, b *bundle) {
			mustStep(t, b, 1, journal.StepSpec{Name: "exec", Kind: "tool"}, done("x"))
		}, approval, journal.ErrNondeterminism, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			tt.history(t, b)
			got, err := b.j.Record(b.ctx, b.runID, 1, tt.spec, decision)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("Record(%q) = %v, want %v", tt.spec.Name, err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if string(got.Output) != tt.wantOutput || got.Replayed != tt.wantReplayed || got.Status != journal.StepCompleted {
				t.Errorf("Record(%q) = %+v, want completed with output %q, replayed %v", tt.spec.Name, got, tt.wantOutput, tt.wantReplayed)
			}
			stored, err := b.j.GetStep(b.ctx, b.runID, 1)
			if err != nil || string(stored.Output) != tt.wantOutput || stored.Status != journal.StepCompleted {
				t.Errorf("GetStep() = %+v, %v, want completed with output %q", stored, err, tt.wantOutput)
			}
		})
	}
}

func TestStepsAndLastSeq(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if seq, err := b.j.LastSeq(b.ctx, b.runID); seq != 0 || err != nil {
		t.Errorf("LastSeq() of an empty run = %d, %v, want 0, nil", seq, err)
	}
	// Recorded out of order, read back in seq order.
	for _, seq := range []int{3, 1, 2, 10} {
		mustStep(t, b, seq, journal.StepSpec{Name: fmt.Sprint("s", seq), Kind: "tool"}, done(fmt.Sprint(seq)))
	}
	steps, err := b.j.Steps(b.ctx, b.runID)
	if err != nil {
		t.Fatalf("Steps() = %v", err)
	}
	var seqs []string
	for _, s := range steps {
		seqs = append(seqs, fmt.Sprint(s.Seq, "=", string(s.Output)))
	}
	if got, want := strings.Join(seqs, " "), "1=1 2=2 3=3 10=10"; got != want {
		t.Errorf("Steps() = %s, want %s", got, want)
	}
	if seq, err := b.j.LastSeq(b.ctx, b.runID); seq != 10 || err != nil {
		t.Errorf("LastSeq() = %d, %v, want 10, nil", seq, err)
	}
	if _, err := b.j.GetStep(b.ctx, b.runID, 4); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("GetStep(4) = %v, want %v", err, journal.ErrNotFound)
	}
}

// TestCrashChild is not a test: TestStepAfterCrash runs the test binary
// with it to have a process die in the middle of a step.
func TestCrashChild(t *testing.T) {
	path := os.Getenv("JOURNAL_CRASH_DB")
	if path == "" {
		t.Skip("helper process for TestStepAfterCrash")
	}
	j, err := journal.Open(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	spec := journal.StepSpec{Name: "work", Kind: os.Getenv("JOURNAL_CRASH_KIND"), Idempotent: os.Getenv("JOURNAL_CRASH_IDEMPOTENT") == "1"}
	j.Step(context.Background(), "r1", 2, spec, func(context.Context) (journal.StepResult, error) {
		os.Exit(3) // the side effect is under way when the process dies
		return journal.StepResult{}, nil
	})
	os.Exit(1)
}

func TestStepAfterCrash(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		kind        string
		idempotent  bool
		wantErr     error
		wantCalls   int
		wantAttempt int
	}{
		{"idempotent step runs again", "llm", true, nil, 1, 2},
		{"non-idempotent step is interrupted", "tool", false, journal.ErrInterrupted, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			mustStep(t, b, 1, journal.StepSpec{Name: "before", Kind: "tool"}, done("kept"))
			b.j.Close()

			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
			idem := "0"
			if tt.idempotent {
				idem = "1"
			}
			cmd.Env = append(os.Environ(), "JOURNAL_CRASH_DB="+b.path, "JOURNAL_CRASH_KIND="+tt.kind, "JOURNAL_CRASH_IDEMPOTENT="+idem)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 3 {
				t.Fatalf("crashing child = %v, want exit status 3; output:\n%s", err, out)
			}

			// A new process opens the journal and resumes the run.
			j := openT(t, b.path)
			steps, err := j.Steps(b.ctx, "r1")
			if err != nil || len(steps) != 2 || string(steps[0].Output) != "kept" || steps[1].Status != journal.StepStarted {
				t.Fatalf("Steps() after crash = %+v, %v, want [completed, started]", steps, err)
			}
			fn := fnCounter{result: journal.StepResult{Output: []byte("done")}}
			spec := journal.StepSpec{Name: "work", Kind: tt.kind, Idempotent: tt.idempotent}
			got, err := j.Step(b.ctx, "r1", 2, spec, fn.fn)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("Step(%q) after crash = %v, want %v", spec.Name, err, tt.wantErr)
			}
			if fn.calls != tt.wantCalls || got.Attempt != tt.wantAttempt {
				t.Errorf("Step(%q) after crash: %d calls, attempt %d, want %d calls, attempt %d",
					spec.Name, fn.calls, got.Attempt, tt.wantCalls, tt.wantAttempt)
			}
		})
	}
}

func TestStepCancelledLeavesStarted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	spec := journal.StepSpec{Name: "exec", Kind: "tool"}
	leaveStarted(t, b.j, b.runID, 1, spec)

	// fn finished its side effect just as ctx ended: the result is kept.
	ctx, cancel := context.WithCancel(b.ctx)
	got, err := b.j.Step(ctx, b.runID, 2, spec, func(context.Context) (journal.StepResult, error) {
		cancel()
		return journal.StepResult{Output: []byte("made it")}, nil
	})
	if err != nil || got.Status != journal.StepCompleted {
		t.Fatalf("Step(%q) cancelled after fn succeeded = %+v, %v, want completed", spec.Name, got, err)
	}
}

func TestConcurrentSteps(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// A second Journal on the same file stands in for another process, so
	// writers meet in SQLite's locking as well as in the Journal.
	other := openT(t, b.path)
	const runs, steps = 8, 25
	for i := range runs {
		if _, err := b.j.CreateRun(b.ctx, journal.Run{ID: fmt.Sprint("c", i), SessionID: "s1"}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, runs*steps)
	for i := range runs {
		j := b.j
		if i%2 == 1 {
			j = other
		}
		wg.Go(func() {
			runID := fmt.Sprint("c", i)
			for seq := 1; seq <= steps; seq++ {
				_, err := j.Step(b.ctx, runID, seq, journal.StepSpec{Name: "exec", Kind: "tool"},
					func(context.Context) (journal.StepResult, error) {
						return journal.StepResult{Output: []byte(runID), Usage: journal.Usage{OutputTokens: 1}}, nil
					})
				if err != nil {
					errs <- fmt.Errorf("Step(%s, %d) = %w", runID, seq, err)
				}
				if seq%10 == 0 {
					if err := j.SetRunStatus(b.ctx, runID, journal.RunAwaitingApproval, ""); err != nil {
						errs <- fmt.Errorf("SetRunStatus(%s) = %w", runID, err)
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range runs {
		r, err := b.j.Run(b.ctx, fmt.Sprint("c", i))
		if err != nil || r.Steps != steps || r.Usage.OutputTokens != steps {
			t.Errorf("Run(c%d) = %d steps, %d output tokens, %v, want %d, %d, nil", i, r.Steps, r.Usage.OutputTokens, err, steps, steps)
		}
	}
}

func TestParseAction(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   string
		want journal.Action
		err  error
	}{
		{name: "rerun", in: "rerun", want: journal.ActionRerun},
		{name: "skip", in: "skip", want: journal.ActionSkip},
		{name: "fail", in: "fail", want: journal.ActionFail},
		{name: "empty", in: "", err: journal.ErrUnknownAction},
		{name: "other word", in: "explode", err: journal.ErrUnknownAction},
		{name: "case matters", in: "Rerun", err: journal.ErrUnknownAction},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := journal.ParseAction(tc.in)
			if got != tc.want || !errors.Is(err, tc.err) {
				t.Fatalf("ParseAction(%q) = %q, %v, want %q, %v", tc.in, got, err, tc.want, tc.err)
			}
			if err != nil && !strings.Contains(err.Error(), "rerun, skip or fail") {
				t.Errorf("ParseAction(%q) error = %q, want it to name rerun, skip or fail", tc.in, err)
			}
			if got.Valid() != (tc.err == nil) {
				t.Errorf("Action(%q).Valid() = %v, want %v", tc.in, got.Valid(), tc.err == nil)
			}
		})
	}
}

func TestResolveUnknownAction(t *testing.T) {
	t.Parallel()
	b := setup(t)
	leaveStarted(t, b.j, b.runID, 1, journal.StepSpec{Name: "exec", Kind: "tool"})
	if _, err := b.j.Resolve(b.ctx, b.runID, 1, journal.Resolution{Action: "explode"}); !errors.Is(err, journal.ErrUnknownAction) {
		t.Errorf("Resolve(explode) = %v, want %v", err, journal.ErrUnknownAction)
	}
}

// A function that fails with an error matching ErrStepUnfinished leaves its
// step started: an idempotent one runs again on the next call and completes.
func TestStepUnfinished(t *testing.T) {
	t.Parallel()
	b := setup(t)
	spec := journal.StepSpec{Name: "model", Kind: "llm", Idempotent: true}
	fault := fmt.Errorf("provider down: %w", journal.ErrStepUnfinished)
	_, err := b.j.Step(b.ctx, b.runID, 1, spec, func(context.Context) (journal.StepResult, error) { return journal.StepResult{}, fault })
	if !errors.Is(err, journal.ErrStepUnfinished) {
		t.Fatalf("Step() = %v, want %v", err, journal.ErrStepUnfinished)
	}
	st, err := b.j.GetStep(b.ctx, b.runID, 1)
	if err != nil || st.Status != journal.StepStarted || st.Error != "" {
		t.Fatalf("GetStep(1) after an unfinished fn = %+v, %v; want started, no error", st, err)
	}
	got, err := b.j.Step(b.ctx, b.runID, 1, spec, done("answer"))
	if err != nil || got.Status != journal.StepCompleted || got.Attempt != 2 || string(got.Output) != "answer" {
		t.Fatalf("Step() again = %+v, %v; want completed at attempt 2 with the answer", got, err)
	}
}

// TestKeepPartial: a started step keeps the output it had so far and stays started; a skip
// then replaces it; a completed step refuses it.
func TestKeepPartial(t *testing.T) {
	t.Parallel()
	tool := journal.StepSpec{Name: "exec", Kind: "tool"}
	ctx := context.Background()
	b := setup(t)
	leaveStarted(t, b.j, b.runID, 1, tool)
	if err := b.j.KeepPartial(ctx, b.runID, 1, []byte(`{"content":"so far"}`)); err != nil {
		t.Fatalf("KeepPartial(started) = %v", err)
	}
	s, err := b.j.GetStep(ctx, b.runID, 1)
	if err != nil || s.Status != journal.StepStarted || string(s.Output) != `{"content":"so far"}` {
		t.Fatalf("GetStep = %+v, %v; want the step started with the partial output", s, err)
	}
	if _, err := b.j.Resolve(ctx, b.runID, 1, journal.Resolution{Action: journal.ActionSkip, Output: []byte(`{"skipped":true}`)}); err != nil {
		t.Fatal(err)
	}
	if s, _ := b.j.GetStep(ctx, b.runID, 1); string(s.Output) != `{"skipped":true}` {
		t.Errorf("after skip output = %s, want the skip's", s.Output)
	}
	if err := b.j.KeepPartial(ctx, b.runID, 1, []byte(`{}`)); !errors.Is(err, journal.ErrNotInterrupted) {
		t.Errorf("KeepPartial(completed) = %v, want ErrNotInterrupted", err)
	}
}
