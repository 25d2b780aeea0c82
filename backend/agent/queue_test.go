package agent

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
)

// TestStartWhenFree: a run asked for in a busy session waits, says once which run it waits
// for, and is recorded as soon as that run ends; with its context ended it gives up.
func TestStartWhenFree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, _ := setup(t, &scriptModel{turns: []turn{{text: "ok"}}})
	first, err := r.Start(ctx, StartRequest{Prompt: "first", Workspace: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Start(ctx, StartRequest{SessionID: first.SessionID, Prompt: "now"}); !errors.Is(err, ErrSessionInUse) {
		t.Fatalf("Start() in a busy session = %v, want ErrSessionInUse", err)
	}

	waiting := make(chan journal.Run, 4)
	done := make(chan error, 1)
	var next journal.Run
	go func() {
		var err error
		next, err = r.StartWhenFree(ctx, StartRequest{SessionID: first.SessionID, Prompt: "second"}, 5*time.Millisecond,
			func(busy journal.Run) { waiting <- busy })
		done <- err
	}()
	select {
	case busy := <-waiting:
		if busy.ID != first.ID {
			t.Errorf("StartWhenFree waits for %s, want %s", busy.ID, first.ID)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("StartWhenFree never said what it waits for")
	}
	if err := r.config.Journal.SetRunStatus(ctx, first.ID, journal.RunCompleted, ""); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil || next.SessionID != first.SessionID || next.Status != journal.RunPending {
			t.Fatalf("StartWhenFree() = %+v, %v; want a pending run in the session", next, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("StartWhenFree did not start once the session was free")
	}
	if len(waiting) != 0 {
		t.Errorf("StartWhenFree said %d more times what it waits for, want once per run", len(waiting))
	}

	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := r.StartWhenFree(gone, StartRequest{SessionID: first.SessionID, Prompt: "third"}, 5*time.Millisecond, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("StartWhenFree() with its context ended in a busy session = %v, want context.Canceled", err)
	}
}
