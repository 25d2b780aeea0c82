package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/tool"
)

func TestRenameSession(t *testing.T) {
	t.Parallel()
	r, _ := setup(t, &scriptModel{})
	ctx := t.Context()
	if _, err := r.config.Journal.CreateSession(ctx, journal.Session{ID: "s", Title: "first prompt"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, id, title string
		want            string // stored title; "" when refused
		wantErr         string
	}{
		{"plain", "s", "Fix the parser", "Fix the parser", ""},
		{"spaces and line breaks collapse", "s", "  two\nlines \t here ", "two lines here", ""},
		{"empty", "s", " \n ", "", "title is empty"},
		{"too long", "s", strings.Repeat("é", MaxTitle+1), "", "at most 200"},
		{"longest", "s", strings.Repeat("é", MaxTitle), strings.Repeat("é", MaxTitle), ""},
		{"missing session", "nope", "x", "", "not found"},
	}
	for _, tt := range tests { // in order: a refusal keeps the last good title
		got, err := r.RenameSession(ctx, tt.id, tt.title)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: RenameSession(%q) = %v, want error containing %q", tt.name, tt.title, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: RenameSession(%q) = %q, %v, want %q", tt.name, tt.title, got, err, tt.want)
		}
		if s, _ := r.config.Journal.Session(ctx, tt.id); s.Title != tt.want {
			t.Errorf("%s: stored title %q, want %q", tt.name, s.Title, tt.want)
		}
	}
}

