package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/demo"
)

type demoModels struct{}

func (demoModels) Resolve(string, string) (string, string) { return "demo", demo.ModelName }
func (demoModels) Model(agent.RunConfig) (llm.Model, error) {
	return demo.New(demo.Options{Delay: time.Nanosecond}), nil
}

// chanEmitter hands emitted batches to the test.
type chanEmitter chan []agent.Event

func (c chanEmitter) Emit(name string, data any) {
	if name == EventRuns {
		c <- data.([]agent.Event)
	}
}

// TestRunsStartStreamsEvents starts the demo agent through the bound service, as the UI
// does, and follows the emitted batches to the end of the run.
func TestRunsStartStreamsEvents(t *testing.T) {
	t.Parallel()
	emit := make(chanEmitter, 1024)
	a := startDemoApp(t, emit)

	run, err := a.Runs.Start(StartRequest{Prompt: "show me", Workspace: t.TempDir()})
	if err != nil {
		t.Fatalf("Runs.Start() = %v", err)
	}
	var deltas, textEvents int
	var finished bool
	timeout := time.After(60 * time.Second)
	for !finished {
		select {
		case batch := <-emit:
			for i, ev := range batch {
				if ev.RunID != run.ID {
					t.Fatalf("event for run %s, want %s", ev.RunID, run.ID)
				}
				if ev.Type == agent.EventTextDelta {
					textEvents++
					if i > 0 && batch[i-1].Type == agent.EventTextDelta && batch[i-1].Seq == ev.Seq {
						t.Errorf("batch holds two consecutive text deltas of step %d; want them merged", ev.Seq)
					}
					deltas += len(ev.Text)
				}
				if ev.Type == agent.EventRunCompleted {
					finished = true
				}
				if ev.Type == agent.EventRunFailed {
					t.Fatalf("run failed: %s", ev.Error)
				}
			}
		case <-timeout:
			t.Fatal("no run.completed event within 60s")
		}
	}
	if deltas == 0 || textEvents == 0 {
		t.Errorf("saw %d text events (%d bytes), want streamed text", textEvents, deltas)
	}
	sessions, err := a.Runs.Sessions()
	if err != nil || len(sessions) != 1 || len(sessions[0].Runs) != 1 || sessions[0].Runs[0].Status != "completed" {
		t.Fatalf("Runs.Sessions() = %+v, %v; want one session with the completed run", sessions, err)
	}
	tr, err := a.Traces.Trace(run.ID)
	if err != nil || tr.Run.Steps < 10 || len(tr.Spans) < 11 || tr.Spans[1].Kind != "config" {
		t.Errorf("Traces.Trace() = %d steps, %v; want the demo's full history", tr.Run.Steps, err)
	}
	if _, err := os.Stat(filepath.Join(sessions[0].Workspace, "test_wordcount.sh")); err != nil {
		t.Errorf("demo run left no test_wordcount.sh in the workspace: %v", err)
	}
	if err := a.Runs.Cancel(run.ID); err == nil {
		t.Error("Runs.Cancel(finished run) = nil, want an error")
	}
}

// approveAll approves every action, as --approve all does.
type approveAll struct{}

func (approveAll) Approve(_ context.Context, _ journal.Run, req approval.Request) (approval.Answer, error) {
	return approval.Answer{Kind: approval.Approve, ActionHash: req.ActionHash, By: "test"}, nil
}

// nameEmitter hands the names of emitted events to the test.
type nameEmitter chan string

func (c nameEmitter) Emit(name string, _ any) {
	select {
	case c <- name:
	default:
	}
}

// TestJournalEventForOtherProcesses: a session recorded by another journal on the same file
// (as `corral run` in a terminal would) makes the app tell the UI to reload.
func TestJournalEventForOtherProcesses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := openJournal(t, dir)
	r := &Runs{journal: j, journalEvery: 5 * time.Millisecond, active: map[string]context.CancelFunc{}}
	emit := make(nameEmitter, 16)
	t.Cleanup(r.work(context.Background(), emit))

	other := openJournal(t, dir)
	if _, err := other.CreateSession(context.Background(), journal.Session{ID: "ses_cli", Title: "from a terminal", Workspace: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case name := <-emit:
			if name == EventJournal {
				return
			}
		case <-timeout:
			t.Fatal("no corral:journal event after another process recorded a session")
		}
	}
}
