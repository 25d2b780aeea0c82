package journal_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
)

// sumSteps is a run's summary as its steps add up.
func sumSteps(t *testing.T, j *journal.Journal, runID string) (steps int, u journal.Usage, cost float64) {
	t.Helper()
	all, err := j.Steps(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		u.InputTokens += s.Usage.InputTokens
		u.OutputTokens += s.Usage.OutputTokens
		u.CacheReadTokens += s.Usage.CacheReadTokens
		u.CacheWriteTokens += s.Usage.CacheWriteTokens
		cost += s.CostUSD
	}
	return len(all), u, cost
}

// TestRunTotals: the step count, tokens and cost a run carries (kept by triggers, migration
// 0007) are what its steps add up to after each way a step is written: begun, completed,
// recorded, failed, resolved, imported.
func TestRunTotals(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	j, err := journal.Open(ctx, filepath.Join(t.TempDir(), "corral.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := j.CreateSession(ctx, journal.Session{ID: "s1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.CreateRun(ctx, journal.Run{ID: "r1", SessionID: "s1"}); err != nil {
		t.Fatal(err)
	}
	model := journal.StepSpec{Name: "model", Kind: "llm", Idempotent: true}
	tool := journal.StepSpec{Name: "exec", Kind: "tool"}
	used := func(in, out int64, cost float64) func(context.Context) (journal.StepResult, error) {
		return func(context.Context) (journal.StepResult, error) {
			return journal.StepResult{Output: []byte(`{}`), Usage: journal.Usage{InputTokens: in, OutputTokens: out, CacheReadTokens: in / 2, CacheWriteTokens: 7}, CostUSD: cost}, nil
		}
	}
	check := func(what string) {
		t.Helper()
		run, err := j.Run(ctx, "r1")
		if err != nil {
			t.Fatal(err)
		}
		n, u, cost := sumSteps(t, j, "r1")
		if run.Steps != n || run.Usage != u || math.Abs(run.CostUSD-cost) > 1e-12 {
			t.Errorf("after %s: Run() = %d steps, %+v, $%v; its steps add up to %d, %+v, $%v", what, run.Steps, run.Usage, run.CostUSD, n, u, cost)
		}
		if n == 0 {
			t.Errorf("after %s: no steps", what)
		}
	}
	if _, err := j.Step(ctx, "r1", 1, model, used(1000, 80, 0.0042)); err != nil {
		t.Fatal(err)
	}
	check("a completed step")
	if _, err := j.Step(ctx, "r1", 1, model, used(1, 1, 1)); err != nil { // replayed: nothing written
		t.Fatal(err)
	}
	check("a replayed step")
	if _, err := j.Step(ctx, "r1", 2, tool, func(context.Context) (journal.StepResult, error) {
		return journal.StepResult{}, errors.New("boom")
	}); err == nil {
		t.Fatal("Step(failing fn) = nil error")
	}
	check("a failed step")
	if _, err := j.Begin(ctx, "r1", 3, model); err != nil {
		t.Fatal(err)
	}
	check("a begun step")
	if _, err := j.Record(ctx, "r1", 3, model, journal.StepResult{Output: []byte(`{}`), Usage: journal.Usage{InputTokens: 20, OutputTokens: 3}, CostUSD: 0.5}); err != nil {
		t.Fatal(err)
	}
	check("a recorded answer")
	if _, err := j.Record(ctx, "r1", 4, model, journal.StepResult{Output: []byte(`{}`), Usage: journal.Usage{InputTokens: 9}, CostUSD: 0.25}); err != nil {
		t.Fatal(err)
	}
	check("a recorded step")

	// An imported run carries its steps' totals.
	at := time.Unix(1_700_000_000, 0)
	steps := []journal.Step{
		{RunID: "imp", Seq: 1, Name: "model", Kind: "llm", Status: journal.StepCompleted, Attempt: 1, StartedAt: at, FinishedAt: at, Usage: journal.Usage{InputTokens: 5, OutputTokens: 6}, CostUSD: 0.125},
		{RunID: "imp", Seq: 2, Name: "exec", Kind: "tool", Status: journal.StepCompleted, Attempt: 1, StartedAt: at, FinishedAt: at},
	}
	if err := j.ImportRun(ctx, journal.Session{ID: "s2"}, journal.Run{ID: "imp", SessionID: "s2", Status: journal.RunCompleted}, steps, nil); err != nil {
		t.Fatal(err)
	}
	imp, err := j.Run(ctx, "imp")
	if err != nil || imp.Steps != 2 || imp.Usage != (journal.Usage{InputTokens: 5, OutputTokens: 6}) || imp.CostUSD != 0.125 {
		t.Errorf("Run(imported) = %d steps, %+v, $%v, %v; want 2 steps, 5+6 tokens, $0.125", imp.Steps, imp.Usage, imp.CostUSD, err)
	}
}
