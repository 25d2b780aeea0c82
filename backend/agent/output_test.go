package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/sandbox"
)

// TestToolOutputStreams: a command's output reaches subscribers as tool.output events
// while it runs (it prints, then waits on a file the test makes only after seeing the
// output), and the step's record is the final result.
func TestToolOutputStreams(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: []turn{
		{calls: [][2]string{{"exec", `{"command":"echo ready; i=0; while [ ! -e go.flag ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done; echo done"}`}}},
		{text: "ok"},
	}}
	r, _ := setup(t, m)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sub := r.config.Bus.Subscribe(ctx, 0)
	ws := t.TempDir()
	run := start(t, r, StartRequest{Prompt: "stream", Workspace: ws})
	driven := make(chan journal.Run, 1)
	go func() {
		got, _ := r.Drive(ctx, run.ID)
		driven <- got
	}()
	var live strings.Builder
	finished := false
	for !finished {
		select {
		case ev := <-sub.C():
			switch ev.Type {
			case EventToolOutput:
				if ev.Seq == 0 || ev.OutputSeq == 0 || ev.Stream != string(sandbox.Stdout) {
					t.Errorf("tool.output event = %+v, want its step, chunk number and stream", ev)
				}
				live.WriteString(ev.Text)
				if live.String() == "ready\n" {
					if err := os.WriteFile(filepath.Join(ws, "go.flag"), nil, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			case EventToolFinished:
				if !strings.Contains(live.String(), "ready\n") {
					t.Fatalf("tool.finished came before any live output (saw %q)", live.String())
				}
				if !strings.Contains(ev.Result.Content, "ready\ndone") {
					t.Errorf("tool.finished result = %q, want the whole output", ev.Result.Content)
				}
				finished = true
			}
		case <-ctx.Done():
			t.Fatalf("no tool.finished (live output so far %q)", live.String())
		}
	}
	if got := <-driven; got.Status != journal.RunCompleted {
		t.Fatalf("Drive() = %s, want completed", got.Status)
	}
	if live.String() != "ready\ndone\n" {
		t.Errorf("live output = %q, want every line once", live.String())
	}
}

func TestLiveOutputBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		chunks      int
		size        int
		wantSent    int
		wantDropped int64
	}{
		{"Small", 3, 10, 30, 0},
		{"OverRate", 1, outputRate + 100, outputRate, 100},
		{"OverTotal", 40, 8 << 10, outputRate, 40*(8<<10) - outputRate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var events []Event
			o := newLiveOutput(func(ev Event) { events = append(events, ev) }, Event{RunID: "r", Seq: 3})
			for range tt.chunks {
				o.write(sandbox.Stdout, make([]byte, tt.size))
			}
			o.close()
			o.write(sandbox.Stdout, []byte("after close"))
			sent, dropped := 0, int64(0)
			for _, ev := range events {
				sent += len(ev.Text)
				dropped += ev.Dropped
			}
			if sent != tt.wantSent || dropped != tt.wantDropped {
				t.Errorf("liveOutput sent %d bytes, dropped %d, want %d and %d (%d events)", sent, dropped, tt.wantSent, tt.wantDropped, len(events))
			}
		})
	}
}

// TestCancelKeepsOutput: cancelling a run while a command runs leaves the step cut off (the
// person still chooses rerun, skip or fail) with the output so far kept in it; skipping it
// tells the model the person cancelled it, with that output.
func TestCancelKeepsOutput(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: []turn{
		{calls: [][2]string{{"exec", `{"command":"echo partial; sleep 30"}`}}},
		{text: "ok"},
	}}
	r, _ := setup(t, m)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := r.config.Bus.Subscribe(context.Background(), 0)
	go func() {
		for ev := range sub.C() {
			if ev.Type == EventToolOutput && strings.Contains(ev.Text, "partial") {
				cancel() // the person presses Cancel once the output shows
			}
		}
	}()
	run := start(t, r, StartRequest{Prompt: "run it"})
	if got, _ := r.Drive(ctx, run.ID); got.Status != journal.RunCancelled {
		t.Fatalf("Drive(cancelled) status = %s, want cancelled", got.Status)
	}
	bg := context.Background()
	st, err := r.config.Journal.GetStep(bg, run.ID, 4)
	if err != nil || st.Status != journal.StepStarted || st.Name != "exec" {
		t.Fatalf("step 4 = %+v, %v; want the exec left started", st, err)
	}
	kept, err := record.DecodeToolOutput(st.Output)
	if err != nil || !strings.Contains(kept.Content, "You cancelled this command") || !strings.Contains(kept.Content, "partial\n") {
		t.Fatalf("kept output = %+v, %v; want the cancel and the output so far", kept, err)
	}
	if _, err := r.Resolve(bg, run.ID, journal.ActionSkip, ""); err != nil {
		t.Fatalf("Resolve(skip) = %v", err)
	}
	if got, err := r.Drive(bg, run.ID); err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive(after skip) = %s, %v; want completed", got.Status, err)
	}
	reqs := m.calls()
	last := reqs[len(reqs)-1].Messages
	res := last[len(last)-1].Content[0]
	if !strings.Contains(res.Content, "cancelled this action") || !strings.Contains(res.Content, "partial") {
		t.Errorf("model saw %q after the skip, want that the user cancelled it, with its output", res.Content)
	}
}
