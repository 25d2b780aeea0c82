package app

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/changes"
	"github.com/corral-dev/corral/backend/journal"
)

// recordEmitter hands run batches and session events to the test.
type recordEmitter struct {
	runs     chan []agent.Event
	sessions chan SessionEvent
}

func (e recordEmitter) Emit(name string, data any) {
	switch name {
	case EventRuns:
		e.runs <- data.([]agent.Event)
	case EventSessions:
		e.sessions <- data.(SessionEvent)
	}
}

// demoApp starts the app on a real journal in a temp data dir and runs the demo agent to the
// end in a workspace Corral creates, as the window does.
func demoApp(t *testing.T) (*App, recordEmitter, RunView) {
	t.Helper()
	emit := recordEmitter{runs: make(chan []agent.Event, 1024), sessions: make(chan SessionEvent, 16)}
	a := startDemoApp(t, emit)
	run, err := a.Runs.Start(StartRequest{Prompt: "show me"})
	if err != nil {
		t.Fatalf("Runs.Start() = %v", err)
	}
	timeout := time.After(60 * time.Second)
	for {
		select {
		case batch := <-emit.runs:
			for _, ev := range batch {
				switch ev.Type {
				case agent.EventRunCompleted:
					return a, emit, run
				case agent.EventRunFailed:
					t.Fatalf("run failed: %s", ev.Error)
				}
			}
		case <-timeout:
			t.Fatal("no run.completed event within 60s")
		}
	}
}

func nextSessionEvent(t *testing.T, emit recordEmitter) SessionEvent {
	t.Helper()
	select {
	case ev := <-emit.sessions:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no corral:sessions event")
		return SessionEvent{}
	}
}

func TestSessionRenameAndDelete(t *testing.T) {
	t.Parallel()
	a, emit, run := demoApp(t)

	got, err := a.Runs.RenameSession(run.SessionID, "  Word count\nscript ")
	if err != nil || got != "Word count script" {
		t.Fatalf("RenameSession() = %q, %v; want the trimmed title", got, err)
	}
	if ev := nextSessionEvent(t, emit); ev.Type != SessionRenamed || ev.SessionID != run.SessionID || ev.Title != got {
		t.Errorf("event after rename = %+v, want session.renamed with the title", ev)
	}
	if _, err := a.Runs.RenameSession(run.SessionID, " "); err == nil {
		t.Error("RenameSession(blank) = nil, want an error")
	}
	sessions, err := a.Runs.Sessions()
	if err != nil || len(sessions) != 1 || sessions[0].Title != got || sessions[0].Origin != "local" {
		t.Fatalf("Sessions() = %+v, %v; want the renamed local session", sessions, err)
	}
	ws := sessions[0].Workspace

	choice, err := a.Runs.SessionWorkspace(run.SessionID)
	if err != nil || !choice.Owned || !choice.Exists || choice.Removable != "" || choice.Path != ws || len(choice.LiveRuns) != 0 {
		t.Fatalf("SessionWorkspace() = %+v, %v; want Corral's own, existing, removable workspace %s", choice, err, ws)
	}

	res, err := a.Runs.DeleteSession(run.SessionID, DeleteRequest{RemoveWorkspace: true})
	if err != nil || !res.WorkspaceRemoved || !slices.Equal(res.RunIDs, []string{run.ID}) {
		t.Fatalf("DeleteSession() = %+v, %v; want the run deleted and the workspace removed", res, err)
	}
	if ev := nextSessionEvent(t, emit); ev.Type != SessionDeleted || !slices.Equal(ev.RunIDs, []string{run.ID}) {
		t.Errorf("event after delete = %+v, want session.deleted naming run %s", ev, run.ID)
	}
	if _, err := os.Stat(ws); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("workspace after delete: %v, want it gone", err)
	}
	if sessions, _ := a.Runs.Sessions(); len(sessions) != 0 {
		t.Errorf("Sessions() after delete = %+v, want none", sessions)
	}
	if _, err := a.Runs.DeleteSession(run.SessionID, DeleteRequest{}); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("DeleteSession(again) = %v, want ErrNotFound", err)
	}
}

