package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
)

// eventSink hands emitted workspace batches to the test.
type eventSink chan WorkspaceBatch

func (c eventSink) Emit(name string, data any) {
	if name == EventWorkspace {
		c <- data.(WorkspaceBatch)
	}
}

func TestWorkspaceTreeFileWatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	j := openJournal(t, "")
	ws := t.TempDir()
	os.MkdirAll(filepath.Join(ws, "src"), 0o755)
	os.MkdirAll(filepath.Join(ws, "node_modules", "x"), 0o755)
	os.WriteFile(filepath.Join(ws, "src", "main.go"), []byte("package main\n"), 0o644)
	os.WriteFile(filepath.Join(ws, "blob.bin"), []byte{0, 1, 2, 0}, 0o644)
	if _, err := j.CreateSession(ctx, journal.Session{ID: "s1", Workspace: ws}); err != nil {
		t.Fatal(err)
	}
	w := &Workspace{journal: j, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	events := make(eventSink, 16)
	stop := w.start(ctx, events)
	t.Cleanup(stop)

	tree, err := w.Tree("s1")
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]EntryView{}
	for _, e := range tree {
		byPath[e.Path] = e
	}
	if !byPath["src"].Dir || byPath["src/main.go"].Size != 13 || !byPath["node_modules"].Ignored {
		t.Errorf("Tree() = %+v, want src/, src/main.go (13 bytes) and node_modules ignored", tree)
	}
	if _, ok := byPath["node_modules/x"]; ok {
		t.Errorf("Tree() lists node_modules/x; ignored directories are collapsed")
	}

	if f, err := w.File("s1", "src/main.go"); err != nil || f.Text != "package main\n" {
		t.Errorf("File(src/main.go) = %+v, %v", f, err)
	}
	if f, err := w.File("s1", "blob.bin"); err != nil || !f.Binary || f.Text != "" {
		t.Errorf("File(blob.bin) = %+v, %v; want binary without text", f, err)
	}
	if _, err := w.File("s1", "../../etc/passwd"); err == nil {
		t.Error("File(../../etc/passwd) = nil error; the viewer must stay in the workspace")
	}

	if err := w.Watch("s1"); err != nil {
		t.Fatalf("Watch() = %v", err)
	}
	if err := os.WriteFile(filepath.Join(ws, "src", "new.go"), []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-events:
		if b.SessionID != "s1" || len(b.Changes) == 0 || b.Changes[0].Path != "src/new.go" || b.Changes[0].Op != "created" {
			t.Errorf("workspace event = %+v, want src/new.go created", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no workspace event within 10s of a write")
	}
}

// TestImportedWorkspaceInert (issue 14 finding 7): a bundle whose session's workspace is /
// is never listed, read, watched or revealed on this machine.
func TestImportedWorkspaceInert(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	j := openJournal(t, "")
	sess := journal.Session{ID: "imp_s", Workspace: "/", Origin: journal.OriginImported, ImportedFrom: "evil.json"}
	run := journal.Run{ID: "imp_r", SessionID: sess.ID, Agent: "coder", Prompt: "p", Status: journal.RunAwaitingApproval, Workspace: "/"}
	if err := j.ImportRun(ctx, sess, run, nil, nil); err != nil {
		t.Fatal(err)
	}
	w := &Workspace{journal: j, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	events := make(eventSink, 16)
	stop := w.start(ctx, events)
	t.Cleanup(stop)
	tests := []struct {
		name string
		call func() error
	}{
		{"Tree", func() error { _, err := w.Tree(sess.ID); return err }},
		{"File", func() error { _, err := w.File(sess.ID, "etc/passwd"); return err }},
		{"Watch", func() error { return w.Watch(sess.ID) }},
		{"Reveal", func() error { return w.Reveal(sess.ID) }},
	}
	for _, tt := range tests {
		if err := tt.call(); !errors.Is(err, ErrImportedWorkspace) {
			t.Errorf("%s(imported session with workspace /) = %v, want ErrImportedWorkspace", tt.name, err)
		}
	}
	if w.watched != "" {
		t.Errorf("watched = %q after the refused Watch, want nothing watched", w.watched)
	}
}

// TestFileViewerRefusesHardLinks (issue 14 finding 9): the viewer does not show a file
// hard-linked in from outside the workspace.
func TestFileViewerRefusesHardLinks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	j := openJournal(t, "")
	ws := t.TempDir()
	secret := filepath.Join(t.TempDir(), "shadow")
	if err := os.WriteFile(secret, []byte("root:secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(secret, filepath.Join(ws, "notes.txt")); err != nil {
		t.Skipf("cannot hard-link: %v", err)
	}
	if _, err := j.CreateSession(ctx, journal.Session{ID: "s1", Workspace: ws}); err != nil {
		t.Fatal(err)
	}
	w := &Workspace{journal: j, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if f, err := w.File("s1", "notes.txt"); err == nil || strings.Contains(f.Text, "secret") {
		t.Errorf("File(notes.txt, linked to %s) = %+v, %v; want it refused", secret, f, err)
	}
}
