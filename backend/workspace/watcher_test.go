package workspace_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/workspace"
)

// slowBatches keeps the changes of one test step in one batch even on a
// busy machine: the steps take microseconds, the quiet period 250 ms.
var slowBatches = workspace.Options{Quiet: 250 * time.Millisecond, MaxDelay: 5 * time.Second}

// step is one action on a watched tree and what it must report: want are
// the last change of each path (see describe), absent paths must not be
// reported at all. A step without wants writes a sentinel file and waits
// for it, so absent paths had their chance.
type step struct {
	act    func(tr *tree)
	want   []string
	absent []string
}

func TestWatcherChanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		before func(tr *tree)
		steps  []step
	}{
		{
			name:  "CreateFile",
			steps: []step{{act: func(tr *tree) { tr.write("a.txt", "x") }, want: []string{"created a.txt"}}},
		},
		{
			name:   "ModifyFile",
			before: func(tr *tree) { tr.write("a.txt", "x") },
			steps:  []step{{act: func(tr *tree) { tr.write("a.txt", "xy") }, want: []string{"modified a.txt"}}},
		},
		{
			name:   "Chmod",
			before: func(tr *tree) { tr.write("run.sh", "x") },
			steps: []step{{
				act:  func(tr *tree) { os.Chmod(tr.abs("run.sh"), 0o755) },
				want: []string{"modified run.sh"},
			}},
		},
		{
			name:   "RemoveFile",
			before: func(tr *tree) { tr.write("a.txt", "x") },
			steps:  []step{{act: func(tr *tree) { tr.remove("a.txt") }, want: []string{"removed a.txt"}}},
		},
		{
			name: "NewNestedDirectoriesAreScannedAndWatched",
			steps: []step{
				{
					act: func(tr *tree) {
						tr.write("a/b/c/f.txt", "x")
						tr.write("a/g.txt", "x")
					},
					want: []string{"created a/", "created a/b/", "created a/b/c/", "created a/b/c/f.txt", "created a/g.txt"},
				},
				{
					act:  func(tr *tree) { tr.write("a/b/c/h.txt", "x") },
					want: []string{"created a/b/c/h.txt"},
				},
			},
		},
		{
			name:   "RemoveDirectoryTree",
			before: func(tr *tree) { tr.write("d/e/f.txt", "x") },
			steps: []step{
				{
					act:  func(tr *tree) { tr.remove("d") },
					want: []string{"removed d/", "removed d/e/", "removed d/e/f.txt"},
				},
				{
					act:  func(tr *tree) { tr.write("d/x.txt", "x") },
					want: []string{"created d/", "created d/x.txt"},
				},
				{
					act:  func(tr *tree) { tr.write("d/y.txt", "x") },
					want: []string{"created d/y.txt"},
				},
			},
		},
		{
			name:   "RenameFile",
			before: func(tr *tree) { tr.write("a.txt", "x") },
			steps: []step{{
				act:  func(tr *tree) { tr.rename("a.txt", "b.txt") },
				want: []string{"removed a.txt", "created b.txt"},
			}},
		},
		{
			name: "RenameFileOverAnother",
			before: func(tr *tree) {
				tr.write("a.txt", "new")
				tr.write("b.txt", "old")
			},
			steps: []step{{
				act:  func(tr *tree) { tr.rename("a.txt", "b.txt") },
				want: []string{"removed a.txt", "created b.txt"},
			}},
		},
		{
			name: "RenameDirectory",
			before: func(tr *tree) {
				tr.write("old/f.txt", "x")
				tr.write("old/sub/g.txt", "x")
			},
			steps: []step{
				{
					act:  func(tr *tree) { tr.rename("old", "new") },
					want: []string{"removed old/", "created new/", "created new/f.txt", "created new/sub/", "created new/sub/g.txt"},
				},
				{
					act:    func(tr *tree) { tr.write("new/sub/h.txt", "x") },
					want:   []string{"created new/sub/h.txt"},
					absent: []string{"old/sub/h.txt"},
				},
			},
		},
		{
			name:   "DirectoryReplacedByFile",
			before: func(tr *tree) { tr.write("d/f.txt", "x") },
			steps: []step{{
				act: func(tr *tree) {
					tr.remove("d")
					tr.write("d", "now a file")
				},
				want: []string{"created d", "removed d/f.txt"},
			}},
		},
		{
			name: "CreatedAndRemovedInOneBatchIsNotReported",
			steps: []step{{
				act: func(tr *tree) {
					tr.write("tmp.txt", "x")
					tr.remove("tmp.txt")
					tr.mkdir("tmpdir/sub")
					tr.remove("tmpdir")
				},
				absent: []string{"tmp.txt", "tmpdir", "tmpdir/sub"},
			}},
		},
		{
			name:   "IgnoredEntriesShownCollapsed",
			before: func(tr *tree) { tr.write(".gitignore", "build/\n*.log\n!keep.log\n") },
			steps: []step{{
				act: func(tr *tree) {
					tr.write("build/out.bin", "x")
					tr.write("x.log", "x")
					tr.write("keep.log", "x")
					tr.write("node_modules/pkg/index.js", "x")
					tr.write(".git/HEAD", "x")
				},
				want: []string{
					"created build/ ignored", "created x.log ignored", "created keep.log",
					"created node_modules/ ignored", "created .git/ ignored",
				},
				absent: []string{"build/out.bin", "node_modules/pkg", ".git/HEAD"},
			}},
		},
		{
			name: "IgnoredDirectoriesAreNotWatched",
			before: func(tr *tree) {
				tr.write(".gitignore", "gen/\n")
				tr.write("gen/x.go", "x")
				tr.write("node_modules/a.js", "x")
				tr.write("src/.git/HEAD", "x")
			},
			steps: []step{{
				act: func(tr *tree) {
					tr.write("gen/x.go", "y")
					tr.write("gen/new.go", "y")
					tr.write("node_modules/a.js", "y")
					tr.write("src/.git/HEAD", "y")
				},
				absent: []string{"gen/x.go", "gen/new.go", "node_modules/a.js", "src/.git/HEAD"},
			}},
		},
		{
			name:   "NestedGitignore",
			before: func(tr *tree) { tr.write("sub/.gitignore", "*.tmp\n") },
			steps: []step{{
				act: func(tr *tree) {
					tr.write("sub/a.tmp", "x")
					tr.write("a.tmp", "x")
					tr.write("sub/deep/b.tmp", "x")
				},
				want: []string{"created sub/a.tmp ignored", "created a.tmp", "created sub/deep/", "created sub/deep/b.tmp ignored"},
			}},
		},
		{
			name:   "SymlinksListedNotFollowed",
			before: func(tr *tree) { tr.write("target/f.txt", "x") },
			steps: []step{
				{
					act:  func(tr *tree) { tr.symlink("target", "link") },
					want: []string{"created link@"},
				},
				{
					act:    func(tr *tree) { tr.write("target/g.txt", "x") },
					want:   []string{"created target/g.txt"},
					absent: []string{"link/g.txt"},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newTree(t)
			if tt.before != nil {
				tt.before(tr)
			}
			wt := startWatch(t, tr.root, slowBatches)
			for i, s := range tt.steps {
				wt.reset()
				s.act(tr)
				want := s.want
				if len(want) == 0 {
					name := fmt.Sprintf("sentinel%d", i)
					tr.write(name, "x")
					want = []string{"created " + name}
				}
				wt.waitFor(want...)
				wt.absent(s.absent...)
			}
		})
	}
}

