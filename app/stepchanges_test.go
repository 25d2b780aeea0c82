package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
)

// TestStepChangesOfStartedCommand: a command the journal has as started is running in a
// live run and was cancelled in a cancelled one; only after a crash is it "cut off".
func TestStepChangesOfStartedCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status journal.RunStatus // "" leaves the run running
		want   string
	}{
		{"Running", "", "still running"},
		{"Cancelled", journal.RunCancelled, "You cancelled this call"},
		{"Interrupted", journal.RunInterrupted, "cut off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := openJournal(t, "")
			ctx := context.Background()
			if _, err := j.CreateSession(ctx, journal.Session{ID: "s1", Workspace: t.TempDir()}); err != nil {
				t.Fatal(err)
			}
			run, err := j.CreateRun(ctx, journal.Run{ID: "r1", SessionID: "s1", Agent: "coder", Prompt: "p", Workspace: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := j.ClaimRun(ctx, run.ID, journal.RunPending, nil, nil); err != nil {
				t.Fatal(err)
			}
			cut, cancel := context.WithCancel(ctx)
			_, err = j.Step(cut, run.ID, 1, journal.StepSpec{Name: "exec", Kind: "tool", Input: []byte(`{"command":"sleep 9"}`)}, func(ctx context.Context) (journal.StepResult, error) {
				cancel()
				return journal.StepResult{}, ctx.Err()
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Step(cut off) = %v", err)
			}
			if tt.status != "" {
				if err := j.SetRunStatus(ctx, run.ID, tt.status, ""); err != nil {
					t.Fatal(err)
				}
			}
			w := &Workspace{journal: j}
			c, err := w.StepChanges(run.ID, 1)
			if err != nil || !strings.Contains(c.Note, tt.want) {
				t.Errorf("StepChanges(started exec, run %s) = %q, %v; want a note with %q", tt.name, c.Note, err, tt.want)
			}
			list, err := w.RunChanges(run.ID)
			if err != nil || len(list) != 1 || list[0].Note != c.Note {
				t.Errorf("RunChanges() = %+v, %v; want the same note", list, err)
			}
		})
	}
}