// TestImportedSessionOrigin: an import is recorded as an imported session with its file name,
// which the sidebar shows, and its workspace is never offered for removal.
func TestImportedSessionOrigin(t *testing.T) {
	t.Parallel()
	a, _, run := demoApp(t)
	exp, err := a.Traces.Export(run.ID, "json", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Runs.DeleteSession(run.SessionID, DeleteRequest{}); err != nil {
		t.Fatal(err)
	}
	imp, err := a.Traces.Import(`C:\Users\me\bug report.json`, exp.Content)
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := a.Runs.Sessions()
	if err != nil || len(sessions) != 1 {
		t.Fatalf("Sessions() = %d, %v; want the imported one", len(sessions), err)
	}
	s := sessions[0]
	if s.ID != imp.SessionID || s.Origin != "imported" || s.ImportedFrom != "bug report.json" || s.ImportedAt == nil {
		t.Errorf("imported session = origin %q from %q at %v, want imported from %q with a time", s.Origin, s.ImportedFrom, s.ImportedAt, "bug report.json")
	}
	choice, err := a.Runs.SessionWorkspace(s.ID)
	if err != nil || !choice.Imported || choice.Owned || choice.Removable == "" {
		t.Errorf("SessionWorkspace(imported) = %+v, %v; want imported, not removable", choice, err)
	}
	// Read-only by the session's origin, not by its id.
	if _, err := a.Runs.runner.Drive(t.Context(), imp.RunIDs[0]); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("Drive(imported run) = %v, want a read-only refusal", err)
	}
}

func TestStepChanges(t *testing.T) {
	t.Parallel()
	a, _, run := demoApp(t)
	list, err := a.Workspace.RunChanges(run.ID)
	if err != nil || len(list) == 0 {
		t.Fatalf("RunChanges() = %d, %v; want the demo's write, edit and exec steps", len(list), err)
	}
	var sawWrite, sawExec bool
	for _, c := range list {
		for _, f := range c.Files {
			if f.Diff != "" {
				t.Errorf("RunChanges() step %d carries a diff; the list should not", c.Seq)
			}
		}
		got, err := a.Workspace.StepChanges(run.ID, c.Seq)
		if err != nil {
			t.Fatalf("StepChanges(%d) = %v", c.Seq, err)
		}
		switch c.Tool {
		case "write", "edit":
			if c.Source == changes.None {
				continue // a call that failed
			}
			sawWrite = true
			if len(got.Files) != 1 || got.Files[0].Diff == "" || got.Files[0].Path != c.Path || got.Files[0].Added == 0 {
				t.Errorf("StepChanges(%d, %s %s) = %+v; want one file with its diff", c.Seq, c.Tool, c.Path, got)
			}
			if !strings.Contains(got.Files[0].Diff, "+++ b/"+c.Path) {
				t.Errorf("StepChanges(%d) diff = %q, want a unified diff of %s", c.Seq, got.Files[0].Diff, c.Path)
			}
		case "exec":
			// The demo's first command writes sample.txt; the others change nothing.
			switch {
			case got.Source == changes.Listed && len(got.Files) == 1 && got.Files[0].Path == "sample.txt" &&
				got.Files[0].Op == "created" && got.Files[0].Diff == "" && got.Note != "":
				sawExec = true
			case got.Source == changes.None && len(got.Files) == 0:
			default:
				t.Errorf("StepChanges(%d, exec %s) = %+v; want sample.txt listed as created, or nothing changed", c.Seq, c.Path, got)
			}
		}
	}
	if !sawWrite || !sawExec {
		t.Errorf("RunChanges() = %+v; want at least a write and an exec that created a file", list)
	}
	if _, err := a.Workspace.StepChanges(run.ID, 1); err == nil {
		t.Error("StepChanges(config step) = nil, want an error")
	}
}
