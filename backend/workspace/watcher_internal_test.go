package workspace

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

const waitTimeout = 15 * time.Second

// limitAfter makes the watcher's add-watch fail with ENOSPC, as inotify
// does at fs.inotify.max_user_watches, once n watches were added.
func limitAfter(w *Watcher, n int64) *atomic.Int64 {
	var added atomic.Int64
	w.addWatch = func(name string) error {
		if added.Add(1) > n {
			return syscall.ENOSPC
		}
		return w.notifyAdd(name)
	}
	return &added
}

func write(t *testing.T, root, name, text string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// start starts w, stopped at the end of the test.
func start(t *testing.T, w *Watcher) {
	t.Helper()
	t.Cleanup(w.Stop)
	if err := w.Start(context.Background()); err != nil {
		t.Fatalf("Start() = %v", err)
	}
}

// waitBatch receives batches until match accepts one.
func waitBatch(t *testing.T, w *Watcher, what string, match func(Batch) bool) Batch {
	t.Helper()
	timeout := time.After(waitTimeout)
	var seen []Batch
	for {
		select {
		case b, ok := <-w.Batches():
			if !ok {
				t.Fatalf("Batches closed while waiting for %s; got %+v", what, seen)
			}
			if match(b) {
				return b
			}
			seen = append(seen, b)
		case <-timeout:
			t.Fatalf("no batch with %s within %v; got %+v", what, waitTimeout, seen)
		}
	}
}

// hasChange matches a batch with the change (path, op).
func hasChange(path string, op Op) func(Batch) bool {
	return func(b Batch) bool {
		return slices.ContainsFunc(b.Changes, func(c Change) bool { return c.Path == path && c.Op == op })
	}
}

func isRescan(b Batch) bool { return b.Rescan }

func TestPollingFallbackAtStart(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, d := range []string{"a", "b", "c", "d", "e"} {
		write(t, root, d+"/f.txt", "x")
	}
	w, err := New(root, Options{PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	limitAfter(w, 3) // the root and two of five directories
	start(t, w)

	if got := w.Mode(); got != ModePolling {
		t.Errorf("Mode() = %q, want %q", got, ModePolling)
	}
	warning := w.Warning()
	for _, want := range []string{
		"inotify watch limit (fs.inotify.max_user_watches = ",
		"watching by polling every 20ms",
		"sudo sysctl fs.inotify.max_user_watches=",
	} {
		if !strings.Contains(warning, want) {
			t.Errorf("Warning() = %q, want it to contain %q", warning, want)
		}
	}
	write(t, root, "e/g.txt", "x")
	waitBatch(t, w, "created e/g.txt", hasChange("e/g.txt", Created))
	if err := os.Remove(filepath.Join(root, "a/f.txt")); err != nil {
		t.Fatal(err)
	}
	waitBatch(t, w, "removed a/f.txt", hasChange("a/f.txt", Removed))
}

// TestPollingFallbackNoInstance: inotify_init1 fails with EMFILE at
// fs.inotify.max_user_instances.
func TestPollingFallbackNoInstance(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	w, err := New(root, Options{PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w.newNotify = func() (*fsnotify.Watcher, error) {
		return nil, fmt.Errorf("couldn't initialize inotify: %w", syscall.EMFILE)
	}
	start(t, w)
	if got, warning := w.Mode(), w.Warning(); got != ModePolling || !strings.Contains(warning, "fs.inotify.max_user_instances") {
		t.Errorf("Mode(), Warning() = %q, %q; want %q and the instance limit explained", got, warning, ModePolling)
	}
	write(t, root, "a.txt", "x")
	waitBatch(t, w, "created a.txt", hasChange("a.txt", Created))
}

func TestPollingFallbackWhileRunning(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, "a/f.txt", "x")
	w, err := New(root, Options{Quiet: time.Millisecond, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	limitAfter(w, 2) // the root and a
	start(t, w)
	if got := w.Mode(); got != ModeNotify {
		t.Fatalf("Mode() = %q before the limit, want %q", got, ModeNotify)
	}

	write(t, root, "b/g.txt", "x") // a third directory: over the limit
	waitBatch(t, w, "a rescan", isRescan)
	if got := w.Mode(); got != ModePolling {
		t.Errorf("Mode() = %q after the limit, want %q", got, ModePolling)
	}
	if warning := w.Warning(); !strings.Contains(warning, "max_user_watches") {
		t.Errorf("Warning() = %q, want the watch limit explained", warning)
	}
	write(t, root, "b/h.txt", "x")
	waitBatch(t, w, "created b/h.txt", hasChange("b/h.txt", Created))
}

func TestPollWarning(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cause error
		want  []string
	}{
		{"Watches", syscall.ENOSPC, []string{"inotify watch limit (fs.inotify.max_user_watches", "polling every 2s", "Raise it with: sudo sysctl fs.inotify.max_user_watches="}},
		{"Instances", syscall.EMFILE, []string{"inotify instance limit (fs.inotify.max_user_instances", "sudo sysctl fs.inotify.max_user_instances="}},
		{"Other", syscall.EIO, []string{"watching the workspace failed (input/output error); watching by polling every 2s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := pollWarning(tt.cause, 2*time.Second)
			for _, want := range tt.want {
				if !strings.Contains(got, want) {
					t.Errorf("pollWarning(%v) = %q, want it to contain %q", tt.cause, got, want)
				}
			}
		})
	}
}

// TestOverflow: a kernel queue overflow becomes a Rescan batch, and the
// watches are set afresh.
func TestOverflow(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, "a/f.txt", "x")
	w, err := New(root, Options{Quiet: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	errs := w.fsw.Errors
	errs <- fsnotify.ErrEventOverflow
	waitBatch(t, w, "a rescan", isRescan)

	write(t, root, "a/g.txt", "x")
	waitBatch(t, w, "created a/g.txt", hasChange("a/g.txt", Created))
}

// TestFilesCreatedBeforeTheWatch: a new directory's files made before its
// watch is added are found by listing it right after.
func TestFilesCreatedBeforeTheWatch(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	w, err := New(root, Options{Quiet: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w.addWatch = func(name string) error {
		if filepath.Base(name) == "new" {
			// The race: files land between the directory's creation
			// and its watch.
			write(t, root, "new/early.txt", "x")
			write(t, root, "new/sub/deep.txt", "x")
		}
		return w.notifyAdd(name)
	}
	start(t, w)
	if err := os.Mkdir(filepath.Join(root, "new"), 0o755); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"new": true, "new/early.txt": true, "new/sub": true, "new/sub/deep.txt": true}
	waitBatch(t, w, "the new directory's files", func(b Batch) bool {
		for _, c := range b.Changes {
			if c.Op == Created {
				delete(want, c.Path)
			}
		}
		return len(want) == 0
	})
	write(t, root, "new/sub/late.txt", "x")
	waitBatch(t, w, "created new/sub/late.txt", hasChange("new/sub/late.txt", Created))
}

// denyDir returns a readDir that fails with EACCES for directories named
// base while denied is set: tests may run as root, whom permissions do not
// stop.
func denyDir(base string, denied *atomic.Bool) func(string) ([]fs.DirEntry, error) {
	return func(name string) ([]fs.DirEntry, error) {
		if filepath.Base(name) == base && denied.Load() {
			return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.EACCES}
		}
		return readDirUnsorted(name)
	}
}

func TestUnreadableDirectory(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, "secret/key.txt", "x")
	write(t, root, "open.txt", "x")

	var denied atomic.Bool
	denied.Store(true)
	entries, err := snapshot(context.Background(), root, newIgnores(nil), denyDir("secret", &denied))
	if err != nil {
		t.Fatalf("snapshot() = %v", err)
	}
	want := []Entry{{Path: "open.txt"}, {Path: "secret", Dir: true, Unreadable: true}}
	if len(entries) != 2 || entries[0].Path != want[0].Path || entries[1].Path != want[1].Path || !entries[1].Unreadable {
		t.Errorf("snapshot() = %+v, want %+v", entries, want)
	}

	t.Run("Watcher", func(t *testing.T) {
		t.Parallel()
		w, err := New(root, Options{Quiet: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		var denied atomic.Bool
		denied.Store(true)
		w.readDir = denyDir("secret", &denied)
		start(t, w)

		// The watch goes on: other changes are reported.
		write(t, root, "open.txt", "xy")
		waitBatch(t, w, "modified open.txt", hasChange("open.txt", Modified))

		// Permissions change: the directory is listed and watched.
		denied.Store(false)
		if err := os.Chmod(filepath.Join(root, "secret"), 0o700); err != nil {
			t.Fatal(err)
		}
		waitBatch(t, w, "created secret/key.txt", hasChange("secret/key.txt", Created))
	})
}

// TestGoneBeforeListing: an entry of a new directory that goes after the
// directory is watched but before it is listed was never reported created,
// so its removal is not reported either (the race CI met in
// CreatedAndRemovedInOneBatchIsNotReported, made certain here).
func TestGoneBeforeListing(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	w, err := New(root, Options{Quiet: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	listed := make(chan struct{})
	var once sync.Once
	w.readDir = func(name string) ([]fs.DirEntry, error) {
		if filepath.Base(name) == "new" {
			once.Do(func() {
				// The watch on new is in place: this removal is an event.
				if err := os.Remove(filepath.Join(name, "sub")); err != nil {
					t.Error(err)
				}
				close(listed)
			})
		}
		return readDirUnsorted(name)
	}
	start(t, w)
	// new arrives whole, sub in it, as a rename does.
	outside := t.TempDir()
	if err := os.MkdirAll(filepath.Join(outside, "new", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(outside, "new"), filepath.Join(root, "new")); err != nil {
		t.Fatal(err)
	}
	<-listed
	write(t, root, "sentinel", "x")
	var seen []Change
	waitBatch(t, w, "created sentinel", func(b Batch) bool {
		seen = append(seen, b.Changes...)
		return slices.ContainsFunc(b.Changes, func(c Change) bool { return c.Path == "sentinel" })
	})
	if i := slices.IndexFunc(seen, func(c Change) bool { return c.Path == "new/sub" }); i >= 0 {
		t.Errorf("new/sub was reported (%+v); it was never seen created", seen[i])
	}
	if !slices.ContainsFunc(seen, func(c Change) bool { return c.Path == "new" && c.Op == Created }) {
		t.Errorf("changes = %+v, want new created", seen)
	}
}

// TestUnwatchableDirectory: a directory the OS refuses to watch
// (EACCES) is reported unreadable, and watching goes on.
func TestUnwatchableDirectory(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	w, err := New(root, Options{Quiet: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w.addWatch = func(name string) error {
		if filepath.Base(name) == "locked" {
			return syscall.EACCES
		}
		return w.notifyAdd(name)
	}
	start(t, w)
	if err := os.Mkdir(filepath.Join(root, "locked"), 0o755); err != nil {
		t.Fatal(err)
	}
	b := waitBatch(t, w, "created locked", hasChange("locked", Created))
	if i := slices.IndexFunc(b.Changes, func(c Change) bool { return c.Path == "locked" }); !b.Changes[i].Entry.Unreadable {
		t.Errorf("change = %+v, want the entry unreadable", b.Changes[i])
	}
	write(t, root, "other.txt", "x")
	waitBatch(t, w, "created other.txt", hasChange("other.txt", Created))
}

func TestComparePaths(t *testing.T) {
	t.Parallel()
	got := []string{"a.txt", "a-c", "a/z/y", "a", "B", "a/b", "a/z"}
	slices.SortFunc(got, comparePaths)
	want := []string{"B", "a", "a/b", "a/z", "a/z/y", "a-c", "a.txt"}
	if !slices.Equal(got, want) {
		t.Errorf("sorted = %q, want %q", got, want)
	}
}

func TestDiffEntries(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1, 0)
	old := []Entry{
		{Path: "a", Dir: true, ModTime: t0},
		{Path: "a/f", Size: 1, ModTime: t0},
		{Path: "b", Size: 1, ModTime: t0},
		{Path: "d", Dir: true, ModTime: t0},
	}
	cur := []Entry{
		{Path: "a", Dir: true, ModTime: t0},
		{Path: "a/g", Size: 1, ModTime: t0},
		{Path: "b", Size: 2, ModTime: t0},
		{Path: "d", Size: 1, ModTime: t0},
	}
	var got []string
	for _, c := range diffEntries(old, cur) {
		got = append(got, c.Op.String()+" "+c.Path)
	}
	want := []string{"removed a/f", "created a/g", "modified b", "removed d", "created d"}
	if !slices.Equal(got, want) {
		t.Errorf("diffEntries() = %q, want %q", got, want)
	}
}
