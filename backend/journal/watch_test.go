package journal_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
)

// TestWatchCommits: a commit by another journal on the same file (another process, as far as
// SQLite can tell) is seen; a quiet file is not reported.
func TestWatchCommits(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "corral.db")
	watched, err := journal.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer watched.Close()
	other, err := journal.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	seen := make(chan struct{}, 16)
	w := watched.WatchCommits(5*time.Millisecond, func() { seen <- struct{}{} })
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if _, err := other.CreateSession(ctx, journal.Session{ID: "ses_other", Title: "from a terminal", Workspace: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-seen:
	case <-time.After(10 * time.Second):
		t.Fatal("a commit by another connection was not reported")
	}
	// Nothing more is committed: no further call (checked over many intervals).
	quiet := time.After(100 * time.Millisecond)
	for {
		select {
		case <-seen:
			t.Fatal("a call without a commit")
		case <-quiet:
			return
		}
	}
}
