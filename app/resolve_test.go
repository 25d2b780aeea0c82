package app

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/journal"
)

// TestRunsResolve fails a run whose command a crash cut off, from the UI's service.
func TestRunsResolve(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	j := openJournal(t, "")
	if _, err := j.CreateSession(ctx, journal.Session{ID: "s1", Workspace: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.CreateRunWithStep(ctx, journal.Run{ID: "r1", SessionID: "s1", Status: journal.RunInterrupted},
		journal.StepSpec{Name: "run.config", Kind: "config", Idempotent: true}, journal.StepResult{Output: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Begin(ctx, "r1", 2, journal.StepSpec{Name: "exec", Kind: "tool", Input: []byte(`{"command":"make deploy"}`)}); err != nil {
		t.Fatal(err)
	}
	runs := &Runs{journal: j, runner: agent.New(agent.Config{Journal: j}), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := runs.Resolve("r1", "explode", ""); err == nil || !strings.Contains(err.Error(), "rerun, skip or fail") {
		t.Errorf("Resolve(bad action) = %v, want a clear error", err)
	}
	if err := runs.Resolve("r1", "fail", "not safe to retry"); err != nil {
		t.Fatalf("Resolve(fail) = %v", err)
	}
	run, _ := j.Run(ctx, "r1")
	st, _ := j.GetStep(ctx, "r1", 2)
	if run.Status != journal.RunFailed || !strings.Contains(run.Error, "not safe to retry") || st.Status != journal.StepFailed {
		t.Errorf("after Resolve(fail): run %s %q, step %s; want both failed with the reason", run.Status, run.Error, st.Status)
	}
}
