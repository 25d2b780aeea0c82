package journal_test

import (
	"errors"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
)

// TestQueuedPrompts: a queued prompt is kept until the run that takes it off the queue is
// recorded, in the same transaction; a run refused because its session is busy leaves it,
// and a second start from the same prompt is refused.
func TestQueuedPrompts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	step := journal.StepSpec{Name: "run.config", Kind: "config", Idempotent: true}
	if _, err := b.j.Enqueue(b.ctx, journal.QueuedPrompt{ID: "q1", SessionID: "s1", Request: []byte(`{"Prompt":"next"}`)}); err != nil {
		t.Fatalf("Enqueue() = %v", err)
	}
	if _, err := b.j.Enqueue(b.ctx, journal.QueuedPrompt{ID: "q2", SessionID: "nosuch"}); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Enqueue(unknown session) = %v, want ErrNotFound", err)
	}
	// The session is busy (setup's run is pending): the start is refused and the prompt stays queued.
	_, err := b.j.CreateRunWithStep(b.ctx, journal.Run{ID: "next", SessionID: "s1", FromQueue: "q1"}, step, journal.StepResult{Output: []byte(`{}`)})
	if !errors.Is(err, journal.ErrSessionInUse) {
		t.Fatalf("CreateRunWithStep(busy session) = %v, want ErrSessionInUse", err)
	}
	if qs, err := b.j.QueuedPrompts(b.ctx); err != nil || len(qs) != 1 || string(qs[0].Request) != `{"Prompt":"next"}` {
		t.Fatalf("QueuedPrompts() = %+v, %v; want q1", qs, err)
	}
	if err := b.j.SetRunStatus(b.ctx, b.runID, journal.RunCompleted, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := b.j.CreateRunWithStep(b.ctx, journal.Run{ID: "next", SessionID: "s1", FromQueue: "q1"}, step, journal.StepResult{Output: []byte(`{}`)}); err != nil {
		t.Fatalf("CreateRunWithStep(free session) = %v", err)
	}
	if qs, err := b.j.QueuedPrompts(b.ctx); err != nil || len(qs) != 0 {
		t.Errorf("QueuedPrompts() after its run = %+v, %v; want none", qs, err)
	}
	if err := b.j.SetRunStatus(b.ctx, "next", journal.RunCompleted, ""); err != nil {
		t.Fatal(err)
	}
	// Taken already: another start from it (another process) records nothing.
	if _, err := b.j.CreateRunWithStep(b.ctx, journal.Run{ID: "again", SessionID: "s1", FromQueue: "q1"}, step, journal.StepResult{}); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("CreateRunWithStep(taken prompt) = %v, want ErrNotFound", err)
	}
	if _, err := b.j.Run(b.ctx, "again"); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Run(again) = %v, want no such run", err)
	}
	if _, err := b.j.Enqueue(b.ctx, journal.QueuedPrompt{ID: "q3", SessionID: "s1", Request: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.j.Dequeue(b.ctx, "q3"); !ok || err != nil {
		t.Errorf("Dequeue(q3) = %v, %v; want true", ok, err)
	}
	if ok, err := b.j.Dequeue(b.ctx, "q3"); ok || err != nil {
		t.Errorf("Dequeue(q3) again = %v, %v; want false", ok, err)
	}
}
