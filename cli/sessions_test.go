package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/app"
	"github.com/corral-dev/corral/backend/journal"
)

// seedSession records a session with one run of the given status in the data directory dd,
// its workspace created (with a file), and returns the workspace.
func seedSession(t *testing.T, dd, id, workspace string, status journal.RunStatus) string {
	t.Helper()
	if workspace == "" {
		workspace = filepath.Join(dd, "workspaces", id)
	}
	if err := os.MkdirAll(workspace, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(workspace, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(context.Background(), filepath.Join(dd, journalFile))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := j.CreateSession(context.Background(), journal.Session{ID: id, Title: "first prompt", Workspace: workspace}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.CreateRun(context.Background(), journal.Run{ID: "run_" + id, SessionID: id, Status: status, Workspace: workspace}); err != nil {
		t.Fatal(err)
	}
	return workspace
}

func sessionsJSON(t *testing.T, dd string) []app.SessionView {
	t.Helper()
	code, out, errOut := run(t, "sessions", "--json", "--data-dir", dd)
	if code != ExitOK {
		t.Fatalf("sessions --json = %d: %s", code, errOut)
	}
	var got []app.SessionView
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("sessions --json: %v\n%s", err, out)
	}
	return got
}

func TestSessionsRename(t *testing.T) {
	t.Parallel()
	dd := t.TempDir()
	seedSession(t, dd, "ses_a", "", journal.RunCompleted)
	code, out, errOut := run(t, "sessions", "rename", "ses_a", "  Fix the  parser ", "--data-dir", dd)
	if code != ExitOK || !strings.Contains(out, "renamed: Fix the parser") {
		t.Fatalf("sessions rename = %d %q %q, want the new title", code, out, errOut)
	}
	if got := sessionsJSON(t, dd); len(got) != 1 || got[0].Title != "Fix the parser" || got[0].Origin != "local" {
		t.Errorf("sessions after rename = %+v, want the title stored", got)
	}
	if code, _, errOut := run(t, "sessions", "rename", "ses_a", " ", "--data-dir", dd); code != ExitError || !strings.Contains(errOut, "empty") {
		t.Errorf("sessions rename to blank = %d %q, want exit 1 saying it is empty", code, errOut)
	}
	if code, _, errOut := run(t, "sessions", "rename", "ses_zz", "x", "--data-dir", dd); code != ExitError || !strings.Contains(errOut, "not found") {
		t.Errorf("sessions rename of a missing session = %d %q, want exit 1, not found", code, errOut)
	}
}

func TestSessionsRemove(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		chosen    bool // the workspace is a directory of the person's, not Corral's
		status    journal.RunStatus
		args      func(ws string) []string
		wantCode  int
		wantOut   string // in stdout (exit 0) or stderr
		wantGone  bool   // the session is deleted
		wantWSOff bool   // the workspace directory is gone
	}{
		{"keeps the workspace by default", false, journal.RunCompleted,
			func(string) []string { return nil }, ExitOK, "workspace kept", true, false},
		{"keeps the workspace when asked", false, journal.RunCompleted,
			func(string) []string { return []string{"--keep-workspace"} }, ExitOK, "workspace kept", true, false},
		{"removes Corral's workspace", false, journal.RunCompleted,
			func(string) []string { return []string{"--remove-workspace"} }, ExitOK, "workspace removed", true, true},
		{"a chosen workspace needs confirming", true, journal.RunCompleted,
			func(string) []string { return []string{"--remove-workspace"} }, ExitError, "--confirm-workspace", false, false},
		{"a confirmed chosen workspace is removed", true, journal.RunCompleted,
			func(ws string) []string { return []string{"--remove-workspace", "--confirm-workspace", ws} }, ExitOK, "workspace removed", true, true},
		{"a running run must be cancelled first", false, journal.RunRunning,
			func(string) []string { return []string{"--remove-workspace"} }, ExitError, "cancel it", false, false},
		{"keep and remove contradict", false, journal.RunCompleted,
			func(string) []string { return []string{"--keep-workspace", "--remove-workspace"} }, ExitUsage, "contradict", false, false},
		{"confirm without remove", false, journal.RunCompleted,
			func(ws string) []string { return []string{"--confirm-workspace", ws} }, ExitUsage, "goes with --remove-workspace", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dd := t.TempDir()
			ws := ""
			if tt.chosen {
				ws = filepath.Join(t.TempDir(), "project")
			}
			ws = seedSession(t, dd, "ses_a", ws, tt.status)
			args := append([]string{"sessions", "rm", "ses_a", "--data-dir", dd}, tt.args(ws)...)
			code, out, errOut := run(t, args...)
			text := out
			if code != ExitOK {
				text = errOut
			}
			if code != tt.wantCode || !strings.Contains(text, tt.wantOut) {
				t.Fatalf("corral %s = %d\nstdout: %s\nstderr: %s\nwant exit %d with %q", strings.Join(args, " "), code, out, errOut, tt.wantCode, tt.wantOut)
			}
			if gone := len(sessionsJSON(t, dd)) == 0; gone != tt.wantGone {
				t.Errorf("session deleted = %v, want %v", gone, tt.wantGone)
			}
			_, err := os.Stat(filepath.Join(ws, "notes.txt"))
			if off := errors.Is(err, os.ErrNotExist); off != tt.wantWSOff {
				t.Errorf("workspace gone = %v (%v), want %v", off, err, tt.wantWSOff)
			}
		})
	}
}

func TestSessionsUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"sessions", "rm"},
		{"sessions", "rename", "ses_a"},
		{"sessions", "frobnicate"},
		{"sessions", "ls", "extra"},
		{"sessions", "--remove-workspace"},
	} {
		if code, _, errOut := run(t, args...); code != ExitUsage || !strings.Contains(errOut, "Usage: corral sessions") {
			t.Errorf("corral %s = %d %q, want exit 2 with the usage", strings.Join(args, " "), code, errOut)
		}
	}
}
