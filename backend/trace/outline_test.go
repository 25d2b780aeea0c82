package trace_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/trace"
)

// plainSource hides every optional capability of a journal but the required ones.
type plainSource struct{ j *journal.Journal }

func (p plainSource) Run(ctx context.Context, id string) (journal.Run, error) {
	return p.j.Run(ctx, id)
}
func (p plainSource) Steps(ctx context.Context, runID string) ([]journal.Step, error) {
	return p.j.Steps(ctx, runID)
}
func (p plainSource) Runs(ctx context.Context, f journal.RunFilter) ([]journal.Run, error) {
	return p.j.Runs(ctx, f)
}

// outlineBundle is a 40-step run with a tool error, a failed step, a refused approval and a
// long error.
func outlineBundle() trace.Bundle {
	b := bigBundle(40)
	st := b.Runs[0].Steps
	st[2].Output = []byte(`{"content":"Exit code: 1\n","is_error":true,"meta":{"exit_code":1,"duration_ms":5}}`)
	st[4].Status, st[4].Output, st[4].Error = journal.StepFailed, nil, strings.Repeat("boom ", 100)
	st[6] = journal.Step{RunID: st[6].RunID, Seq: st[6].Seq, Kind: "approval", Name: "exec", Status: journal.StepCompleted, Attempt: 1,
		Input: []byte(`{"tool":"exec","input":{"command":"rm -rf /"}}`), StartedAt: st[6].StartedAt, FinishedAt: st[6].FinishedAt,
		Output: []byte(`{"assessment":{"decision":"ask","reason":"destructive"},"answer":{"kind":"deny","by":"ana"},"outcome":{"run":false}}`)}
	return b
}

// TestLoadOutline checks that the outline read from step heads (without content) says
// what the whole trace says of every step, and that a source without step heads gives the
// same outline.
func TestLoadOutline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := outlineBundle()
	j := openJournal(t)
	h := b.Runs[0]
	if err := j.ImportRun(ctx, b.Session, h.Run, h.Steps, []journal.Resume{{RunID: h.Run.ID, AfterSeq: 10, Reason: "interrupted", At: h.Steps[10].StartedAt}}); err != nil {
		t.Fatal(err)
	}
	full, err := trace.Load(ctx, j, h.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := trace.OutlineOf(full)
	got, err := trace.LoadOutline(ctx, j, h.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("LoadOutline differs from OutlineOf(Load) (-want +got):\n%s", d)
	}
	if len(got.Steps) != 40 || !got.Steps[2].IsError || got.Steps[4].Status != journal.StepFailed || !got.Steps[6].IsError || got.Steps[3].IsError {
		t.Errorf("LoadOutline steps 3, 4, 5, 7 = %+v, %+v, %+v, %+v; want a tool error, a success, a failure and a refusal",
			got.Steps[2], got.Steps[3], got.Steps[4], got.Steps[6])
	}
	if n := len([]rune(got.Steps[4].Error)); n != 201 {
		t.Errorf("LoadOutline step 5 error has %d characters, want 200 and an ellipsis", n)
	}
	if got.Steps[2].RequestedBy != 2 {
		t.Errorf("LoadOutline step 3 requested_by = %d, want 2", got.Steps[2].RequestedBy)
	}
	if len(got.Spans) != 2 || got.Spans[0].Kind != trace.KindRun || got.Spans[1].Kind != trace.KindResume {
		t.Errorf("LoadOutline spans = %d (%v...), want the root and the resume", len(got.Spans), got.Spans[0].Kind)
	}
	plain, err := trace.LoadOutline(ctx, plainSource{j}, h.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(trace.OutlineOf(mustLoad(t, plainSource{j}, h.Run.ID)), plain); d != "" {
		t.Errorf("LoadOutline without step heads (-want +got):\n%s", d)
	}
	fullJSON, _ := json.Marshal(full)
	outJSON, _ := json.Marshal(got)
	if len(outJSON)*4 > len(fullJSON) {
		t.Errorf("outline is %d bytes, trace %d: want less than a quarter", len(outJSON), len(fullJSON))
	}
}

// TestLoadSteps checks that a range of steps comes back with the spans and content Load
// gives them, and that bad ranges and unknown runs are errors.
func TestLoadSteps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := outlineBundle()
	j := openJournal(t)
	h := b.Runs[0]
	if err := j.ImportRun(ctx, b.Session, h.Run, h.Steps, nil); err != nil {
		t.Fatal(err)
	}
	full := mustLoad(t, j, h.Run.ID)
	for _, r := range [][2]int{{1, 1}, {2, 9}, {7, 7}, {35, 40}, {39, 60}} {
		for _, src := range []trace.Source{j, plainSource{j}} {
			got, err := trace.LoadSteps(ctx, src, h.Run.ID, r[0], r[1])
			if err != nil {
				t.Fatalf("LoadSteps(%d, %d): %v", r[0], r[1], err)
			}
			var want []trace.Span
			for _, sp := range full.Spans[1:] {
				if sp.Seq >= r[0] && sp.Seq <= r[1] {
					want = append(want, sp)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("LoadSteps(%d, %d) = %d spans, want %d", r[0], r[1], len(got), len(want))
			}
			for i := range want {
				// What pairs a call with the model call that asked for it comes from outside the
				// range for its first calls: the outline has it.
				want[i].RequestedBy = got[i].RequestedBy
				for _, k := range []string{"gen_ai.tool.call.id", "corral.approval.tool_call_id"} {
					if _, ok := got[i].Attributes[k]; !ok {
						delete(want[i].Attributes, k)
					}
				}
				if d := cmp.Diff(want[i], got[i]); d != "" {
					t.Errorf("LoadSteps(%d, %d) span of step %d (-Load +LoadSteps):\n%s", r[0], r[1], want[i].Seq, d)
				}
			}
		}
	}
	for _, r := range [][2]int{{0, 3}, {5, 4}, {1, 1 + trace.MaxStepRange}} {
		if _, err := trace.LoadSteps(ctx, j, h.Run.ID, r[0], r[1]); err == nil {
			t.Errorf("LoadSteps(%d, %d) = nil error, want a bad range", r[0], r[1])
		}
	}
	if _, err := trace.LoadSteps(ctx, j, "run_none", 1, 2); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("LoadSteps(run_none) error = %v, want journal.ErrNotFound", err)
	}
}