// TestWatcherDebounce: many writes to one file are one Modified in one
// batch, and changes that never stop still reach the reader within
// MaxDelay.
func TestWatcherDebounce(t *testing.T) {
	t.Parallel()
	t.Run("Coalesce", func(t *testing.T) {
		t.Parallel()
		tr := newTree(t)
		tr.write("f.txt", "0")
		wt := startWatch(t, tr.root, slowBatches)
		for i := range 200 {
			tr.write("f.txt", fmt.Sprint(i))
		}
		tr.write("g.txt", "x")
		wt.waitFor("modified f.txt", "created g.txt")
		if len(wt.batches) != 1 || wt.count["f.txt"] != 1 {
			t.Errorf("batches = %q, want one batch with one change of f.txt", wt.reported())
		}
	})
	t.Run("MaxDelay", func(t *testing.T) {
		t.Parallel()
		tr := newTree(t)
		wt := startWatch(t, tr.root, workspace.Options{Quiet: time.Hour, MaxDelay: 100 * time.Millisecond})
		deadline := time.Now().Add(waitTimeout)
		for i := 0; ; i++ {
			tr.write("busy.txt", fmt.Sprint(i))
			select {
			case b := <-wt.w.Batches():
				if len(b.Changes) == 0 || b.Changes[0].Path != "busy.txt" {
					t.Errorf("batch = %+v, want busy.txt", b)
				}
				return
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("no batch within %v of continuous writes, want one after MaxDelay", waitTimeout)
			}
		}
	})
	t.Run("TooManyChangesRescan", func(t *testing.T) {
		t.Parallel()
		tr := newTree(t)
		opts := slowBatches
		opts.MaxChanges = 10
		wt := startWatch(t, tr.root, opts)
		for i := range 50 {
			tr.write(fmt.Sprintf("f%02d", i), "x")
		}
		wt.waitRescan()
		if b := wt.batches[len(wt.batches)-1]; len(b.Changes) != 0 {
			t.Errorf("rescan batch has %d changes, want none", len(b.Changes))
		}
	})
}

