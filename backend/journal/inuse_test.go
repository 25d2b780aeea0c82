package journal_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
)

func TestOneRunAtATimePerSession(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		earlier  journal.RunStatus
		wantBusy bool
	}{
		{"pending", journal.RunPending, true},
		{"running", journal.RunRunning, true},
		{"awaiting approval", journal.RunAwaitingApproval, true},
		{"interrupted", journal.RunInterrupted, false},
		{"completed", journal.RunCompleted, false},
		{"failed", journal.RunFailed, false},
		{"cancelled", journal.RunCancelled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			j := openT(t, filepath.Join(t.TempDir(), "corral.db"))
			for _, s := range []string{"s", "other"} {
				if _, err := j.CreateSession(ctx, journal.Session{ID: s}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := j.CreateRun(ctx, journal.Run{ID: "r1", SessionID: "s", Status: tt.earlier}); err != nil {
				t.Fatal(err)
			}
			start := func(id, session string) error {
				_, err := j.CreateRunWithStep(ctx, journal.Run{ID: id, SessionID: session},
					journal.StepSpec{Name: "run.config", Kind: "config"}, journal.StepResult{Output: []byte(`{}`)})
				return err
			}
			err := start("r2", "s")
			if got := errors.Is(err, journal.ErrSessionInUse); got != tt.wantBusy {
				t.Fatalf("CreateRunWithStep(r2) after a %s run = %v, want busy %v", tt.earlier, err, tt.wantBusy)
			}
			want := "r2" // started: the session's run in progress now
			if tt.wantBusy {
				want = "r1"
			}
			if inUse, busy, err := j.SessionInUse(ctx, "s"); err != nil || !busy || inUse.ID != want {
				t.Errorf("SessionInUse(s) = %s, %v, %v, want %s", inUse.ID, busy, err, want)
			}
			if err := start("r3", "other"); err != nil {
				t.Errorf("CreateRunWithStep(r3) in another session = %v, want nil", err)
			}
			if !tt.wantBusy {
				return
			}
			var e *journal.SessionInUseError
			if !errors.As(err, &e) || e.Run.ID != "r1" || e.Run.Status != tt.earlier || !strings.Contains(err.Error(), "r1") {
				t.Errorf("CreateRunWithStep(r2) = %v, want a *SessionInUseError naming r1 (%s)", err, tt.earlier)
			}
			if runs, _ := j.Runs(ctx, journal.RunFilter{SessionID: "s"}); len(runs) != 1 {
				t.Errorf("after a refused start: %d runs in s, want 1", len(runs))
			}
		})
	}
}

func TestClaimRunWaitsForTheSession(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "corral.db")
	j := openT(t, path)
	other := openT(t, path) // another process on the same data directory
	if _, err := j.CreateSession(ctx, journal.Session{ID: "s"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"old", "new"} {
		if _, err := j.CreateRun(ctx, journal.Run{ID: id, SessionID: "s", Status: journal.RunInterrupted}); err != nil {
			t.Fatal(err)
		}
	}
	lease, _, err := other.ClaimRun(ctx, "new", journal.RunInterrupted, nil, nil)
	if err != nil {
		t.Fatalf("ClaimRun(new) = %v", err)
	}
	defer lease.Release()
	_, _, err = j.ClaimRun(ctx, "old", journal.RunInterrupted, nil, nil)
	var e *journal.SessionInUseError
	if !errors.As(err, &e) || e.Run.ID != "new" || !e.Run.Elsewhere || e.Run.Driver.PID != os.Getpid() {
		t.Fatalf("ClaimRun(old) while new runs elsewhere = %v, want a *SessionInUseError naming new in process %d", err, os.Getpid())
	}
	if r, _ := j.Run(ctx, "old"); r.Status != journal.RunInterrupted {
		t.Errorf("old after a refused claim is %s, want interrupted", r.Status)
	}
	if err := other.SetRunStatus(ctx, "new", journal.RunCompleted, ""); err != nil {
		t.Fatal(err)
	}
	l2, _, err := j.ClaimRun(ctx, "old", journal.RunInterrupted, nil, nil)
	if err != nil {
		t.Fatalf("ClaimRun(old) once new completed = %v, want nil", err)
	}
	l2.Release()
}