func TestDeleteSession(t *testing.T) {
	t.Parallel()
	type fixture struct {
		r       *Runner
		data    string // the data directory
		outside string // a directory of the person's, with a file keep.txt
		ws      string // the session's workspace
	}
	// corral makes a session the way Start does: its workspace in the data directory.
	corral := func(f *fixture) journal.Session {
		return journal.Session{ID: "ses_1", Workspace: filepath.Join(f.data, "workspaces", "ses_1")}
	}
	chosen := func(f *fixture) journal.Session {
		return journal.Session{ID: "ses_1", Workspace: filepath.Join(f.outside, "project")}
	}
	tests := []struct {
		name    string
		session func(f *fixture) journal.Session
		runs    []journal.Run
		prepare func(t *testing.T, f *fixture) // after the workspace exists
		opts    func(f *fixture) DeleteOptions
		wantErr error
		// wantGone: the workspace directory is gone afterwards.
		wantGone    bool
		wantCleanup bool
	}{
		{name: "keep the workspace", session: corral, opts: func(*fixture) DeleteOptions { return DeleteOptions{} }},
		{name: "remove Corral's workspace, not what its links point to", session: corral,
			prepare: func(t *testing.T, f *fixture) {
				if err := os.Symlink(f.outside, filepath.Join(f.ws, "link")); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(filepath.Join(f.outside, "keep.txt"), filepath.Join(f.ws, "sub", "file-link")); err != nil {
					t.Fatal(err)
				}
			},
			opts: func(*fixture) DeleteOptions { return DeleteOptions{RemoveWorkspace: true} }, wantGone: true},
		{name: "a chosen workspace needs its path confirmed", session: chosen,
			opts:    func(*fixture) DeleteOptions { return DeleteOptions{RemoveWorkspace: true} },
			wantErr: ErrWorkspaceNotOwned},
		{name: "a wrong confirmation is no confirmation", session: chosen,
			opts: func(f *fixture) DeleteOptions {
				return DeleteOptions{RemoveWorkspace: true, ConfirmWorkspace: f.outside}
			},
			wantErr: ErrWorkspaceNotOwned},
		{name: "a confirmed chosen workspace is removed", session: chosen,
			opts:     func(f *fixture) DeleteOptions { return DeleteOptions{RemoveWorkspace: true, ConfirmWorkspace: f.ws} },
			wantGone: true},
		{name: "a workspace that is a link is refused", session: corral,
			prepare: func(t *testing.T, f *fixture) {
				if err := os.RemoveAll(f.ws); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(f.outside, f.ws); err != nil {
					t.Fatal(err)
				}
			},
			opts:    func(*fixture) DeleteOptions { return DeleteOptions{RemoveWorkspace: true} },
			wantErr: ErrWorkspaceUnsafe},
		{name: "the data directory is never a workspace to remove",
			session: func(f *fixture) journal.Session { return journal.Session{ID: "ses_1", Workspace: f.data} },
			opts:    func(f *fixture) DeleteOptions { return DeleteOptions{RemoveWorkspace: true, ConfirmWorkspace: f.data} },
			wantErr: ErrWorkspaceUnsafe},
		{name: "a workspace another session uses is kept", session: chosen,
			prepare: func(t *testing.T, f *fixture) {
				if _, err := f.r.config.Journal.CreateSession(t.Context(), journal.Session{ID: "ses_2", Workspace: f.ws}); err != nil {
					t.Fatal(err)
				}
			},
			opts:    func(f *fixture) DeleteOptions { return DeleteOptions{RemoveWorkspace: true, ConfirmWorkspace: f.ws} },
			wantErr: ErrWorkspaceUnsafe},
		{name: "an imported session's workspace is never removed",
			session: func(f *fixture) journal.Session {
				return journal.Session{ID: "ses_1", Workspace: filepath.Join(f.outside, "project"), Origin: journal.OriginImported}
			},
			opts:    func(f *fixture) DeleteOptions { return DeleteOptions{RemoveWorkspace: true, ConfirmWorkspace: f.ws} },
			wantErr: ErrWorkspaceUnsafe},
		{name: "a running run must be cancelled first", session: corral,
			runs:    []journal.Run{{ID: "run_1", Status: journal.RunRunning}},
			opts:    func(*fixture) DeleteOptions { return DeleteOptions{RemoveWorkspace: true} },
			wantErr: journal.ErrBusy},
		{name: "a run awaiting approval is deleted with the session", session: corral,
			runs: []journal.Run{{ID: "run_1", Status: journal.RunAwaitingApproval}},
			opts: func(*fixture) DeleteOptions { return DeleteOptions{RemoveWorkspace: true} }, wantGone: true},
		{name: "a workspace already gone is not an error", session: corral,
			prepare: func(t *testing.T, f *fixture) {
				if err := os.RemoveAll(f.ws); err != nil {
					t.Fatal(err)
				}
			},
			opts: func(*fixture) DeleteOptions { return DeleteOptions{RemoveWorkspace: true} }, wantGone: true},
		{name: "docker runs get their containers removed", session: corral,
			runs:        []journal.Run{{ID: "run_1", Status: journal.RunCompleted, Sandbox: "docker"}},
			opts:        func(*fixture) DeleteOptions { return DeleteOptions{} },
			wantCleanup: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			var cleaned []string
			r, _ := setup(t, &scriptModel{}, func(c *Config) {
				c.Cleanup = func(_ context.Context, id string) error { cleaned = append(cleaned, id); return nil }
			})
			f := &fixture{r: r, data: r.config.DataDir, outside: t.TempDir()}
			if err := os.WriteFile(filepath.Join(f.outside, "keep.txt"), []byte("mine"), 0o644); err != nil {
				t.Fatal(err)
			}
			s := tt.session(f)
			f.ws = s.Workspace
			if s.Workspace != f.data {
				if err := os.MkdirAll(filepath.Join(f.ws, "sub"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(f.ws, "sub", "a.txt"), []byte("a"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if s.Imported() {
				if err := r.config.Journal.ImportRun(ctx, s, journal.Run{ID: "imp_run", SessionID: s.ID, Status: journal.RunCompleted}, nil, nil); err != nil {
					t.Fatal(err)
				}
			} else if _, err := r.config.Journal.CreateSession(ctx, s); err != nil {
				t.Fatal(err)
			}
			for _, run := range tt.runs {
				run.SessionID = s.ID
				if _, err := r.config.Journal.CreateRun(ctx, run); err != nil {
					t.Fatal(err)
				}
			}
			if tt.prepare != nil {
				tt.prepare(t, f)
			}

			got, err := r.DeleteSession(ctx, s.ID, tt.opts(f))

			if data, rerr := os.ReadFile(filepath.Join(f.outside, "keep.txt")); rerr != nil || string(data) != "mine" {
				t.Errorf("the person's file after DeleteSession: %q, %v; want it untouched", data, rerr)
			}
			_, serr := r.config.Journal.Session(ctx, s.ID)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("DeleteSession() = %v, want %v", err, tt.wantErr)
				}
				if serr != nil {
					t.Errorf("after a refused delete, Session() = %v; want the session kept", serr)
				}
				if _, lerr := os.Lstat(f.ws); lerr != nil {
					t.Errorf("after a refused delete, the workspace: %v; want it kept", lerr)
				}
				return
			}
			if err != nil {
				t.Fatalf("DeleteSession() = %v", err)
			}
			if !errors.Is(serr, journal.ErrNotFound) {
				t.Errorf("Session() after delete = %v, want ErrNotFound", serr)
			}
			if len(got.Runs) != len(tt.runs) || len(got.Warnings) > 0 {
				t.Errorf("DeleteSession() = %+v, want %d runs deleted and no warnings", got, len(tt.runs))
			}
			_, lerr := os.Lstat(f.ws)
			if gone := errors.Is(lerr, os.ErrNotExist); gone != tt.wantGone || got.WorkspaceRemoved != tt.wantGone {
				t.Errorf("workspace gone = %v (reported %v), want %v", gone, got.WorkspaceRemoved, tt.wantGone)
			}
			if (len(cleaned) == 1 && cleaned[0] == s.ID) != tt.wantCleanup {
				t.Errorf("Cleanup calls = %v, want a call for %s: %v", cleaned, s.ID, tt.wantCleanup)
			}
		})
	}
}

func TestSessionWorkspace(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r, _ := setup(t, &scriptModel{})
	own := filepath.Join(r.config.DataDir, "workspaces", "mine")
	chosen := t.TempDir()
	for _, s := range []journal.Session{{ID: "mine", Workspace: own}, {ID: "chosen", Workspace: chosen}, {ID: "gone", Workspace: filepath.Join(chosen, "nope")}} {
		if _, err := r.config.Journal.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(own, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id                string
		wantOwned, exists bool
	}{
		{"mine", true, true},
		{"chosen", false, true},
		{"gone", false, false},
	}
	for _, tt := range tests {
		got, err := r.SessionWorkspace(ctx, tt.id)
		if err != nil || got.Owned != tt.wantOwned || got.Exists != tt.exists || got.Removable != "" {
			t.Errorf("SessionWorkspace(%q) = %+v, %v, want owned %v, exists %v, removable", tt.id, got, err, tt.wantOwned, tt.exists)
		}
	}
}

// TestToolFinishedCarriesMeta: a tool.finished event carries the facts a card shows (exit
// code, line counts, the diff), so the UI need not reread the journal to show them.
func TestToolFinishedCarriesMeta(t *testing.T) {
	t.Parallel()
	script := []turn{
		{calls: [][2]string{{"write", `{"path":"a.txt","content":"one\n"}`}}},
		{calls: [][2]string{{"edit", `{"path":"a.txt","old_string":"one","new_string":"two"}`}}},
		{calls: [][2]string{{"exec", `{"command":"exit 3"}`}}},
		{text: "done"},
	}
	r, _ := setup(t, &scriptModel{turns: script})
	sub := r.config.Bus.Subscribe(context.Background(), 0)
	got := make(chan []Event, 1)
	go func() {
		var finished []Event
		for ev := range sub.C() {
			if ev.Type == EventToolFinished {
				finished = append(finished, ev)
			}
		}
		got <- finished
	}()
	run := start(t, r, StartRequest{Prompt: "go"})
	if _, err := r.Drive(context.Background(), run.ID); err != nil {
		t.Fatal(err)
	}
	r.config.Bus.Close()
	finished := <-got
	if len(finished) != 3 {
		t.Fatalf("tool.finished events = %d, want 3", len(finished))
	}
	tests := []struct {
		tool  string
		check func(m *tool.Meta) bool
		want  string
	}{
		{"write", func(m *tool.Meta) bool { return m.Created && m.Lines == 1 && m.Path == "a.txt" }, "created, 1 line"},
		{"edit", func(m *tool.Meta) bool { return m.Added == 1 && m.Removed == 1 && strings.Contains(m.Diff, "+two") }, "+1 -1 with the diff"},
		{"exec", func(m *tool.Meta) bool { return m.ExitCode != nil && *m.ExitCode == 3 }, "exit code 3"},
	}
	for i, tt := range tests {
		ev := finished[i]
		if ev.Tool != tt.tool || ev.Result == nil || ev.Result.Meta == nil || !tt.check(ev.Result.Meta) {
			t.Errorf("tool.finished #%d = %s %+v, want %s with meta %s", i, ev.Tool, ev.Result, tt.tool, tt.want)
		}
	}
}

func TestNewToolOutcomeLeavesLongDiffsOut(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("+x\n", maxEventDiff)
	got := NewToolOutcome(tool.Result{Content: "ok", Meta: tool.Meta{Added: 3, Diff: long}})
	if got.Meta == nil || got.Meta.Diff != "" || got.Meta.Added != 3 {
		t.Errorf("NewToolOutcome(long diff).Meta = %+v, want the counts without the diff", got.Meta)
	}
	if got := NewToolOutcome(tool.Result{Content: "ok"}); got.Meta != nil {
		t.Errorf("NewToolOutcome(no meta).Meta = %+v, want nil", got.Meta)
	}
}