// TestWatcherIgnoreRulesChange: editing an ignore file asks the reader to
// rescan and re-aims the watches.
func TestWatcherIgnoreRulesChange(t *testing.T) {
	t.Parallel()
	tr := newTree(t)
	tr.write("gen/a.go", "x")
	tr.write("out/b.go", "x")
	tr.write(".gitignore", "out/\n")
	wt := startWatch(t, tr.root, slowBatches)

	tr.write(".gitignore", "gen/\n")
	wt.waitRescan()

	wt.reset()
	tr.write("gen/a.go", "y")  // now ignored: not watched
	tr.write("out/b.go", "yy") // no longer ignored: watched
	wt.waitFor("modified out/b.go")
	wt.absent("gen/a.go")
}

func TestWatcherRootRemoved(t *testing.T) {
	t.Parallel()
	for _, poll := range []bool{false, true} {
		t.Run(fmt.Sprintf("Poll=%v", poll), func(t *testing.T) {
			t.Parallel()
			tr := newTree(t)
			tr.write("root/a/f.txt", "x")
			root := tr.abs("root")
			wt := startWatch(t, root, workspace.Options{Poll: poll, PollInterval: 20 * time.Millisecond})
			tr.remove("root")
			if err := wt.waitClosed(); !errors.Is(err, workspace.ErrRootRemoved) {
				t.Errorf("last batch Err = %v, want %v", err, workspace.ErrRootRemoved)
			}
		})
	}
}

func TestWatcherPolling(t *testing.T) {
	t.Parallel()
	tr := newTree(t)
	tr.write("a.txt", "x")
	tr.write("d/b.txt", "x")
	tr.write("node_modules/x.js", "x")
	wt := startWatch(t, tr.root, workspace.Options{Poll: true, PollInterval: 20 * time.Millisecond})
	if got := wt.w.Mode(); got != workspace.ModePolling {
		t.Errorf("Mode() = %q, want %q", got, workspace.ModePolling)
	}
	if got := wt.w.Warning(); got != "" {
		t.Errorf("Warning() = %q, want none when polling was asked for", got)
	}
	// Sizes change so that the modification shows with coarse timestamps.
	tr.write("a.txt", "xy")
	tr.remove("d")
	tr.write("e/c.txt", "x")
	tr.write("node_modules/y.js", "x")
	wt.waitFor("modified a.txt", "removed d/", "removed d/b.txt", "created e/", "created e/c.txt")
	wt.absent("node_modules/y.js")
}

