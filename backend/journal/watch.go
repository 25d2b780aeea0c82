package journal

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// CommitWatcher calls a function, from a goroutine of its own, after commits to the journal
// file by any connection: this process's or another's (`corral run` in a terminal while the
// window is open). It checks every interval, through a connection of its own reading
// SQLite's data_version, which changes whenever another connection commits; several commits
// between two checks make one call. Start begins watching, Stop ends it and waits for the
// goroutine; both are safe for concurrent use and Stop is idempotent.
type CommitWatcher struct {
	j       *Journal
	every   time.Duration
	changed func()

	mu     sync.Mutex
	cancel context.CancelFunc // nil before the first Start
	done   chan struct{}      // closed when the goroutine has returned
	db     *sql.DB            // the watcher's own pool, for tests to see it closed
}

// WatchCommits returns a watcher that, once started, calls changed after commits to the
// journal file, checking every interval.
func (j *Journal) WatchCommits(every time.Duration, changed func()) *CommitWatcher {
	return &CommitWatcher{j: j, every: every, changed: changed}
}

// Start opens the watcher's connection, reads the current data_version and returns once it
// is watching; the goroutine ends at Stop or when ctx ends. Starting a watcher that is
// watching does nothing.
func (w *CommitWatcher) Start(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done != nil {
		select {
		case <-w.done: // stopped, or its ctx ended: start again
		default:
			return nil
		}
	}
	db, err := openDB(w.j.path, pragmas{busyTimeout: DefaultBusyTimeout, synchronous: syncNormal}, 1)
	if err != nil {
		return fmt.Errorf("journal: watch commits: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	conn, err := db.Conn(ctx)
	if err != nil {
		cancel()
		db.Close()
		return fmt.Errorf("journal: watch commits: %w", classifyOpen(err))
	}
	version := func() (int64, error) {
		var v int64
		err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v)
		return v, err
	}
	last, err := version()
	if err != nil {
		cancel()
		conn.Close()
		db.Close()
		return fmt.Errorf("journal: watch commits: %w", classify(err))
	}
	done := make(chan struct{})
	w.cancel, w.done, w.db = cancel, done, db
	go func() {
		defer close(done)
		defer db.Close()
		defer conn.Close()
		tick := time.NewTicker(w.every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			v, err := version()
			if err != nil {
				continue // locked for a moment, or closing: the next check will tell
			}
			if v != last {
				last = v
				w.changed()
			}
		}
	}()
	return nil
}

// Stop ends the watching and returns once the goroutine has returned (a call of changed in
// progress finishes first) and the watcher's connection is closed. Stopping a watcher that
// is not watching does nothing; a stopped watcher may be started again.
func (w *CommitWatcher) Stop() {
	w.mu.Lock()
	cancel, done := w.cancel, w.done
	w.mu.Unlock()
	if done == nil {
		return
	}
	cancel() // every Stop, concurrent ones too, waits for the same goroutine
	<-done
}
