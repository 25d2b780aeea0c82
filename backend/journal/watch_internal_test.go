package journal

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCommitWatcherStop: Stop waits for the watcher's goroutine (a call of changed in
// progress finishes first, and the watcher's connection is closed when Stop returns); a
// second Stop, concurrent or later, returns too; Stop before Start does nothing; a stopped
// watcher starts again.
func TestCommitWatcherStop(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "corral.db")
	watched, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer watched.Close()
	other, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	var returned atomic.Bool
	w := watched.WatchCommits(time.Millisecond, func() {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
		returned.Store(true)
	})
	w.Stop() // before Start: nothing to stop
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Start(ctx); err != nil { // already watching: nothing more
		t.Fatalf("second Start() = %v, want nil", err)
	}
	if _, err := other.CreateSession(ctx, Session{ID: "ses_other", Title: "from a terminal", Workspace: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, entered, "a commit by another connection was not reported")

	// Two Stops at once while changed is still running: neither may return before it has.
	var wg sync.WaitGroup
	stopped := make(chan bool, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.Stop()
			stopped <- returned.Load()
		}()
	}
	close(release)
	wg.Wait()
	for range 2 {
		if !<-stopped {
			t.Error("Stop() returned while changed was still running")
		}
	}
	if err := w.db.Ping(); err == nil {
		t.Error("the watcher's connection is open after Stop(), want it closed")
	}
	w.Stop() // idempotent
	select { // a call made before the Stop must not count as the restarted watcher's
	case <-entered:
	default:
	}

	// A stopped watcher starts again and reports the next commit.
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if _, err := other.CreateSession(ctx, Session{ID: "ses_again", Title: "again", Workspace: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, entered, "a restarted watcher did not report a commit")
}

// waitFor waits (10 s at most) for a signal on ch, else fails with msg.
func waitFor(t *testing.T, ch <-chan struct{}, msg string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal(msg)
	}
}