// TestWatcherLifecycle: Start and Stop may be called more than once, Stop
// leaves no goroutine behind, and Batches is closed when watching ends.
func TestWatcherLifecycle(t *testing.T) {
	// Not parallel: it counts goroutines.
	tests := []struct {
		name string
		run  func(t *testing.T, w *workspace.Watcher, tr *tree)
	}{
		{"StopBeforeStart", func(t *testing.T, w *workspace.Watcher, tr *tree) {
			w.Stop()
			w.Stop()
			if err := w.Start(context.Background()); !errors.Is(err, workspace.ErrStopped) {
				t.Errorf("Start() after Stop = %v, want %v", err, workspace.ErrStopped)
			}
		}},
		{"StartTwiceStopTwice", func(t *testing.T, w *workspace.Watcher, tr *tree) {
			for range 2 {
				if err := w.Start(context.Background()); err != nil {
					t.Fatalf("Start() = %v", err)
				}
			}
			w.Stop()
			w.Stop()
			if err := w.Start(context.Background()); !errors.Is(err, workspace.ErrStopped) {
				t.Errorf("Start() after Stop = %v, want %v", err, workspace.ErrStopped)
			}
		}},
		{"ContextEnds", func(t *testing.T, w *workspace.Watcher, tr *tree) {
			ctx, cancel := context.WithCancel(context.Background())
			if err := w.Start(ctx); err != nil {
				t.Fatalf("Start() = %v", err)
			}
			cancel()
			for range w.Batches() {
			}
			w.Stop()
		}},
		{"StopWithChangesUnread", func(t *testing.T, w *workspace.Watcher, tr *tree) {
			if err := w.Start(context.Background()); err != nil {
				t.Fatalf("Start() = %v", err)
			}
			tr.write("a/new.txt", "x")
			tr.remove("a/b")
			w.Stop()
		}},
	}
	for _, tt := range tests {
		for _, poll := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/Poll=%v", tt.name, poll), func(t *testing.T) {
				tr := newTree(t)
				tr.write("a/b/c.txt", "x")
				before := runtime.NumGoroutine()
				w, err := workspace.New(tr.root, workspace.Options{Poll: poll, PollInterval: time.Millisecond, Quiet: time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				tt.run(t, w, tr)
				select {
				case _, ok := <-w.Batches():
					if ok {
						t.Error("Batches delivered a batch after Stop, want it closed")
					}
				case <-time.After(waitTimeout):
					t.Fatal("Batches not closed after Stop")
				}
				// fsnotify's reader signals Close before its last
				// statements, so give it the processor until it is gone.
				for deadline := time.Now().Add(waitTimeout); runtime.NumGoroutine() > before && time.Now().Before(deadline); {
					runtime.Gosched()
				}
				if after := runtime.NumGoroutine(); after > before {
					buf := make([]byte, 1<<16)
					t.Errorf("goroutines: %d before, %d after Stop\n%s", before, after, buf[:runtime.Stack(buf, true)])
				}
			})
		}
	}
}

func TestWatcherModeNotify(t *testing.T) {
	t.Parallel()
	wt := startWatch(t, t.TempDir(), workspace.Options{})
	if got, warning := wt.w.Mode(), wt.w.Warning(); got != workspace.ModeNotify || warning != "" {
		t.Errorf("Mode(), Warning() = %q, %q; want %q and no warning", got, warning, workspace.ModeNotify)
	}
}

func TestOpString(t *testing.T) {
	t.Parallel()
	got := strings.Join([]string{workspace.Created.String(), workspace.Modified.String(), workspace.Removed.String(), workspace.Op(0).String()}, ",")
	if want := "created,modified,removed,unknown"; got != want {
		t.Errorf("Op.String() = %q, want %q", got, want)
	}
}
