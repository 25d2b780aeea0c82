package agent

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/record"
)

// TestModelRequest: the request rebuilt for each model step of a finished run is the one
// the model was sent, byte for byte as JSON; a seq that is no model step is ErrNoModelStep.
func TestModelRequest(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: helloScript}
	r, _ := setup(t, m)
	ctx := context.Background()
	run := start(t, r, StartRequest{Prompt: "say hello"})
	if got, err := r.Drive(ctx, run.ID); err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive() = %s, %v", got.Status, err)
	}
	steps, err := r.config.Journal.Steps(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	sent := m.calls()
	n := 0
	for _, s := range steps {
		if s.Kind != record.KindLLM {
			continue
		}
		if n >= len(sent) {
			t.Fatalf("more model steps than calls (%d)", len(sent))
		}
		want, _ := json.Marshal(sent[n])
		req, err := r.ModelRequest(ctx, run.ID, s.Seq)
		got, _ := json.Marshal(req)
		if err != nil || string(got) != string(want) {
			t.Errorf("ModelRequest(%d) = %s, %v; want %s", s.Seq, got, err, want)
		}
		n++
	}
	if n != len(sent) || n < 2 {
		t.Errorf("checked %d model steps, the model had %d calls", n, len(sent))
	}
	if _, err := r.ModelRequest(ctx, run.ID, 1); !errors.Is(err, ErrNoModelStep) {
		t.Errorf("ModelRequest(config step) = %v, want ErrNoModelStep", err)
	}
	if got, _ := r.config.Journal.Steps(ctx, run.ID); len(got) != len(steps) {
		t.Errorf("ModelRequest changed the journal: %d steps, want %d", len(got), len(steps))
	}
}
