package workspace_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/corral-dev/corral/backend/workspace"
)

// TestWatcherFeed checks Sync and Changed: after Sync, every change made before it is
// among the folders Changed names, and nothing is named when nothing changed.
func TestWatcherFeed(t *testing.T) {
	t.Parallel()
	for _, feedOnly := range []bool{false, true} {
		t.Run(fmt.Sprintf("FeedOnly=%v", feedOnly), func(t *testing.T) {
			t.Parallel()
			testFeed(t, workspace.Options{FeedOnly: feedOnly})
		})
	}
}

func testFeed(t *testing.T, opts workspace.Options) {
	root := t.TempDir()
	for _, d := range []string{"a/b", "c", ".git/refs", "ign"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, ".gitignore"), []byte("ign/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := workspace.New(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range w.Batches() {
		}
	}()
	cursor, err := w.Sync(t.Context())
	if err != nil || cursor == 0 {
		t.Fatalf("Sync() = %d, %v; want a cursor above 0", cursor, err)
	}
	steps := []struct {
		name string
		do   func(root string) error
		want []string // folders Changed must name
	}{
		{"nothing", func(string) error { return nil }, nil},
		{"write", func(r string) error { return os.WriteFile(filepath.Join(r, "a/b/f"), []byte("x"), 0o644) }, []string{"a/b"}},
		{"chmod", func(r string) error { return os.Chmod(filepath.Join(r, "a/b/f"), 0o600) }, []string{"a/b"}},
		{"new folder", func(r string) error { return os.MkdirAll(filepath.Join(r, "c/d/e"), 0o755) }, []string{"c"}},
		{"rename", func(r string) error { return os.Rename(filepath.Join(r, "a/b"), filepath.Join(r, "c/b")) }, []string{"a", "c"}},
		{"remove", func(r string) error { return os.RemoveAll(filepath.Join(r, "c/d")) }, []string{"c"}},
	}
	for _, st := range steps {
		if err := st.do(root); err != nil {
			t.Fatal(err)
		}
		next, err := w.Sync(t.Context())
		if err != nil || next < cursor {
			t.Fatalf("%s: Sync() = %d, %v; want a cursor at or above %d", st.name, next, err, cursor)
		}
		dirs, ok := w.Changed(cursor)
		if !ok {
			t.Fatalf("%s: Changed(%d) = not known", st.name, cursor)
		}
		for _, d := range st.want {
			if !slices.Contains(dirs, d) {
				t.Errorf("%s: Changed() = %v, want %s among them", st.name, dirs, d)
			}
		}
		if st.want == nil && len(dirs) > 0 {
			t.Errorf("%s: Changed() = %v, want none", st.name, dirs)
		}
		cursor = next
	}
	for rel, want := range map[string]bool{".": true, "c": true, ".git": false, "ign": false, "missing": false} {
		if got := w.Watched(rel); got != want {
			t.Errorf("Watched(%q) = %v, want %v", rel, got, want)
		}
	}
	w.Stop()
	if _, err := w.Sync(t.Context()); !errors.Is(err, workspace.ErrNoFeed) {
		t.Errorf("Sync() after Stop = %v, want ErrNoFeed", err)
	}
	if _, ok := w.Changed(cursor); ok {
		t.Error("Changed() after Stop says it knows, want not")
	}
}

// TestWatcherFeedPolling checks that a polling watcher keeps no feed.
func TestWatcherFeedPolling(t *testing.T) {
	t.Parallel()
	w, err := workspace.New(t.TempDir(), workspace.Options{Poll: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Sync(t.Context()); !errors.Is(err, workspace.ErrNoFeed) {
		t.Errorf("Sync() while polling = %v, want ErrNoFeed", err)
	}
}
