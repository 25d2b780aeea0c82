package journal_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
)

// listDir returns the names in dir with their sizes and contents, to see that nothing
// was written.
func listDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// TestOpenReadOnly (issue 14 finding 9): a journal opened read-only reads a copy in a
// read-only directory and never writes, even as root, who ignores file modes; writes fail
// with ErrReadOnly; a live journal's new records are seen.
func TestOpenReadOnly(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	src := filepath.Join(t.TempDir(), "corral.db")
	w, err := journal.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.CreateSession(ctx, journal.Session{ID: "s1", Title: "one", Workspace: "/w"}); err != nil {
		t.Fatal(err)
	}

	t.Run("LiveJournal", func(t *testing.T) {
		r, err := journal.OpenWith(ctx, src, journal.Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("OpenWith(ReadOnly) on a live journal = %v", err)
		}
		defer r.Close()
		if _, err := w.CreateSession(ctx, journal.Session{ID: "s2", Title: "two", Workspace: "/w"}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Session(ctx, "s2"); err != nil {
			t.Errorf("Session(s2) written after the read-only open = %v, want it seen", err)
		}
		if _, err := r.CreateSession(ctx, journal.Session{ID: "s3", Workspace: "/w"}); !errors.Is(err, journal.ErrReadOnly) {
			t.Errorf("CreateSession on a read-only journal = %v, want ErrReadOnly", err)
		}
	})

	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ro := t.TempDir()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(ro, "corral.db")
	if err := os.WriteFile(copyPath, data, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(ro, 0o755) })
	before := listDir(t, ro)

	t.Run("ReadOnlyCopy", func(t *testing.T) {
		r, err := journal.OpenWith(ctx, copyPath, journal.Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("OpenWith(ReadOnly) on a read-only copy = %v", err)
		}
		sessions, err := r.Sessions(ctx)
		if err != nil || !slices.ContainsFunc(sessions, func(s journal.Session) bool { return s.ID == "s2" }) {
			t.Errorf("Sessions() = %+v, %v; want s1 and s2", sessions, err)
		}
		if _, err := r.CreateSession(ctx, journal.Session{ID: "s4", Workspace: "/w"}); !errors.Is(err, journal.ErrReadOnly) {
			t.Errorf("CreateSession on a read-only copy = %v, want ErrReadOnly", err)
		}
		if err := r.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		after := listDir(t, ro)
		if len(after) != len(before) || !bytes.Equal(after["corral.db"], before["corral.db"]) {
			names := func(m map[string][]byte) (out []string) {
				for k := range m {
					out = append(out, k)
				}
				return out
			}
			t.Errorf("directory after a read-only open = %v (db changed: %v), want only the unchanged corral.db",
				names(after), !bytes.Equal(after["corral.db"], before["corral.db"]))
		}
	})

	t.Run("Missing", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "none.db")
		if _, err := journal.OpenWith(ctx, missing, journal.Options{ReadOnly: true}); err == nil {
			t.Errorf("OpenWith(ReadOnly) on a missing file = nil, want an error")
		}
		if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a read-only open created %s (%v)", missing, err)
		}
	})
}
